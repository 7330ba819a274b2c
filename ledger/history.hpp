// Account history: the accounts' recent changes, for the `history` op and the dashboard's
// account page. One log per ledger shard: every change it keeps appended at the log's end
// (1 MiB blocks: no allocation per change, writes in order), each linked to the same
// account's change before it; an account's state holds the position of its newest
// (account_state::history_head), so keeping a change costs no lookup and undoing one is
// restoring the account (the change stays in the log, unreachable). The live shard adds
// every journaled record it applies; at start the same add() is fed the journal from
// now - retention on (the journal is kept that long: persistence/durable_store), so the
// history a restart shows is the history before it. Pure: times come from the records and
// from the caller.
//
// What is kept: applied txn records (bets, wins, rollbacks, deposits, withdrawals, transfer
// legs); none older than retention_ms, and at most max_bytes of log (the oldest blocks go
// first). Notes (noop and duplicate rollbacks) and opens/blocks are not changes of the
// balance and are not kept.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "ledger/record.hpp"

namespace settle::ledger {

/// One change of an account's balance: what a `history` answer carries.
using history_change = protocol::history_entry;

struct history_limits {
  int64_t retention_ms = 30LL * 24 * 3600 * 1000;  // 0: nothing is kept
  uint64_t max_bytes = uint64_t{1} << 30;          // the log's size (at least one block)
};

/// True for the records history keeps.
bool kept_in_history(const record_view& rec);

/// One shard's history log.
class history_log {
public:
  static constexpr size_t block_bytes = size_t{1} << 20;

  explicit history_log(history_limits limits = {}) : limits_(limits) {}

  bool enabled() const { return limits_.retention_ms > 0; }

  /// Appends `rec` (kept_in_history) as the account's newest change after `head` (its
  /// previous newest, 0: none); returns the new head. Drops the oldest block beyond
  /// max_bytes.
  uint64_t add(const record_view& rec, uint64_t head);

  /// Up to `limit` changes from `head` back, newest first, with version < before_version (0:
  /// no bound), only those naming `partner` when it is not empty, none made before
  /// now_unix_ms - retention_ms.
  std::vector<history_change> page(uint64_t head, uint32_t limit, uint64_t before_version,
                                   std::string_view partner, int64_t now_unix_ms) const;

  /// Drops the blocks whose every change was made before now_unix_ms - retention_ms;
  /// returns how many changes went.
  size_t expire(int64_t now_unix_ms);

  /// At start: add() for a record read back from the journal, the account's head kept here
  /// by name (head_of) until the shard takes them. A record whose version does not follow
  /// the account's newest (journaled twice around a resync) is skipped (false).
  bool add_replayed(const record_view& rec);
  uint64_t head_of(std::string_view account) const;
  /// The start is over: the names are not needed any more.
  void forget_names() { heads_ = {}; }

  size_t changes() const { return changes_; }
  uint64_t bytes() const { return blocks_.size() * block_bytes; }
  const history_limits& limits() const { return limits_; }

private:
  struct block {
    std::unique_ptr<char[]> bytes;
    size_t used = 0;
    size_t changes = 0;
    int64_t newest_at_ms = INT64_MIN;
  };
  /// The block holding position `pos` (nullptr: dropped or never written).
  const block* block_of(uint64_t pos) const;
  void drop_oldest_block();

  history_limits limits_;
  std::unique_ptr<char[]> spare_;  // the last dropped block's buffer, reused
  std::vector<block> blocks_;  // oldest first (a vector: history_log moves without throwing)
  uint64_t first_block_ = 0;  // the sequence number of blocks_.front()
  size_t changes_ = 0;
  absl::flat_hash_map<std::string, uint64_t> heads_;  // at start only: account -> head
};

}  // namespace settle::ledger
