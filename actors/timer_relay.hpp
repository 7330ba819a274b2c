// Carries the ledger shards' delayed messages.
#pragma once

#include <caf/event_based_actor.hpp>

namespace settle::actors {

/// Forwards `(forward_atom, target, message)` to `target`. The ledger shards run on the I/O
/// thread as brokers, and a delayed message that CAF 0.17's clock delivers straight to a
/// broker can leave the broker unreleased when the system stops (LeakSanitizer caught it in
/// the tests); a timer aimed at this plain actor instead is dropped once it has stopped, and
/// the engine stops it before the shards.
class timer_relay : public caf::event_based_actor {
public:
  using caf::event_based_actor::event_based_actor;
  caf::behavior make_behavior() override;
};

}  // namespace settle::actors
