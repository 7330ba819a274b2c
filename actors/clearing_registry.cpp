#include "actors/clearing_registry.hpp"

#include "actors/clearing_actor.hpp"

namespace settle::actors {

using protocol::error_code;
using protocol::op_kind;

clearing_registry::clearing_registry(caf::actor_config& cfg,
                                     std::shared_ptr<const routing> routes,
                                     clearing_map recovered, uint32_t partner_event_interval_ms,
                                     bool always_publish)
    : caf::event_based_actor(cfg),
      routes_(std::move(routes)),
      recovered_(std::move(recovered)),
      partner_event_interval_ms_(std::max<uint32_t>(1, partner_event_interval_ms)),
      always_publish_(always_publish) {
  // nop
}

caf::actor clearing_registry::spawn_clearing(const std::string& partner,
                                             clearing_actor_accounts accounts) {
  partner_watchers w;
  auto it = watched_.find(partner);
  w.named = it == watched_.end() ? 0 : it->second;
  w.all = watch_all_;
  w.always = always_publish_;
  return spawn<clearing_actor, caf::linked>(partner, std::move(accounts), routes_, w);
}

const caf::actor& clearing_registry::clearing_for(const std::string& partner) {
  auto& slot = clearing_[partner];
  if (!slot)
    slot = spawn_clearing(partner, clearing_actor::account_map{});
  return slot;
}

void clearing_registry::on_watch(const watch_order& order) {
  for (const auto& partner : order.ids) {
    ++watched_[partner];
    auto it = clearing_.find(partner);
    if (it != clearing_.end()) {
      send(it->second, watch_atom::value, watch_order{order.request, {partner}, false, {}});
    } else if (order.request != 0) {
      // No transactions yet: nothing to report; its actor, once spawned, knows it is followed.
      event_batch out;
      out.replies.emplace_back(0, watch_reply{order.request, {}, {}, {}});
      send(routes_->publisher, std::move(out));
    }
  }
  if (order.all) {
    ++watch_all_;
    for (auto& [partner, actor] : clearing_)
      send(actor, watch_atom::value, watch_order{0, {}, true, {}});
  }
}

void clearing_registry::on_unwatch(const watch_order& order) {
  for (const auto& partner : order.ids) {
    auto w = watched_.find(partner);
    if (w != watched_.end() && --w->second == 0)
      watched_.erase(w);
    auto it = clearing_.find(partner);
    if (it != clearing_.end())
      send(it->second, unwatch_atom::value, watch_order{0, {partner}, false, {}});
  }
  if (order.all) {
    if (watch_all_ > 0)
      --watch_all_;
    for (auto& [partner, actor] : clearing_)
      send(actor, unwatch_atom::value, watch_order{0, {}, true, {}});
  }
}

void clearing_registry::route(delta_batch& batch) {
  // Partner settlement counts the open periods' live totals from the same deltas.
  if (routes_->settlement && !batch.deltas.empty())
    send(routes_->settlement, delta_atom::value, batch);
  for (auto& d : batch.deltas)
    send(clearing_for(d.partner), delta_atom::value, std::move(d));
}

void clearing_registry::answer(const protocol::request& req,
                               caf::typed_response_promise<protocol::response> rp) {
  std::string owner;
  if (req.op == op_kind::balance) {
    ledger::clearing_owner parsed;
    ledger::currency_code currency = 0;
    bool valid = false;
    ledger::parse_reserved_account(req.account, parsed, currency, valid);
    owner = parsed.partner;
    if (!valid || !clearing_.contains(owner)) {
      rp.deliver(protocol::make_error(req.op, req.rid, error_code::unknown_account,
                                      "account '" + req.account + "' does not exist"));
      return;
    }
  } else {
    owner = req.partner;
    if (!clearing_.contains(owner)) {
      rp.deliver(protocol::make_error(req.op, req.rid, error_code::unknown_partner,
                                      "partner '" + req.partner + "' has no transactions"));
      return;
    }
  }
  // Sent after the deltas routed above, so the clearing actor has them all (FIFO).
  rp.delegate(clearing_[owner], req);
}

caf::behavior clearing_registry::make_behavior() {
  // Recovered partners and the house exist from the start, with their recovered totals.
  std::map<std::string, clearing_actor::account_map> by_owner;
  for (auto& [key, acc] : recovered_)
    by_owner[key.first][key.second] = acc;
  recovered_.clear();
  for (auto& [owner, accounts] : by_owner)
    clearing_[owner] = spawn_clearing(owner, std::move(accounts));
  const auto tick = std::chrono::milliseconds(partner_event_interval_ms_);
  delayed_send(this, tick, emit_atom::value);
  return {
      [=, this](emit_atom) {
        // Followed partners publish what changed since the last tick.
        if (always_publish_ || watch_all_ > 0 || !watched_.empty())
          for (auto& [partner, actor] : clearing_)
            if (!partner.empty())
              send(actor, emit_atom::value);
        delayed_send(this, tick, emit_atom::value);
      },
      [=, this](watch_atom, const watch_order& order) { on_watch(order); },
      [=, this](unwatch_atom, const watch_order& order) { on_unwatch(order); },
      [=, this](delta_atom, delta_batch& batch) { route(batch); },
      [=, this](const protocol::request& req) {
        auto rp = make_response_promise<protocol::response>();
        auto left = std::make_shared<size_t>(routes_->ledger_shards.size());
        for (auto& shard : routes_->ledger_shards) {
          request(shard, caf::infinite, flush_atom::value)
              .then(
                  [=, this](delta_batch& batch) mutable {
                    route(batch);
                    if (--*left == 0)
                      answer(req, rp);
                  },
                  [=, this](caf::error& err) mutable {
                    if (rp.pending())
                      rp.deliver(protocol::make_error(req.op, req.rid, error_code::internal,
                                                      "ledger shard failed: " + to_string(err)));
                  });
        }
        return rp;
      },
  };
}

}  // namespace settle::actors

namespace settle::actors {

void clearing_registry::on_exit() {
  clearing_.clear();
  routes_.reset();
}

}  // namespace settle::actors
