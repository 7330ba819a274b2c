// Answers the admin op `snapshot`: asks the durable side for a snapshot and replies when it
// is written.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <absl/container/flat_hash_map.h>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "actors/messages.hpp"

namespace settle::actors {

/// Starts a snapshot; calls `done(ok, message)` (on any thread) when it is written or failed.
using snapshot_trigger =
    std::function<void(std::function<void(bool ok, std::string message)> done)>;

/// Turns a snapshot request into a call of the trigger and its completion into the reply.
/// Without a trigger (journal off) the op is refused.
class snapshot_actor : public caf::event_based_actor {
public:
  snapshot_actor(caf::actor_config& cfg, snapshot_trigger trigger);
  caf::behavior make_behavior() override;

private:
  snapshot_trigger trigger_;
  uint64_t next_ = 0;
  absl::flat_hash_map<uint64_t, caf::typed_response_promise<protocol::response>> waiting_;
};

}  // namespace settle::actors
