// Owns the accounts hashed to it: their compact state while idle, their actor while active.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <caf/event_based_actor.hpp>

#include "actors/account_actor.hpp"
#include "actors/messages.hpp"
#include "actors/routing.hpp"
#include "ledger/account_rules.hpp"

namespace settle::actors {

/// Activates account actors on demand and passivates them after `account_idle_ms` without
/// use. Serves reads of idle accounts without activating anything; every change (opens and
/// status changes included) goes through the account's actor, which journals it.
class account_directory : public caf::event_based_actor {
public:
  using account_map = absl::flat_hash_map<std::string, ledger::account_state>;

  /// `accounts`: the recovered accounts of this directory.
  account_directory(caf::actor_config& cfg, uint32_t account_idle_ms, journal_target journal,
                    std::shared_ptr<const routing> routes, account_map accounts);

  caf::behavior make_behavior() override;
  /// Drops the handles it holds: actors referencing each other would otherwise never be freed.
  void on_exit() override;

private:
  struct slot {
    ledger::account_state state;  // authoritative only while `active` is null
    caf::actor active;
    uint64_t last_used_tick = 0;
    bool passivating = false;
  };

  /// The account's actor, spawning it if the account is idle.
  const caf::actor& activate(const std::string& id, slot& s, bool opening = false);
  caf::result<caf::message> open(const protocol::request& req);
  void sweep();
  /// Passivates the next few idle accounts found by the last sweep.
  void passivate_some();

  absl::flat_hash_map<std::string, slot> accounts_;
  absl::flat_hash_set<std::string> active_ids_;
  std::vector<std::string> idle_;  // found idle by the last sweep, not yet passivated
  uint32_t account_idle_ms_;
  journal_target journal_;
  std::shared_ptr<const routing> routes_;
  uint64_t tick_ = 0;
  bool sweep_armed_ = false;
};

}  // namespace settle::actors
