// One partner's clearing accounts (one per currency) and settlement totals, or the house's.
#pragma once

#include <map>
#include <set>
#include <string>

#include <caf/event_based_actor.hpp>

#include "actors/messages.hpp"
#include "actors/routing.hpp"
#include "ledger/clearing.hpp"

namespace settle::actors {

/// Who follows a partner's totals when its clearing actor starts.
struct partner_watchers {
  uint32_t named = 0;   // subscriptions naming the partner
  uint32_t all = 0;     // subscriptions to everything
  bool always = false;  // Redis publishing: totals are published whoever listens
};

/// Applies clearing deltas (batched by the ledger shards, so a popular partner costs one
/// message per shard per flush, not one per bet) and answers `partner` and `balance`. While
/// someone follows the partner, the currencies that changed are published as partner events
/// on every `emit_atom` (the registry's tick), so a busy partner costs one event per currency
/// per tick, not one per delta.
class clearing_actor : public caf::event_based_actor {
public:
  using account_map = std::map<ledger::currency_code, ledger::clearing_account>;

  /// `partner` empty: the house (never published). `recovered`: its accounts as journaled.
  clearing_actor(caf::actor_config& cfg, std::string partner, account_map recovered,
                 std::shared_ptr<const routing> routes, partner_watchers watchers);

  caf::behavior make_behavior() override;
  void on_exit() override;

private:
  bool followed() const {
    return !partner_.empty() && (watchers_.named > 0 || watchers_.all > 0 || watchers_.always);
  }
  /// The partner event of one currency, as it stands.
  protocol::event state_of(ledger::currency_code currency, int64_t at_unix_ms) const;
  /// Changed currencies since the last tick, as events (and forgets them).
  std::vector<protocol::event> take_changed();
  void on_watch(const watch_order& order);
  void on_unwatch(const watch_order& order);
  /// A balance of the house or partner account, or the partner's totals.
  protocol::response answer(const protocol::request& req) const;

  std::string partner_;
  account_map accounts_;  // ordered for output
  std::shared_ptr<const routing> routes_;
  partner_watchers watchers_;
  std::set<ledger::currency_code> changed_;  // since the last tick, while followed
};

}  // namespace settle::actors
