// Flow control of one connection's events: written while the client keeps up, conflated to
// the latest per account (or partner and currency) while it does not, and cut off when it
// stays behind too long.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "actors/publisher.hpp"

namespace settle::gateway {

/// Limits of one subscriber connection.
struct subscriber_limits {
  uint32_t buffer_bytes = 1u << 20;  // written and not yet taken by the client, beyond which
                                     // events are conflated
  uint32_t max_conflated = 10'000;   // keys conflated at once, beyond which it is cut off
  uint32_t max_lag_ms = 5'000;       // time behind (conflating), beyond which it is cut off
};

/// The outbox of one connection. Not an actor: the session calls it and writes what it
/// returns. Memory per connection is bounded by buffer_bytes plus one delivery plus
/// max_conflated events.
class event_outbox {
public:
  using clock = std::chrono::steady_clock;
  enum class verdict { ok, too_many_conflated };

  explicit event_outbox(subscriber_limits limits) : limits_(limits) {}

  /// The events of one delivery: appended to `out` while `backlog_bytes` (written, not yet
  /// taken by the socket) plus the events fit buffer_bytes; conflated otherwise.
  verdict deliver(const actors::event_delivery& d, size_t backlog_bytes, std::vector<char>& out,
                  clock::time_point now);

  /// The socket took everything: the conflated events (the latest per key) go to `out`.
  void drained(std::vector<char>& out);

  /// True while events are being conflated (the client is behind).
  bool behind() const { return conflating_; }
  /// True when it has been behind longer than max_lag_ms.
  bool too_late(clock::time_point now) const;
  /// Keys conflated now; events replaced by a later one so far (both for tests and stats).
  size_t conflated_keys() const { return latest_.size(); }
  uint64_t skipped_events() const { return skipped_; }
  const subscriber_limits& limits() const { return limits_; }

private:
  subscriber_limits limits_;
  bool conflating_ = false;
  clock::time_point behind_since_{};
  // The latest frame per key while conflating, in the order the keys first fell behind.
  absl::flat_hash_map<uint64_t, size_t> slot_of_;
  std::vector<std::string> latest_;
  uint64_t skipped_ = 0;
};

}  // namespace settle::gateway
