// The snapshot format, pure (no Redis): a durable image as chunks of bytes and back, with every
// check a loader needs. persistence/snapshot_store stores the chunks in Redis.
//
// A chunk is msgpack [format, generation, index, [items...], hash], where hash is
// content_hash of every byte before it (a fixed-width uint64, like journal batches);
// generation and index are inside the hashed bytes, so a chunk cannot pass for another one.
// An item is [tag, fields...]. The first item of a snapshot is its header (shard count,
// stream positions, how many items of each kind follow), the last its trailer (the counts
// again), so a snapshot missing its beginning or its end cannot pass for a complete one.
//
// Formats: 3 (written) keeps ids without the flag `has_amount`, which ledger::id_entry no
// longer has; 2 (still read, so an existing data directory loads) has it, always false.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <msgpack.hpp>

#include "persistence/durable_image.hpp"

namespace settle::persistence {

constexpr uint32_t snapshot_format = 3;
constexpr uint32_t snapshot_format_oldest_read = 2;
/// Redis copes with far bigger values; this bounds the memory a chunk takes to write or read.
constexpr size_t snapshot_chunk_bytes_max = 8u << 20;

/// A snapshot's bytes are damaged or not a snapshot: "snapshot generation G, chunk I[, item
/// K[, part]]: what is wrong".
class snapshot_format_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Receives each chunk once it is complete, in order (chunk i is the i-th call).
using chunk_sink = std::function<void(std::string chunk)>;

/// Encodes `img` as generation `gen` into chunks of at most `chunk_bytes_max` bytes (a single
/// item larger than that gets a chunk of its own), each handed to `sink` as soon as it is
/// full. Returns the number of chunks. Asserts that every currency of `img` sums to zero: a
/// ledger that does not is a bug, and must not be written down as if it were the truth.
uint32_t encode_snapshot(const durable_image& img, uint64_t gen, const chunk_sink& sink,
                         size_t chunk_bytes_max = snapshot_chunk_bytes_max);
/// The same, into a vector (tests and tools).
std::vector<std::string> encode_snapshot(const durable_image& img, uint64_t gen,
                                         size_t chunk_bytes_max = snapshot_chunk_bytes_max);

/// A chunk whose checksum and frame have been checked, unpacked; its items are not read yet.
struct opened_chunk {
  msgpack::object_handle handle;
  uint32_t format = 0;
  uint32_t index = 0;
  const msgpack::object* items = nullptr;  // the item array, inside `handle`
};

/// Checks the checksum of `bytes` first (nothing of a damaged chunk is interpreted), then that
/// it is chunk `index` of generation `gen` in a format this build reads. Any thread. Throws
/// snapshot_format_error naming the chunk.
opened_chunk open_chunk(std::string_view bytes, uint64_t gen, uint32_t index);

namespace snapshot_detail {
/// Item tags inside chunks.
enum class item : uint8_t { header, account, id, clearing, transfer, trailer };
constexpr size_t hash_bytes = 9;  // the checksum at the end of a chunk: 0xcf and 8 bytes
struct decode_state;              // snapshot_decoder.cpp
}  // namespace snapshot_detail

/// Rebuilds the image from the opened chunks of one generation, handed over in order.
class snapshot_decoder {
public:
  /// `shards`: the configured shard count, which the snapshot must have.
  snapshot_decoder(uint64_t gen, uint32_t shards);
  ~snapshot_decoder();
  snapshot_decoder(const snapshot_decoder&) = delete;
  snapshot_decoder& operator=(const snapshot_decoder&) = delete;

  /// Reads the items of the next chunk. Throws snapshot_format_error naming the chunk and the
  /// item (order of header, items and trailer; types and ranges of fields; duplicates;
  /// counts), or std::runtime_error when the snapshot has another shard count.
  void add(const opened_chunk& chunk);
  /// The image, once every chunk was added. Throws snapshot_format_error when no trailer came.
  /// Asserts that every currency sums to zero: once the checksums passed, one that does not
  /// was written by a bug, not damaged in storage.
  durable_image finish();

private:
  std::unique_ptr<snapshot_detail::decode_state> state_;
};

/// Opens and decodes every chunk of generation `gen` (tests and tools).
durable_image decode_snapshot(const std::vector<std::string>& chunks, uint64_t gen,
                              uint32_t shards);

}  // namespace settle::persistence
