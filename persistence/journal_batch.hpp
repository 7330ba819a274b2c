// The stored form of a journal batch: msgpack, with a checksum and the previous batch's hash,
// so recovery can tell a tampered, truncated or reordered journal from a good one.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/journal.hpp"

namespace settle::persistence {

/// One group-committed batch of one journal shard.
struct journal_batch {
  uint32_t shard = 0;
  uint64_t seq = 0;        // 0, 1, 2, ... per shard
  uint64_t prev_hash = 0;  // hash of batch seq-1 (0 for the first)
  std::vector<journal_record> records;
};

/// Encodes `batch`; `hash` is what the next batch must carry as prev_hash. The hash covers
/// every byte before it (header and records), so it is both checksum and chain link.
std::string encode_batch(const journal_batch& batch, uint64_t& hash);

/// Appends one encoded record (the element form inside a batch) to `out`.
void append_record(std::string& out, const record_view& r);

/// Builds a batch from records already encoded with append_record (the writer's path: chunks
/// are concatenated, not re-encoded): begin_batch clears `out` and writes the header for
/// `records` records, the caller appends exactly that many encoded records, end_batch appends
/// the checksum and returns the hash (the next batch's prev_hash).
void begin_batch(std::string& out, uint32_t shard, uint64_t seq, uint64_t prev_hash,
                 uint32_t records);
uint64_t end_batch(std::string& out);

/// Decodes `count` records encoded back to back with append_record (tests and tools read
/// chunks with it). False when the bytes do not hold exactly that many well-formed records.
bool decode_records(std::string_view bytes, uint32_t count, std::vector<journal_record>& out);

/// A stored batch is damaged or not a batch; the message says what is wrong with it.
class journal_format_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A batch, decoded, and its hash (what the next batch must carry as prev_hash).
struct decoded_batch {
  journal_batch batch;
  uint64_t hash = 0;
};

/// Decodes one stored batch and checks its own checksum. Throws journal_format_error on any
/// damage.
decoded_batch decode_batch(std::string_view bytes);

/// The header fields of an encoded batch (its records are not read).
struct batch_header {
  uint32_t shard = 0;
  uint64_t seq = 0;
  uint64_t prev_hash = 0;
};
/// Reads the header of a batch built with begin_batch (the checksum is not checked). Throws
/// journal_format_error when `bytes` do not start with one.
batch_header read_batch_header(std::string_view bytes);

/// Result of checking a shard's stored batches in order.
struct chain_report {
  bool ok = true;
  size_t good_batches = 0;  // batches before the first bad one (all of them when ok)
  uint64_t last_hash = 0;   // hash of the last good batch
  std::string problem;      // names the shard, the position and what is wrong
};

/// Decodes `stored` (one shard's batches, oldest first), checking checksums, sequence numbers
/// and the hash chain starting from `start_hash` / `start_seq` (a snapshot's position).
/// Good batches are appended to `out`; the first bad one stops the walk.
chain_report verify_chain(uint32_t shard, const std::vector<std::string>& stored,
                          std::vector<journal_batch>& out, uint64_t start_hash = 0,
                          uint64_t start_seq = 0);

}  // namespace settle::persistence
