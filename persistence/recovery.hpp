// Recovery: the newest snapshot (persistence/snapshot_store) plus the journal written after
// it, folded into the durable image, with the journal's checksums and hash chain verified.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "persistence/durable_image.hpp"
#include "persistence/journal_stream.hpp"
#include "persistence/redis_address.hpp"

namespace settle::persistence {

/// Where the journal is, and how to treat a damaged one.
struct load_options {
  bool stop_at_last_good = false;  // truncate the journal at the first bad batch instead of
                                   // refusing (loses what follows it: an operator's choice)
  std::string stream_prefix{default_journal_stream_prefix};  // as the journal writer names
                                                              // its streams
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

}  // namespace settle::persistence
