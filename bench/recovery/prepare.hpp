// Builds the durable state a restart recovers from, straight through the persistence APIs
// (a snapshot of N accounts plus M journal records after it): the engine's TCP protocol
// would take minutes to open ten million accounts.
#pragma once

#include <cstdint>
#include <string>

#include "persistence/snapshot_store.hpp"

namespace settle::bench::recovery {

/// What to prepare.
struct prepare_options {
  uint64_t accounts = 10'000'000;
  uint64_t records = 1'000'000;  // deposits to accounts 0..records-1, one each
  uint32_t shards = 1;
  uint32_t records_per_chunk = 4096;  // one chunk per journal batch (see write_journal)
};

/// How long each preparation step took and what it wrote.
struct prepare_report {
  double image_build_ms = 0, snapshot_write_ms = 0, journal_write_ms = 0;
  size_t snapshot_bytes = 0;
  uint64_t journal_chunks = 0;
};

/// The id of account `index`: "p0000001" (7 digits, more when index needs them).
std::string account_id(uint64_t index);

/// The amount of every prepared deposit, in minor units.
inline constexpr int64_t deposit_minor_units = 100;

/// The journal shard of `account` among `shards`: the engine's actors::shard_index (not
/// included here: that header pulls in CAF).
uint32_t shard_of(std::string_view account, uint32_t shards);

/// Writes the snapshot (accounts only, balance 0, version 0, EUR players; settle:meta gets
/// account_shards = shards through write_snapshot) and then the journal records, waiting until
/// Redis has every chunk. Throws std::runtime_error on any failure. Redis must be empty.
prepare_report prepare_state(const persistence::redis_address& addr, const prepare_options& o);

}  // namespace settle::bench::recovery
