// One player account, active while it is used: serializes every change to that account.
#pragma once

#include <string>

#include <caf/event_based_actor.hpp>

#include "ledger/account_rules.hpp"

namespace settle::actors {

/// A virtual actor: spawned by its directory on demand with the account's compact state,
/// handed back to the directory when idle (passivation), so idle accounts cost no actor.
class account_actor : public caf::event_based_actor {
public:
  account_actor(caf::actor_config& cfg, std::string id, ledger::account_state state,
                caf::actor directory);

  caf::behavior make_behavior() override;
  /// Drops the handles it holds: actors referencing each other would otherwise never be freed.
  void on_exit() override;

private:
  /// After handing its state back: bounce whatever the directory still forwarded.
  caf::behavior bouncing();

  std::string id_;
  ledger::account_state state_;
  caf::actor directory_;
};

}  // namespace settle::actors
