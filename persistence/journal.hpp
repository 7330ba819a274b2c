// The journal's interface: chunks of encoded records handed to a writer, and what became of
// them. One journal shard per account shard, so all records of one account sit in one stream in
// the order they happened.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/record.hpp"
#include "protocol/messages.hpp"

namespace settle::persistence {

// The record types are the ledger's (ledger/record.hpp): what a record means is decided there.
using ledger::journal_record;
using ledger::leg_role;
using ledger::record_type;
using ledger::record_view;

/// The views of an owned record.
record_view view_of(const journal_record& r);

/// What became of appended records.
enum class durability : uint8_t {
  durable,    // their batch is in Redis
  failed,     // their batch is certainly not in Redis
  uncertain,  // Redis did not answer in time; durable or failed follows once it is known
};

/// Records of one journal shard handed to the writer together: a contiguous piece of one
/// stored batch (a batch may hold several chunks of its shard, never part of one).
struct journal_chunk {
  uint32_t shard = 0;
  uint64_t seq = 0;    // the shard's own chunk numbering: 1, 2, 3, ... in append order
  uint64_t epoch = 0;  // see journal_writer::append
  uint32_t records = 0;
  std::string bytes;   // the records, msgpack-encoded and concatenated (append_record)
};

/// Outcome of the chunks `first`..`last` of one shard. For each chunk exactly one `durable` or
/// `failed` is reported, possibly preceded by one `uncertain`; reports of a shard come in
/// chunk order. Runs on the writer's thread: it must not block.
using chunk_outcome = std::function<void(uint64_t first, uint64_t last, durability)>;

/// Where journal chunks go. Thread-safe.
class journal_writer {
public:
  virtual ~journal_writer() = default;
  /// Sets where the outcomes of `shard`'s chunks are reported. Call before its first append.
  virtual void attach(uint32_t shard, chunk_outcome done) = 0;
  /// Queues `chunk`. False when the queue is full or the shard is out of range; nothing is
  /// reported for a refused chunk. Chunks of one shard land in append order and never after a
  /// gap: once a chunk fails, every later chunk of that shard with the same or an older epoch
  /// fails too (without being written). A shard that undoes a failed chunk then appends with
  /// a newer epoch, so nothing built on the undone state can land.
  virtual bool append(journal_chunk chunk) = 0;
};

}  // namespace settle::persistence
