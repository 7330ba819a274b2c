#include "ledger/history.hpp"

#include <algorithm>

#include "base/invariant.hpp"
#include "ledger/keys.hpp"

namespace settle::ledger {

bool kept_in_history(const record_view& rec) {
  return rec.type == record_type::txn && rec.outcome == protocol::txn_status::applied;
}

void history_book::drop_front(account_changes& a, size_t n) {
  a.first += n;
  changes_ -= n;
  // Compact once half the vector is dropped: amortized O(1) per change, no deque's blocks.
  if (a.first > 0 && a.first * 2 >= a.items.size()) {
    a.items.erase(a.items.begin(), a.items.begin() + static_cast<std::ptrdiff_t>(a.first));
    a.first = 0;
  }
}

void history_book::add(const record_view& rec) {
  if (!kept_in_history(rec) || limits_.max_per_account == 0)
    return;
  auto slot = by_account_.find(key(rec.account));
  if (slot == by_account_.end())
    slot = by_account_.emplace(std::string{rec.account}, account_changes{}).first;
  auto& a = slot->second;
  SETTLE_ASSERT(a.items.size() == a.first || a.items.back().version < rec.version_after,
                "history of '" + std::string{rec.account} + "' going back to version " +
                    std::to_string(rec.version_after));
  auto& c = a.items.emplace_back();
  c.txn = rec.txn_id;
  c.partner = rec.partner;
  c.round = rec.round;
  c.game = rec.game;
  c.ref = rec.ref;
  c.to = rec.to;
  c.amount = rec.amount;
  c.balance = rec.balance_after;
  c.at_unix_ms = rec.at_unix_ms;
  c.version = rec.version_after;
  c.kind = rec.kind;
  ++changes_;
  if (a.items.size() - a.first > limits_.max_per_account)
    drop_front(a, a.items.size() - a.first - limits_.max_per_account);
}

bool history_book::add_replayed(const record_view& rec) {
  if (!kept_in_history(rec))
    return false;
  auto slot = by_account_.find(key(rec.account));
  if (slot != by_account_.end() && slot->second.items.size() > slot->second.first &&
      slot->second.items.back().version >= rec.version_after)
    return false;
  add(rec);
  return true;
}

void history_book::undo_after(std::string_view account, uint64_t version) {
  auto slot = by_account_.find(key(account));
  if (slot == by_account_.end())
    return;
  auto& a = slot->second;
  while (a.items.size() > a.first && a.items.back().version > version) {
    a.items.pop_back();
    --changes_;
  }
  SETTLE_ASSERT(a.items.size() == a.first || a.items.back().version <= version,
                "history undo left a newer change");
}

void history_book::forget(std::string_view account) {
  auto slot = by_account_.find(key(account));
  if (slot == by_account_.end())
    return;
  changes_ -= slot->second.items.size() - slot->second.first;
  by_account_.erase(slot);
}

size_t history_book::expire(int64_t now_unix_ms) {
  const int64_t oldest_kept = now_unix_ms - limits_.retention_ms;
  size_t dropped = 0;
  for (auto it = by_account_.begin(); it != by_account_.end();) {
    auto& a = it->second;
    size_t n = 0;
    while (a.first + n < a.items.size() && a.items[a.first + n].at_unix_ms < oldest_kept)
      ++n;
    if (n > 0) {
      drop_front(a, n);
      dropped += n;
    }
    if (a.items.size() == a.first)
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
  const auto& a = slot->second;
  for (size_t i = a.items.size(); i > a.first && out.size() < limit; --i) {
    const auto& c = a.items[i - 1];
    if (before_version != 0 && c.version >= before_version)
      continue;
    if (!partner.empty() && c.partner != partner)
      continue;
    out.push_back(c);
  }
  return out;
}

}  // namespace settle::ledger
