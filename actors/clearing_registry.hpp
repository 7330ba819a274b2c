// Finds the clearing actor of each partner (and the house) and makes queries exact.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>

#include <absl/container/flat_hash_map.h>
#include <caf/event_based_actor.hpp>

#include "actors/messages.hpp"
#include "actors/routing.hpp"

namespace settle::actors {

using clearing_actor_accounts = std::map<ledger::currency_code, ledger::clearing_account>;

/// Spawns clearing actors on first use and routes batched deltas to them. Before answering a
/// `partner` or house/partner `balance` query it collects every ledger shard's unflushed
/// deltas, so an answer includes every transaction acknowledged before the query was sent.
class clearing_registry : public caf::event_based_actor {
public:
  using clearing_map =
      std::map<std::pair<std::string, ledger::currency_code>, ledger::clearing_account>;

  /// `recovered`: clearing accounts as of the last journal record (partner "" is the house).
  /// `partner_event_interval_ms`: how often followed partners publish their changed totals;
  /// `always_publish`: totals are published even when no subscription names them (Redis).
  clearing_registry(caf::actor_config& cfg, std::shared_ptr<const routing> routes,
                    clearing_map recovered, uint32_t partner_event_interval_ms,
                    bool always_publish);

  caf::behavior make_behavior() override;
  /// Drops the handles it holds: actors referencing each other would otherwise never be freed.
  void on_exit() override;

private:
  void route(delta_batch& batch);
  const caf::actor& clearing_for(const std::string& partner);
  void answer(const protocol::request& req,
              caf::typed_response_promise<protocol::response> rp);
  void on_watch(const watch_order& order);
  void on_unwatch(const watch_order& order);
  caf::actor spawn_clearing(const std::string& partner, clearing_actor_accounts accounts);

  std::shared_ptr<const routing> routes_;
  absl::flat_hash_map<std::string, caf::actor> clearing_;  // "" is the house
  clearing_map recovered_;  // handed to the clearing actors when they are spawned
  // Who follows partner totals (subscriptions), so clearing actors spawned later know.
  absl::flat_hash_map<std::string, uint32_t> watched_;
  uint32_t watch_all_ = 0;
  uint32_t partner_event_interval_ms_;
  bool always_publish_;
};

}  // namespace settle::actors
