// Account history: each account's recent changes, newest last, for the `history` op and the
// dashboard's account page. The live shard adds every journaled record it applies, and undoes
// them with the account; at start the same add() is fed the journal from
// now - retention on (the journal is kept that long: persistence/durable_store), so the
// history a restart shows is the history before it. Pure: times come from the records and
// from the caller.
//
// What is kept: applied txn records (bets, wins, rollbacks, deposits, withdrawals, transfer
// legs), newest max_per_account per account, none older than retention_ms. Notes (noop and
// duplicate rollbacks) and opens/blocks are not changes of the balance and are not kept.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "ledger/record.hpp"

namespace settle::ledger {

/// One change of an account's balance: what a `history` answer carries.
using history_change = protocol::history_entry;

struct history_limits {
  int64_t retention_ms = 30LL * 24 * 3600 * 1000;
  uint32_t max_per_account = 1000;
};

/// True for the records history keeps.
bool kept_in_history(const record_view& rec);

/// One shard's histories.
class history_book {
public:
  explicit history_book(history_limits limits = {}) : limits_(limits) {}

  /// Adds `rec` when kept_in_history; drops the account's oldest change beyond
  /// max_per_account. Asserts that versions grow per account.
  void add(const record_view& rec);
  /// add() for a record read back from the journal: one whose version does not follow the
  /// account's newest kept change is skipped (false) instead of asserted on.
  bool add_replayed(const record_view& rec);
  /// Drops `account`'s changes after `version` (an undone chunk: the account is back there).
  void undo_after(std::string_view account, uint64_t version);
  /// Drops `account`'s whole history (an undone open).
  void forget(std::string_view account);
  /// Drops changes made before now_unix_ms - retention_ms; returns how many.
  size_t expire(int64_t now_unix_ms);

  /// Up to `limit` changes of `account` newest first, with version < before_version (0: no
  /// bound), only those naming `partner` when it is not empty.
  std::vector<history_change> page(std::string_view account, uint32_t limit,
                                   uint64_t before_version, std::string_view partner) const;

  size_t changes() const { return changes_; }
  size_t accounts() const { return by_account_.size(); }
  const history_limits& limits() const { return limits_; }

private:
  /// One account's changes, back to back in one buffer (no allocation per change): each a
  /// fixed header (amount, balance, at, version, kind, the six strings' lengths) then its
  /// strings (txn, partner, round, game, ref, to; ids are at most 64 bytes).
  struct account_log {
    std::string bytes;
    size_t first = 0;      // byte offset of the oldest kept change (before: dropped)
    uint32_t count = 0;    // changes kept
    uint64_t newest_version = 0;
  };
  /// The offsets of `log`'s kept changes, oldest first.
  static std::vector<size_t> offsets(const account_log& log);
  static history_change load(const account_log& log, size_t at);
  void drop_oldest(account_log& log, uint32_t n);

  history_limits limits_;
  absl::flat_hash_map<std::string, account_log> by_account_;
  size_t changes_ = 0;
};

}  // namespace settle::ledger
