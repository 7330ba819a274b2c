#include "actors/engine.hpp"

#include <stdexcept>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/audit_actor.hpp"
#include "actors/clearing_registry.hpp"
#include "actors/publisher.hpp"
#include "actors/snapshot_actor.hpp"
#include "actors/timer_relay.hpp"

namespace settle::actors {

using protocol::op_kind;

const caf::actor& routing::target_for(const protocol::request_view& req) const {
  if (protocol::is_settlement_op(req.op))
    return settlement;
  switch (req.op) {
    case op_kind::partner:
      return registry;
    case op_kind::snapshot:
      return snapshotter;
    case op_kind::audit:
      return auditor;
    case op_kind::balance:
      if (ledger::is_reserved_account(req.account))
        return registry;
      return shard_for(req.account);
    default:  // txn, open, block, unblock, history (hello never reaches the engine)
      return shard_for(req.account);
  }
}

engine::engine(caf::actor_system& sys, engine_options opts, engine_seed seed)
    : sys_(sys), routes_(std::make_shared<routing>()), ids_(std::make_shared<ledger::id_store>()) {
  if (opts.shards == 0)
    throw std::invalid_argument("engine needs at least one ledger shard");
  if (!seed.accounts.empty() && seed.accounts.size() != opts.shards)
    throw std::invalid_argument("recovered accounts are split into " +
                                std::to_string(seed.accounts.size()) + " shards, not " +
                                std::to_string(opts.shards));
  seed.accounts.resize(opts.shards);
  seed.partner_spill.resize(opts.shards);
  if (seed.history.size() != opts.shards) {
    seed.history.clear();
    for (uint32_t i = 0; i < opts.shards; ++i)
      seed.history.emplace_back(opts.shard.history);
  }
  ids_->reserve(seed.ids.size());
  for (auto& [key, entry] : seed.ids)
    ids_->put(key, std::move(entry));
  seed.ids = {};
  // Handles are filled before any request can arrive; actors read them only in handlers.
  routes_->snapshotter = sys.spawn<snapshot_actor>(std::move(opts.snapshot));
  routes_->timers = sys.spawn<timer_relay>();
  // Detached when it has a store: appends block on Redis.
  if (opts.audit)
    routes_->auditor = sys.spawn<audit_actor, caf::detached>(opts.audit, opts.metrics, opts.log);
  else
    routes_->auditor = sys.spawn<audit_actor>(nullptr, opts.metrics, opts.log);
  routes_->events = std::make_shared<event_gate>(opts.max_queued_events);
  opts.events.metrics = opts.metrics;
  opts.settlement.metrics = opts.metrics;
  routes_->publisher = sys.spawn<publisher>(std::shared_ptr<const routing>(routes_),
                                            std::move(opts.events));
  routes_->registry = sys.spawn<clearing_registry>(
      std::shared_ptr<const routing>(routes_), std::move(seed.clearing),
      opts.partner_event_interval_ms, opts.publish_all_partners);
  for (uint32_t i = 0; i < opts.shards; ++i) {
    ledger_shard_setup s;
    s.index = i;
    s.routes = routes_;
    s.ids = ids_;
    s.journal = opts.journal;
    s.opts = opts.shard;
    s.accounts = std::move(seed.accounts[i]);
    s.partner_spill = std::move(seed.partner_spill[i]);
    s.history = std::move(seed.history[i]);
    s.metrics = opts.metrics;
    caf::actor_config acfg{&sys.middleman().backend()};
    routes_->ledger_shards.push_back(sys.spawn_impl<ledger_shard, caf::no_spawn_options>(acfg, std::move(s)));
  }
  // After the shards: it tells them their partner gates as it starts. Detached when it has
  // a store, which blocks on Redis (closes read the journal).
  if (opts.settlement.store)
    routes_->settlement = sys.spawn<settlement_actor, caf::detached>(
        std::shared_ptr<const routing>(routes_), std::move(opts.settlement),
        std::move(seed.settlement), std::move(seed.settlement_live));
  else
    routes_->settlement = sys.spawn<settlement_actor>(std::shared_ptr<const routing>(routes_),
                                                      std::move(opts.settlement),
                                                      std::move(seed.settlement), std::move(seed.settlement_live));
}

engine::~engine() {
  shutdown();
}

std::vector<caf::actor> engine::stop_order() const {
  // The timer relay first: after it, no delayed message reaches a shard.
  std::vector<caf::actor> all{routes_->timers, routes_->settlement};
  all.insert(all.end(), routes_->ledger_shards.begin(), routes_->ledger_shards.end());
  all.push_back(routes_->registry);
  all.push_back(routes_->publisher);
  all.push_back(routes_->snapshotter);
  all.push_back(routes_->auditor);
  return all;
}

void engine::shutdown() {
  if (stopped_)
    return;
  caf::scoped_actor self{sys_};
  for (auto& a : stop_order()) {
    if (!a)
      continue;
    self->send_exit(a, caf::exit_reason::user_shutdown);
    self->wait_for(a);
  }
}

void engine::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  for (auto& a : stop_order())
    if (a)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

}  // namespace settle::actors
