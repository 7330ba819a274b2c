#include "actors/timer_relay.hpp"

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace settle::actors {

caf::behavior timer_relay::make_behavior() {
  return {
      [=, this](forward_atom, caf::actor& target, caf::message& msg) {
        send(target, std::move(msg));
      },
  };
}

}  // namespace settle::actors
