// One partner's clearing accounts (one per currency) and settlement totals, or the house's.
#pragma once

#include <map>
#include <string>

#include <caf/event_based_actor.hpp>

#include "ledger/clearing.hpp"

namespace settle::actors {

/// Applies clearing deltas (batched by the ledger shards, so a popular partner costs one
/// message per shard per flush, not one per bet) and answers `partner` and `balance`.
class clearing_actor : public caf::event_based_actor {
public:
  using account_map = std::map<ledger::currency_code, ledger::clearing_account>;

  /// `partner` empty: the house. `recovered`: its accounts as journaled.
  clearing_actor(caf::actor_config& cfg, std::string partner, account_map recovered);

  caf::behavior make_behavior() override;

private:
  std::string partner_;
  account_map accounts_;  // ordered for output
};

}  // namespace settle::actors
