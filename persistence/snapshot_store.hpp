// Snapshots of the durable image in Redis, and recovery: newest snapshot + the journal after
// it. A snapshot holds nothing that is not in the journal, so building one (load_image, then
// write_snapshot) can run on a background thread while the engine keeps writing.
//
// Keys: settle:meta (hash; field account_shards), settle:snapshot:head ("<generation>
// <chunks>"), settle:snapshot:next (generation counter), settle:snapshot:chunk:<gen>:<i>
// (msgpack chunks of at most ~8 MB), settle:journal:<shard> (the journal streams).
// One snapshot writer at a time; loaders may run concurrently with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "persistence/durable_image.hpp"

namespace settle::persistence {

/// Where Redis is.
struct redis_address {
  std::string unix_socket;  // used when set, else host:port
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  uint32_t timeout_ms = 5000;  // connect and per-command timeout
};

/// How to treat a damaged journal.
struct load_options {
  bool stop_at_last_good = false;  // truncate the journal at the first bad batch instead of
                                   // refusing (loses what follows it: an operator's choice)
};

/// What load_image found and did.
struct load_report {
  size_t snapshot_accounts = 0, snapshot_ids = 0;
  size_t batches = 0, records = 0;  // journal after the snapshot
  double snapshot_ms = 0, replay_ms = 0;
  std::string truncated;  // what was cut with stop_at_last_good ("" = nothing)
};

/// Loads the newest complete snapshot (or an empty image) and folds every journal batch after
/// it, verifying checksums and the hash chain from the snapshot's position. Throws
/// std::runtime_error naming the shard and position (the verify_chain message; "batch i"
/// counts batches after the snapshot's position) on a damaged journal unless
/// stop_at_last_good, in which case the bad batch and everything after it in that stream are
/// deleted (XDEL) and described in report.truncated. An intact batch whose records do not fold
/// (version gap, balance mismatch, ...) is always refused, with its position and the fold's
/// message. A damaged snapshot is refused too (the journal before it is gone). If a newer
/// snapshot replaces the one being read meanwhile, the load starts over from it. Also throws
/// if the stored shard count (key settle:meta, field account_shards) differs from `shards`;
/// writes it when absent.
durable_image load_image(const redis_address& addr, uint32_t shards, const load_options& opts,
                         load_report& report);

/// Writes `img` as a new snapshot generation and makes it the newest (chunks of at most ~8 MB
/// per key; settle:snapshot:head is switched only after every chunk is stored; older
/// generations are deleted afterwards), then trims each journal stream to drop the entries
/// before positions[s].last_entry_id. That last folded entry itself is kept (never read again
/// by load_image) so a journal writer that reconnects still finds where its hash chain
/// continues; entries newer than the snapshot stay. Returns the bytes of snapshot written.
size_t write_snapshot(const redis_address& addr, const durable_image& img);

}  // namespace settle::persistence
