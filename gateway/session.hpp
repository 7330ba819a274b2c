// TCP side of the engine: one CAF broker per connection turns frames into requests and
// responses into frames; an acceptor broker enforces the connection limit.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/io/broker.hpp>

#include "actors/routing.hpp"
#include "gateway/authorization.hpp"
#include "gateway/event_outbox.hpp"
#include "metrics/engine_metrics.hpp"

namespace settle::gateway {

/// Limits of the TCP gateway.
struct gateway_options {
  uint32_t max_frame_bytes = 1u << 20;
  uint32_t max_in_flight_per_connection = 4096;
  uint32_t max_connections = 1024;
  subscriber_limits subscribers;  // per connection that subscribed
};

/// Shared, read-only after start (except the live connection counter).
struct gateway_context {
  std::shared_ptr<const actors::routing> routes;
  gateway_options opts;
  token_table tokens;
  std::atomic<uint32_t> live_connections{0};
  std::shared_ptr<metrics::engine_metrics> metrics;  // answers counted here (null: not)

  gateway_context(std::shared_ptr<const actors::routing> r, gateway_options o, token_table t)
      : routes(std::move(r)), opts(o), tokens(std::move(t)) {}
};

/// Behaviour of the broker serving one connection.
caf::behavior session(caf::io::broker* self, caf::io::connection_handle hdl,
                      std::shared_ptr<gateway_context> ctx);

/// Behaviour of the listening broker. Call `add_tcp_doorman` on it before it accepts.
caf::behavior acceptor(caf::io::broker* self, std::shared_ptr<gateway_context> ctx);

}  // namespace settle::gateway
