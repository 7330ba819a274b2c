#include "ledger/history.hpp"

#include <algorithm>
#include <cstring>

#include "base/invariant.hpp"
#include "ledger/keys.hpp"

namespace settle::ledger {

namespace {

/// The fixed part of a stored change (copied in and out with memcpy: no alignment needed).
struct stored_header {
  int64_t amount = 0, balance = 0, at_unix_ms = 0;
  uint64_t version = 0;
  uint8_t kind = 0;
  uint8_t lengths[6] = {};

  size_t text_bytes() const {
    size_t n = 0;
    for (auto l : lengths)
      n += l;
    return n;
  }
};

using header_bytes = std::integral_constant<size_t, sizeof(int64_t) * 4 + 7>;

void put_header(std::string& out, const int64_t (&nums)[4], uint8_t kind,
                const uint8_t (&lengths)[6]) {
  char buf[header_bytes::value];
  std::memcpy(buf, nums, sizeof nums);
  buf[32] = static_cast<char>(kind);
  std::memcpy(buf + 33, lengths, sizeof lengths);
  out.append(buf, sizeof buf);
}

stored_header read_header(const std::string& bytes, size_t at) {
  SETTLE_ASSERT(at + header_bytes::value <= bytes.size(), "a history change cut short");
  stored_header h;
  int64_t nums[4];
  std::memcpy(nums, bytes.data() + at, sizeof nums);
  h.amount = nums[0];
  h.balance = nums[1];
  h.at_unix_ms = nums[2];
  h.version = static_cast<uint64_t>(nums[3]);
  h.kind = static_cast<uint8_t>(bytes[at + 32]);
  std::memcpy(h.lengths, bytes.data() + at + 33, sizeof h.lengths);
  SETTLE_ASSERT(at + header_bytes::value + h.text_bytes() <= bytes.size(),
                "a history change's strings cut short");
  return h;
}

}  // namespace

bool kept_in_history(const record_view& rec) {
  return rec.type == record_type::txn && rec.outcome == protocol::txn_status::applied;
}

std::vector<size_t> history_book::offsets(const account_log& log) {
  std::vector<size_t> out;
  out.reserve(log.count);
  for (size_t at = log.first; at < log.bytes.size();) {
    out.push_back(at);
    at += header_bytes::value + read_header(log.bytes, at).text_bytes();
  }
  SETTLE_ASSERT(out.size() == log.count, "a history log whose count does not match");
  return out;
}

history_change history_book::load(const account_log& log, size_t at) {
  const auto h = read_header(log.bytes, at);
  history_change out;
  std::string* fields[] = {&out.txn, &out.partner, &out.round, &out.game, &out.ref, &out.to};
  size_t from = at + header_bytes::value;
  for (size_t i = 0; i < std::size(fields); ++i) {
    fields[i]->assign(log.bytes, from, h.lengths[i]);
    from += h.lengths[i];
  }
  out.amount = h.amount;
  out.balance = h.balance;
  out.at_unix_ms = h.at_unix_ms;
  out.version = h.version;
  out.kind = static_cast<protocol::txn_kind>(h.kind);
  return out;
}

void history_book::drop_oldest(account_log& log, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i)
    log.first += header_bytes::value + read_header(log.bytes, log.first).text_bytes();
  log.count -= n;
  changes_ -= n;
  // Compact once half the buffer is dropped: amortized O(1) per change.
  if (log.first > 0 && log.first * 2 >= log.bytes.size()) {
    log.bytes.erase(0, log.first);
    log.first = 0;
  }
}

void history_book::add(const record_view& rec) {
  if (!kept_in_history(rec) || limits_.max_per_account == 0)
    return;
  auto slot = by_account_.find(key(rec.account));
  if (slot == by_account_.end())
    slot = by_account_.emplace(std::string{rec.account}, account_log{}).first;
  auto& log = slot->second;
  SETTLE_ASSERT(log.count == 0 || log.newest_version < rec.version_after,
                "history of '" + std::string{rec.account} + "' going back to version " +
                    std::to_string(rec.version_after));
  const std::string_view parts[] = {rec.txn_id, rec.partner, rec.round,
                                    rec.game,   rec.ref,     rec.to};
  uint8_t lengths[6];
  for (size_t i = 0; i < std::size(parts); ++i) {
    SETTLE_ASSERT(parts[i].size() <= 255, "an id longer than history keeps");
    lengths[i] = static_cast<uint8_t>(parts[i].size());
  }
  const int64_t nums[4] = {rec.amount, rec.balance_after, rec.at_unix_ms,
                           static_cast<int64_t>(rec.version_after)};
  put_header(log.bytes, nums, static_cast<uint8_t>(rec.kind), lengths);
  for (auto p : parts)
    log.bytes.append(p);
  ++log.count;
  log.newest_version = rec.version_after;
  ++changes_;
  if (log.count > limits_.max_per_account)
    drop_oldest(log, log.count - limits_.max_per_account);
}

bool history_book::add_replayed(const record_view& rec) {
  if (!kept_in_history(rec))
    return false;
  auto slot = by_account_.find(key(rec.account));
  if (slot != by_account_.end() && slot->second.count > 0 &&
      slot->second.newest_version >= rec.version_after)
    return false;
  add(rec);
  return true;
}

void history_book::undo_after(std::string_view account, uint64_t version) {
  auto slot = by_account_.find(key(account));
  if (slot == by_account_.end())
    return;
  auto& log = slot->second;
  if (log.count == 0 || log.newest_version <= version)
    return;
  const auto at = offsets(log);
  size_t keep = at.size();
  while (keep > 0 && read_header(log.bytes, at[keep - 1]).version > version)
    --keep;
  log.bytes.resize(keep == at.size() ? log.bytes.size() : at[keep]);
  changes_ -= at.size() - keep;
  log.count = static_cast<uint32_t>(keep);
  log.newest_version = keep == 0 ? 0 : read_header(log.bytes, at[keep - 1]).version;
  SETTLE_ASSERT(log.count == 0 || log.newest_version <= version,
                "history undo left a newer change");
}

void history_book::forget(std::string_view account) {
  auto slot = by_account_.find(key(account));
  if (slot == by_account_.end())
    return;
  changes_ -= slot->second.count;
  by_account_.erase(slot);
}

size_t history_book::expire(int64_t now_unix_ms) {
  const int64_t oldest_kept = now_unix_ms - limits_.retention_ms;
  size_t dropped = 0;
  for (auto it = by_account_.begin(); it != by_account_.end();) {
    auto& log = it->second;
    uint32_t n = 0;
    for (size_t at = log.first; n < log.count;) {
      const auto h = read_header(log.bytes, at);
      if (h.at_unix_ms >= oldest_kept)
        break;
      ++n;
      at += header_bytes::value + h.text_bytes();
    }
    if (n > 0) {
      drop_oldest(log, n);
      dropped += n;
    }
    if (log.count == 0)
      by_account_.erase(it++);
    else
      ++it;
  }
  return dropped;
}

std::vector<history_change> history_book::page(std::string_view account, uint32_t limit,
                                               uint64_t before_version,
                                               std::string_view partner) const {
  std::vector<history_change> out;
  auto slot = by_account_.find(key(account));
  if (slot == by_account_.end())
    return out;
  const auto& log = slot->second;
  const auto at = offsets(log);
  for (size_t i = at.size(); i > 0 && out.size() < limit; --i) {
    auto c = load(log, at[i - 1]);
    if (before_version != 0 && c.version >= before_version)
      continue;
    if (!partner.empty() && c.partner != partner)
      continue;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace settle::ledger
