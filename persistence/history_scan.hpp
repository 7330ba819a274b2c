// Account history at start: the journal of the last retention read once, each shard's
// records added to its history book (ledger/history.hpp) in journal order, the same add()
// the live shard calls. The journal is kept that long for this (durable_store's snapshots
// trim nothing newer than now - retention).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "ledger/history.hpp"

namespace settle::persistence {

class redis_connection;

/// Per shard, the history of the records stamped at or after now_unix_ms - retention.
/// `offset_ms`: the engine clock minus Redis's (entry ids are Redis's clock). A record whose
/// version does not follow its account's newest kept one (journaled twice around a resync)
/// is skipped. Throws std::runtime_error on Redis failures and damaged batches.
std::vector<ledger::history_log> scan_history(redis_connection& c, std::string_view prefix,
                                               uint32_t shards, ledger::history_limits limits,
                                               int64_t now_unix_ms, int64_t offset_ms);

}  // namespace settle::persistence
