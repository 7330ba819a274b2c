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

/// Spawns clearing actors on first use and routes batched deltas to them. Before answering a
/// `partner` or house/partner `balance` query it collects every ledger shard's unflushed
/// deltas, so an answer includes every transaction acknowledged before the query was sent.
class clearing_registry : public caf::event_based_actor {
public:
  using clearing_map =
      std::map<std::pair<std::string, ledger::currency_code>, ledger::clearing_account>;

  /// `recovered`: clearing accounts as of the last journal record (partner "" is the house).
  clearing_registry(caf::actor_config& cfg, std::shared_ptr<const routing> routes,
                    clearing_map recovered);

  caf::behavior make_behavior() override;
  /// Drops the handles it holds: actors referencing each other would otherwise never be freed.
  void on_exit() override;

private:
  void route(delta_batch& batch);
  const caf::actor& clearing_for(const std::string& partner);
  void answer(const protocol::request& req,
              caf::typed_response_promise<protocol::response> rp);

  std::shared_ptr<const routing> routes_;
  absl::flat_hash_map<std::string, caf::actor> clearing_;  // "" is the house
  clearing_map recovered_;  // handed to the clearing actors when they are spawned
};

}  // namespace settle::actors
