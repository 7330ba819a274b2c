// Where the journal writer hands the records of every durable batch (the Redis event
// publisher, persistence/redis_event_publisher.hpp).
#pragma once

#include <cstdint>
#include <string>

namespace settle::persistence {

/// Receives the records of every batch once it is durable, in order per shard. Called on the
/// journal writer's thread: must not block.
class durable_feed {
public:
  virtual ~durable_feed() = default;
  /// `bytes` holds `records` records encoded back to back (append_record), without the
  /// batch's header and checksum.
  virtual void durable(uint32_t shard, uint32_t records, std::string bytes) = 0;
};

}  // namespace settle::persistence
