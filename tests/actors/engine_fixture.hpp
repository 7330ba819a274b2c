// An in-process engine (actor system + actors, no TCP) driven synchronously by tests.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/engine.hpp"
#include "actors/messages.hpp"
#include "protocol/messages.hpp"
#include "requests.hpp"

namespace settle::testing {

/// One engine per fixture; `call` sends a request and waits for its response.
class engine_fixture {
public:
  explicit engine_fixture(actors::engine_options opts = default_options());
  ~engine_fixture();

  static actors::engine_options default_options();

  protocol::response call(const protocol::request& r);
  /// Balance of any account (players, house:C, partner:P:C); asserts the call succeeded.
  int64_t balance_of(const std::string& account);
  /// The shards' counters, summed (remembered_ids is the shared store's, once).
  actors::shard_stats stats();

  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<actors::engine> eng;
};

}  // namespace settle::testing
