// Where partner settlement keeps what it must not lose, behind one seam (the settlement actor
// holds a settlement_store; tests may give it a fake): the settlement stream of records
// (contracts, FX rates, top-ups, suspensions, closes), each closed period's statement and
// reconcile rows, and the journal the periods are read from.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/period_scan.hpp"
#include "ledger/reconcile.hpp"
#include "ledger/settlement_book.hpp"
#include "persistence/redis_address.hpp"

namespace settle::persistence {

class settlement_store {
public:
  virtual ~settlement_store() = default;
  /// Every settlement record journaled, oldest first. Throws on an unreadable record.
  virtual std::vector<ledger::settlement_record> load() = 0;
  /// Journals one record; it is durable when this returns. Throws redis_error.
  virtual void append(const ledger::settlement_record& r) = 0;
  /// Feeds `c` every record of every shard's journal that may be in its windows (from the
  /// windows' earliest start on). Throws on a damaged batch or when Redis fails.
  virtual void scan(ledger::period_collector& c) = 0;
  /// Keeps a closed period: its statement (settle:statement:<partner>:<period>) and its rows
  /// (settle:rows:<partner>:<period>). Written before the close is journaled, so a close
  /// that is journaled always has them.
  virtual void put_period(const ledger::statement& st, const std::vector<ledger::txn_row>& rows) = 0;
  /// The rows of a closed period (empty when there were none). Throws when they are missing
  /// or damaged.
  virtual std::vector<ledger::txn_row> rows(std::string_view partner, uint64_t period) = 0;
};

/// Where the Redis store keeps things.
struct redis_settlement_options {
  std::string stream_prefix = "settle:journal:";  // the journal's; settlement: prefix+"settlement"
  uint32_t shards = 4;
  /// How far before a period's start the journal scan begins: a stream entry's id is the
  /// Redis clock when it was added, at or after its records' stamps on the same machine; the
  /// margin covers clocks that differ (it only costs reading more).
  int64_t scan_margin_ms = 60'000;
};

/// The settlement state the journaled records fold into. Throws std::runtime_error naming the
/// record when one does not apply (a damaged or reordered stream: the engine must not start).
ledger::settlement_book load_settlement(settlement_store& store);

std::unique_ptr<settlement_store> make_redis_settlement_store(const redis_address& addr,
                                                              redis_settlement_options opts);

/// The encoding of a period's rows kept in Redis (exposed for tests).
std::string encode_rows(const std::vector<ledger::txn_row>& rows);
/// Throws std::runtime_error on damaged bytes.
std::vector<ledger::txn_row> decode_rows(std::string_view bytes);

}  // namespace settle::persistence
