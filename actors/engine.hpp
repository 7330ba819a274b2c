// Spawns the engine's actors and tells callers where each request goes.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>

#include <functional>

#include "actors/ledger_shard.hpp"
#include "persistence/audit_stream.hpp"
#include "actors/publisher.hpp"
#include "actors/routing.hpp"
#include "actors/settlement_actor.hpp"
#include "actors/snapshot_actor.hpp"
#include "ledger/clearing.hpp"
#include "ledger/id_store.hpp"
#include "persistence/journal.hpp"

namespace settle::actors {

/// Durable state the engine starts from (moved into its actors).
struct engine_seed {
  std::vector<ledger_shard::account_map> accounts;  // per shard, or empty
  std::vector<ledger::partner_spill> partner_spill; // per shard, or empty
  std::vector<ledger::history_log> history;         // per shard, or empty (none kept)
  ledger::id_map ids;
  std::map<std::pair<std::string, ledger::currency_code>, ledger::clearing_account> clearing;
  ledger::settlement_book settlement;  // folded from the settlement stream
  ledger::live_view settlement_live;   // the open periods' totals, from the journal
};

/// Sizes and limits of the actor layer.
struct engine_options {
  uint32_t shards = 4;  // ledger shards, also the number of journal streams
  ledger_shard_options shard;
  /// Where account changes are journaled; null: nowhere (in memory only, answers at once).
  std::shared_ptr<persistence::journal_writer> journal;
  /// Starts a snapshot (admin op `snapshot`); empty: the op is refused (journal off).
  snapshot_trigger snapshot;
  /// Subscriptions and their events.
  publisher_options events;
  uint32_t partner_event_interval_ms = 100;  // followed partners publish totals this often
  bool publish_all_partners = false;  // totals published even when unfollowed (Redis)
  int64_t max_queued_events = 1'000'000;  // on their way to the publisher (event_gate)
  settlement_options settlement;  // partner settlement (store null: refused)
  std::shared_ptr<persistence::audit_store> audit;  // null: admin ops are not audited
  std::function<void(const std::string&)> log;      // the auditor's failures
  /// Counted here for /metrics (accounts, subscribers, alerts firing); null: not counted.
  std::shared_ptr<metrics::engine_metrics> metrics;
};

/// The running actor layer. Requests are sent to `routes().target_for(req)`: a ledger shard
/// takes request_batch messages (answered with reply_batch) and single protocol::requests
/// (answered with a protocol::response); the registry and the snapshotter take
/// protocol::requests.
class engine {
public:
  engine(caf::actor_system& sys, engine_options opts, engine_seed seed = {});
  ~engine();

  const routing& routes() const { return *routes_; }
  std::shared_ptr<const routing> shared_routes() const { return routes_; }
  /// The ids every shard shares (tests and stats).
  const ledger::id_store& ids() const { return *ids_; }

  /// Stops every actor of the engine and waits until they are gone (the ledger shards run on
  /// the I/O thread, which must see their exit before the actor system stops it).
  void shutdown();
  /// Sends every actor of the engine its exit, in shutdown()'s order, and returns at once: for
  /// a caller that runs the actors itself and keeps running them until they are gone (tests
  /// stepping them under CAF's test coordinator, where shutdown()'s wait would never end).
  /// Neither shutdown() nor the destructor waits afterwards.
  void stop();

private:
  /// Every actor of the engine, in the order they are stopped.
  std::vector<caf::actor> stop_order() const;

  caf::actor_system& sys_;
  bool stopped_ = false;  // stop() was called: the caller waits, not us
  std::shared_ptr<routing> routes_;
  std::shared_ptr<ledger::id_store> ids_;
};

}  // namespace settle::actors
