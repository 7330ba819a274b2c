// The journal's Redis streams, one per shard, named <prefix><shard>: the entries' ids and
// batch bytes (field "b"), read a page at a time, and the two ways entries go away (cut after
// damage, trimmed once a snapshot holds them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct redisReply;

namespace settle::persistence {

class redis_connection;

/// The prefix settled names its journal streams with unless configured otherwise.
constexpr std::string_view default_journal_stream_prefix = "settle:journal:";

/// The stream key of a shard: prefix + shard.
std::string journal_stream_key(std::string_view prefix, uint32_t shard);

/// Entries of one stream, oldest first: their ids and batches. An entry without a batch field
/// has an empty batch, which verify_chain reports as damage (with its position).
struct stream_entries {
  std::vector<std::string> ids, batches;
};

/// The entries of an XRANGE or XREVRANGE reply. Throws std::runtime_error naming `key` when
/// the reply does not have their shape.
stream_entries parse_stream_entries(const redisReply* reply, const std::string& key);

/// Up to `count` entries of `key` from `from` on ("-": the first; "(id": after id).
stream_entries read_stream_page(redis_connection& c, const std::string& key,
                                const std::string& from, size_t count);

/// Deletes entry `from_id` of `key` and every later one; returns how many went.
size_t cut_stream(redis_connection& c, const std::string& key, const std::string& from_id);

/// Drops the entries of `key` before `min_id` (that one stays).
void trim_stream(redis_connection& c, const std::string& key, const std::string& min_id);

}  // namespace settle::persistence
