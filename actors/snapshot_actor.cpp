#include "actors/snapshot_actor.hpp"

#include <caf/send.hpp>

namespace settle::actors {

using protocol::error_code;
using protocol::op_kind;

snapshot_actor::snapshot_actor(caf::actor_config& cfg, snapshot_trigger trigger)
    : caf::event_based_actor(cfg), trigger_(std::move(trigger)) {
  // nop
}

caf::behavior snapshot_actor::make_behavior() {
  return {
      [=, this](const protocol::request& req) -> caf::result<protocol::response> {
        if (!trigger_)
          return protocol::make_error(op_kind::snapshot, req.rid, error_code::bad_request,
                                      "this engine runs with the journal off: there is "
                                      "nothing to snapshot");
        auto rp = make_response_promise<protocol::response>();
        auto id = next_++;
        waiting_.emplace(id, rp);
        auto self = caf::actor_cast<caf::actor>(this);
        auto rid = req.rid;
        // The completion runs on the snapshot thread: it only sends a message.
        trigger_([self, id, rid](bool ok, std::string message) {
          auto resp = ok ? protocol::response{}
                         : protocol::make_error(op_kind::snapshot, rid, error_code::unavailable,
                                                "snapshot failed: " + message);
          resp.op = op_kind::snapshot;
          resp.rid = rid;
          caf::anon_send(self, snapshot_done_atom::value, id, std::move(resp));
        });
        return rp;
      },
      [=, this](snapshot_done_atom, uint64_t id, protocol::response& resp) {
        auto it = waiting_.find(id);
        if (it == waiting_.end())
          return;
        it->second.deliver(std::move(resp));
        waiting_.erase(it);
      },
  };
}

}  // namespace settle::actors
