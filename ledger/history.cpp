#include "ledger/history.hpp"

#include <cstring>

#include "base/invariant.hpp"
#include "ledger/keys.hpp"

namespace settle::ledger {

namespace {

// A change in the log: amount, balance, at, version, prev (5 x 8 bytes), kind, the lengths
// of its six strings (txn, partner, round, game, ref, to), then those strings. Copied in and
// out with memcpy: no alignment needed. prev and heads are positions + 1 (0: none).
constexpr size_t header_bytes = 5 * 8 + 1 + 6;
constexpr size_t string_count = 6;

struct entry {
  int64_t nums[5] = {};  // amount, balance, at, version, prev
  uint8_t kind = 0;
  uint8_t lengths[string_count] = {};
  const char* text = nullptr;

  uint64_t version() const { return static_cast<uint64_t>(nums[3]); }
  uint64_t prev() const { return static_cast<uint64_t>(nums[4]); }
  size_t size() const {
    size_t n = header_bytes;
    for (auto l : lengths)
      n += l;
    return n;
  }
};

entry read_entry(const char* p, size_t room) {
  SETTLE_ASSERT(room >= header_bytes, "a history change cut short");
  entry e;
  std::memcpy(e.nums, p, sizeof e.nums);
  e.kind = static_cast<uint8_t>(p[40]);
  std::memcpy(e.lengths, p + 41, sizeof e.lengths);
  e.text = p + header_bytes;
  SETTLE_ASSERT(e.size() <= room, "a history change's strings cut short");
  return e;
}

history_change load(const entry& e) {
  history_change out;
  std::string* fields[] = {&out.txn, &out.partner, &out.round, &out.game, &out.ref, &out.to};
  const char* at = e.text;
  for (size_t i = 0; i < string_count; ++i) {
    fields[i]->assign(at, e.lengths[i]);
    at += e.lengths[i];
  }
  out.amount = e.nums[0];
  out.balance = e.nums[1];
  out.at_unix_ms = e.nums[2];
  out.version = e.version();
  out.kind = static_cast<protocol::txn_kind>(e.kind);
  return out;
}

std::string_view partner_of(const entry& e) {
  return {e.text + e.lengths[0], e.lengths[1]};
}

}  // namespace

bool kept_in_history(const record_view& rec) {
  return rec.type == record_type::txn && rec.outcome == protocol::txn_status::applied;
}

const history_log::block* history_log::block_of(uint64_t pos) const {
  if (pos == 0)
    return nullptr;
  const uint64_t seq = (pos - 1) / block_bytes;
  if (seq < first_block_ || seq - first_block_ >= blocks_.size())
    return nullptr;
  return &blocks_[seq - first_block_];
}

void history_log::drop_oldest_block() {
  changes_ -= blocks_.front().changes;
  // Kept for the next block: its pages are mapped already (a new block's are faulted in,
  // and zeroed by the kernel, as they are first written).
  spare_ = std::move(blocks_.front().bytes);
  blocks_.erase(blocks_.begin());  // at most max_bytes / 1 MiB of them
  ++first_block_;
}

uint64_t history_log::add(const record_view& rec, uint64_t head) {
  SETTLE_ASSERT(kept_in_history(rec), "a record history does not keep");
  const std::string_view parts[string_count] = {rec.txn_id, rec.partner, rec.round,
                                                rec.game,   rec.ref,     rec.to};
  size_t size = header_bytes;
  for (auto p : parts) {
    SETTLE_ASSERT(p.size() <= 255, "an id longer than history keeps");
    size += p.size();
  }
  if (blocks_.empty() || blocks_.back().used + size > block_bytes) {
    if (!blocks_.empty() && (blocks_.size() + 1) * block_bytes > limits_.max_bytes)
      drop_oldest_block();
    auto bytes = spare_ ? std::move(spare_) : std::make_unique_for_overwrite<char[]>(block_bytes);
    blocks_.push_back({std::move(bytes), 0, 0, INT64_MIN});
  }
  auto& b = blocks_.back();
  char* p = b.bytes.get() + b.used;
  const int64_t nums[5] = {rec.amount, rec.balance_after, rec.at_unix_ms,
                           static_cast<int64_t>(rec.version_after), static_cast<int64_t>(head)};
  std::memcpy(p, nums, sizeof nums);
  p[40] = static_cast<char>(rec.kind);
  char* text = p + header_bytes;
  for (size_t i = 0; i < string_count; ++i) {
    p[41 + i] = static_cast<char>(parts[i].size());
    // An empty string_view may hold a null data(), which memcpy must not get.
    if (!parts[i].empty()) std::memcpy(text, parts[i].data(), parts[i].size());
    text += parts[i].size();
  }
  const uint64_t pos = (first_block_ + blocks_.size() - 1) * block_bytes + b.used + 1;
  SETTLE_ASSERT(pos > head, "a history change linked to a later one");
  b.used += size;
  ++b.changes;
  b.newest_at_ms = std::max(b.newest_at_ms, rec.at_unix_ms);
  ++changes_;
  return pos;
}

std::vector<history_change> history_log::page(uint64_t head, uint32_t limit,
                                              uint64_t before_version, std::string_view partner,
                                              int64_t now_unix_ms) const {
  std::vector<history_change> out;
  const int64_t oldest_kept = now_unix_ms - limits_.retention_ms;
  for (uint64_t pos = head; out.size() < limit;) {
    const block* b = block_of(pos);
    if (b == nullptr)
      break;  // none, or dropped with its block: every older one went too
    const size_t offset = (pos - 1) % block_bytes;
    SETTLE_ASSERT(offset < b->used, "a history position past its block's end");
    const entry e = read_entry(b->bytes.get() + offset, b->used - offset);
    if (e.nums[2] < oldest_kept)
      break;
    SETTLE_ASSERT(e.prev() < pos, "a history chain going forward");
    pos = e.prev();
    if (before_version != 0 && e.version() >= before_version)
      continue;
    if (!partner.empty() && partner_of(e) != partner)
      continue;
    out.push_back(load(e));
  }
  return out;
}

size_t history_log::expire(int64_t now_unix_ms) {
  const int64_t oldest_kept = now_unix_ms - limits_.retention_ms;
  const size_t before = changes_;
  // The newest block is kept: it is being written.
  while (blocks_.size() > 1 && blocks_.front().newest_at_ms < oldest_kept)
    drop_oldest_block();
  return before - changes_;
}

bool history_log::add_replayed(const record_view& rec) {
  if (!enabled() || !kept_in_history(rec))
    return false;
  auto slot = heads_.find(key(rec.account));
  uint64_t head = slot == heads_.end() ? 0 : slot->second;
  if (const block* b = block_of(head); b != nullptr) {
    const size_t offset = (head - 1) % block_bytes;
    if (read_entry(b->bytes.get() + offset, b->used - offset).version() >= rec.version_after)
      return false;
  }
  head = add(rec, head);
  if (slot == heads_.end())
    heads_.emplace(std::string{rec.account}, head);
  else
    slot->second = head;
  return true;
}

uint64_t history_log::head_of(std::string_view account) const {
  auto slot = heads_.find(key(account));
  return slot == heads_.end() ? 0 : slot->second;
}

}  // namespace settle::ledger
