// The audit stream: every admin op (who, what, when, result) appended to one Redis stream
// (<journal stream prefix>audit, one entry per op with fields at, who, op, target, result,
// message) that the engine never trims or rewrites, and read back newest first for `audit`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/redis_address.hpp"
#include "protocol/messages.hpp"

namespace settle::persistence {

/// Where audit entries go (an interface so actors and tests need no Redis).
class audit_store {
public:
  virtual ~audit_store() = default;
  /// Appends `e` (its id is the store's); returns the id. Throws std::runtime_error when the
  /// entry could not be stored.
  virtual std::string append(const protocol::audit_entry& e) = 0;
  /// Up to `limit` entries newest first, older than entry id `before` ("" the newest).
  virtual std::vector<protocol::audit_entry> read(uint32_t limit, std::string_view before) = 0;
};

/// The audit stream in Redis at `key`. One connection, reconnected once per call when lost.
std::shared_ptr<audit_store> make_redis_audit_store(const redis_address& addr, std::string key);

/// The entry of an XREVRANGE row (tests: the fields as stored).
protocol::audit_entry audit_entry_of(std::string id,
                                     const std::vector<std::pair<std::string, std::string>>& f);

}  // namespace settle::persistence
