#include "persistence/snapshot_store.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <stdexcept>
#include <utility>
#include <vector>

#include "persistence/read_ahead.hpp"
#include "persistence/redis_connection.hpp"
#include "persistence/snapshot_format.hpp"

namespace settle::persistence {

namespace {

const std::string meta_key = "settle:meta";
const std::string head_key = "settle:snapshot:head";
const std::string generation_key = "settle:snapshot:next";
const std::string chunk_prefix = "settle:snapshot:chunk:";

std::string chunk_key(uint64_t gen, uint32_t index) {
  return chunk_prefix + std::to_string(gen) + ":" + std::to_string(index);
}

template <class Int>
bool parse_int(std::string_view s, Int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

struct snapshot_head {
  uint64_t gen = 0;
  uint32_t chunks = 0;
};

snapshot_head parse_head(const std::string& head) {
  snapshot_head h;
  auto space = head.find(' ');
  if (space == std::string::npos ||
      !parse_int(std::string_view{head}.substr(0, space), h.gen) ||
      !parse_int(std::string_view{head}.substr(space + 1), h.chunks) || h.chunks == 0)
    throw std::runtime_error(head_key + " is malformed: '" + head + "'");
  return h;
}

/// A chunk as the reader thread hands it over: opened, or nothing because the head moved.
struct fetched_chunk {
  opened_chunk chunk;
  bool head_moved = false;
};

/// Fetches and opens chunk `i` on the reader thread's connection. A chunk that is missing or
/// damaged may be one a newer snapshot has deleted meanwhile: only if the head still names
/// this snapshot is it a failure.
fetched_chunk fetch_chunk(redis_connection& c, const std::string& head, uint64_t gen,
                          uint32_t i) {
  auto r = c.run({"GET", chunk_key(gen, i)});
  if (r->type == REDIS_REPLY_STRING) {
    try {
      return {open_chunk(reply_text(r.get()), gen, i)};
    } catch (const snapshot_format_error&) {
      if (read_snapshot_head(c) == head)
        throw;
      return {{}, true};
    }
  }
  if (read_snapshot_head(c) == head)
    throw snapshot_format_error("snapshot generation " + std::to_string(gen) + ", chunk " +
                                std::to_string(i) + ": missing");
  return {{}, true};
}

/// Deletes the chunks of generations before `gen` (and of writers that died before
/// switching the head).
void delete_generations_before(redis_connection& c, uint64_t gen) {
  std::string cursor = "0";
  do {
    auto r = c.run({"SCAN", cursor, "MATCH", chunk_prefix + "*", "COUNT", "1000"});
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
      throw std::runtime_error("Redis at " + c.address().name() + ": SCAN answered unexpectedly");
    cursor = std::string{reply_text(r->element[0])};
    const redisReply* keys = r->element[1];
    for (size_t i = 0; i < keys->elements; ++i) {
      std::string key{reply_text(keys->element[i])};
      std::string_view rest = std::string_view{key}.substr(chunk_prefix.size());
      uint64_t old = 0;
      if (parse_int(rest.substr(0, rest.find(':')), old) && old < gen)
        c.run({"UNLINK", key});
    }
  } while (cursor != "0");
}

}  // namespace

void check_meta(redis_connection& c, uint32_t shards) {
  auto s = std::to_string(shards);
  c.run({"HSETNX", meta_key, "account_shards", s});  // first start: record it
  auto r = c.run({"HGET", meta_key, "account_shards"});
  uint32_t stored = 0;
  if (r->type != REDIS_REPLY_STRING || !parse_int(reply_text(r.get()), stored))
    throw std::runtime_error(meta_key + " account_shards is unreadable");
  if (stored != shards)
    throw std::runtime_error("Redis holds a ledger of " + std::to_string(stored) +
                             " account shards but " + s +
                             " are configured (the shard count cannot change)");
}

std::string read_snapshot_head(redis_connection& c) {
  auto r = c.run({"GET", head_key});
  return r->type == REDIS_REPLY_STRING ? std::string{reply_text(r.get())} : std::string{};
}

std::optional<durable_image> read_snapshot(const redis_address& addr, const std::string& head,
                                           uint32_t shards) {
  if (head.empty())
    return durable_image{shards};
  auto [gen, chunks] = parse_head(head);
  read_ahead<fetched_chunk> reader{[&addr, &head, gen, chunks](const auto& emit) {
    redis_connection c{addr};  // a connection of the reader thread's own
    for (uint32_t i = 0; i < chunks; ++i) {
      auto f = fetch_chunk(c, head, gen, i);
      bool moved = f.head_moved;
      if (!emit(std::move(f)) || moved)
        return;
    }
  }};
  snapshot_decoder decoder{gen, shards};
  for (uint32_t i = 0; i < chunks; ++i) {
    auto f = reader.next();
    if (!f)
      throw std::runtime_error("snapshot generation " + std::to_string(gen) + ", chunk " +
                               std::to_string(i) + ": not read");
    if (f->head_moved)
      return std::nullopt;
    decoder.add(f->chunk);
  }
  return decoder.finish();
}

namespace {

/// The older of a stream id and `<unix_ms>-0`.
std::string older_id(const std::string& id, int64_t unix_ms) {
  if (unix_ms == INT64_MAX)
    return id;
  const auto ms = std::stoull(id.substr(0, id.find('-')));
  return ms < static_cast<uint64_t>(std::max<int64_t>(0, unix_ms))
             ? id
             : std::to_string(std::max<int64_t>(0, unix_ms)) + "-0";
}

}  // namespace

size_t write_snapshot(const redis_address& addr, const durable_image& img,
                      std::string_view stream_prefix, int64_t keep_from_unix_ms) {
  if (img.shards == 0 || img.accounts.size() != img.shards || img.positions.size() != img.shards)
    throw std::invalid_argument("the image's shard count does not match its tables");
  redis_connection c{addr};
  check_meta(c, img.shards);
  auto gen = static_cast<uint64_t>(c.run({"INCR", generation_key})->integer);

  size_t bytes = 0;
  uint32_t stored = 0;
  uint32_t chunks = encode_snapshot(img, gen, [&](std::string chunk) {
    c.run({"SET", chunk_key(gen, stored++), chunk});  // each as soon as it is full
    bytes += chunk.size();
  });
  // The switch: before it loaders see the previous snapshot, after it this one; never a mix.
  c.run({"SET", head_key, std::to_string(gen) + " " + std::to_string(chunks)});
  delete_generations_before(c, gen);

  // Entries before the last folded one are in the snapshot now. The last folded entry stays:
  // it is where a journal writer that reconnects reads its chain's sequence and hash.
  for (uint32_t s = 0; s < img.shards; ++s)
    if (!img.positions[s].last_entry_id.empty())
      trim_stream(c, journal_stream_key(stream_prefix, s),
                  older_id(img.positions[s].last_entry_id, keep_from_unix_ms));
  return bytes;
}

}  // namespace settle::persistence
