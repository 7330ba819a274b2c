// Snapshots of the durable image in Redis: the chunks persistence/snapshot_format makes,
// stored per generation, and the head naming the newest complete one. A snapshot holds
// nothing that is not in the journal, so building one (load_image, then write_snapshot) can
// run on a background thread while the engine keeps writing.
//
// Keys: settle:meta (hash; field account_shards), settle:snapshot:head ("<generation>
// <chunks>"), settle:snapshot:next (generation counter), settle:snapshot:chunk:<gen>:<i>
// (the chunks); the journal streams are trimmed behind a snapshot. One snapshot writer at a
// time; loaders may run concurrently with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "persistence/durable_image.hpp"
#include "persistence/journal_stream.hpp"
#include "persistence/recovery.hpp"  // load_image: what most users of snapshots call first
#include "persistence/redis_address.hpp"

namespace settle::persistence {

class redis_connection;

/// Checks that Redis holds a ledger of `shards` account shards (key settle:meta, field
/// account_shards), recording it when absent. Throws std::runtime_error otherwise: accounts
/// are placed by stable_hash % shards, so another count would look for them in the wrong
/// streams.
void check_meta(redis_connection& c, uint32_t shards);

/// The head's value ("<gen> <chunks>"), "" when there is no snapshot yet.
std::string read_snapshot_head(redis_connection& c);

/// Loads the snapshot `head` names (an empty image of `shards` shards for ""), reading and
/// checking chunks ahead on a connection of its own. nullopt when a chunk is missing or
/// damaged because the head moved meanwhile (a newer snapshot replaced this one and deleted
/// its chunks): read the new head. Throws std::runtime_error (snapshot_format_error for
/// damage) naming the generation and chunk otherwise.
std::optional<durable_image> read_snapshot(const redis_address& addr, const std::string& head,
                                           uint32_t shards);

/// Writes `img` as a new snapshot generation and makes it the newest (settle:snapshot:head
/// is switched only after every chunk is stored; older generations are deleted afterwards),
/// then trims each journal stream (<stream_prefix><shard>) to drop the entries before
/// positions[s].last_entry_id. That last folded entry itself is kept (never read again by
/// load_image) so a journal writer that reconnects still finds where its hash chain
/// continues; entries newer than the snapshot stay. Returns the bytes of snapshot written.
/// Entries added at or after `keep_from_unix_ms` (by their stream id) are never trimmed:
/// partner settlement reads its open periods from the journal (persistence/settlement_store).
/// Throws std::runtime_error on a shard count other than Redis holds, and on Redis failures.
size_t write_snapshot(const redis_address& addr, const durable_image& img,
                      std::string_view stream_prefix = default_journal_stream_prefix,
                      int64_t keep_from_unix_ms = INT64_MAX);

}  // namespace settle::persistence
