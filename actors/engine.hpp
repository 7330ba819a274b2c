// Spawns the engine's actors and tells callers where each request goes.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>

#include "actors/account_directory.hpp"
#include "actors/ledger_shard.hpp"
#include "actors/routing.hpp"
#include "actors/snapshot_actor.hpp"
#include "ledger/clearing.hpp"
#include "ledger/id_store.hpp"
#include "persistence/journal.hpp"

namespace settle::actors {

/// Durable state the engine starts from (moved into its actors).
struct engine_seed {
  std::vector<account_directory::account_map> accounts;  // per account shard, or empty
  std::vector<std::pair<std::string, ledger::id_entry>> ids;
  std::map<std::pair<std::string, ledger::currency_code>, ledger::clearing_account> clearing;
};

/// Sizes and limits of the actor layer.
struct engine_options {
  uint32_t account_shards = 8;  // also the number of journal shards
  uint32_t ledger_shards = 8;
  uint32_t account_idle_ms = 5000;
  ledger_shard_options shard;
  /// Where account changes are journaled; default: memory_journal (no durability).
  std::shared_ptr<persistence::journal_writer> journal;
  /// Starts a snapshot (admin op `snapshot`); empty: the op is refused (journal off).
  snapshot_trigger snapshot;
};

/// The running actor layer. Requests are sent to `routes().target_for(req)`; every reply is
/// a protocol::response.
class engine {
public:
  engine(caf::actor_system& sys, engine_options opts, engine_seed seed = {});
  ~engine();

  const routing& routes() const { return *routes_; }
  std::shared_ptr<const routing> shared_routes() const { return routes_; }

  /// Stops every actor of the engine.
  void shutdown();

private:
  std::shared_ptr<routing> routes_;
};

}  // namespace settle::actors
