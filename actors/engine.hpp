// Spawns the engine's actors and tells callers where each request goes.
#pragma once

#include <functional>
#include <memory>

#include <caf/actor_system.hpp>

#include "actors/ledger_shard.hpp"
#include "actors/routing.hpp"
#include "persistence/journal.hpp"

namespace settle::actors {

/// Sizes and limits of the actor layer.
struct engine_options {
  uint32_t account_shards = 8;
  uint32_t ledger_shards = 8;
  uint32_t account_idle_ms = 5000;
  ledger_shard_options shard;
  /// Makes the journal stage of one ledger shard; default: in-memory.
  std::function<std::unique_ptr<persistence::journal_stage>(uint32_t shard)> make_journal;
};

/// The running actor layer. Requests are sent to `routes().target_for(req)`; every reply is
/// a protocol::response.
class engine {
public:
  engine(caf::actor_system& sys, engine_options opts);
  ~engine();

  const routing& routes() const { return *routes_; }
  std::shared_ptr<const routing> shared_routes() const { return routes_; }

  /// Stops every actor of the engine.
  void shutdown();

private:
  std::shared_ptr<routing> routes_;
};

}  // namespace settle::actors
