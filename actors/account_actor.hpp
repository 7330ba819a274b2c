// One player account, active while it is used: serializes every change to that account and
// acknowledges a change only once its journal record is durable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "actors/messages.hpp"
#include "actors/routing.hpp"
#include "ledger/account_rules.hpp"
#include "persistence/journal.hpp"

namespace settle::actors {

/// Where an account's journal records go.
struct journal_target {
  std::shared_ptr<persistence::journal_writer> writer;
  uint32_t shard = 0;  // the account directory's index: one journal stream per directory
};

/// A virtual actor: spawned by its directory on demand with the account's compact state,
/// handed back to the directory when idle (passivation), so idle accounts cost no actor.
/// At most one change is in flight: while its record is on the way to Redis every other
/// message waits (is skipped), so reads never see an unjournaled change and a failed write
/// is undone by restoring one saved state.
class account_actor : public caf::event_based_actor {
public:
  /// `opening`: the account is being created by the open request that follows.
  account_actor(caf::actor_config& cfg, std::string id, ledger::account_state state,
                caf::actor directory, journal_target journal,
                std::shared_ptr<const routing> routes, bool opening);

  caf::behavior make_behavior() override;
  /// Drops the handles it holds: actors referencing each other would otherwise never be freed.
  void on_exit() override;

private:
  /// The change whose record is on its way.
  struct in_flight {
    enum class what : uint8_t { leg, open, status } kind = what::leg;
    caf::response_promise rp;
    protocol::request req;         // open and status changes
    std::string txn_key;           // legs: where a late outcome goes
    ledger::account_state before;  // restored if the record does not land
    bool answered = false;         // an `unavailable` already went out (outcome unknown)
  };

  caf::result<caf::message> on_leg(const leg_request& lr);
  caf::result<caf::message> on_request(const protocol::request& req);
  /// Journals `rec` and waits for its outcome.
  void journal(persistence::journal_record rec, in_flight change);
  void on_outcome(persistence::durability d);
  caf::message success() const;
  caf::message failure(bool uncertain) const;
  persistence::journal_record record_base() const;
  /// While a record is on its way: only its outcome is handled, the rest waits.
  caf::behavior awaiting();
  /// While a record's outcome is unknown (Redis timed out): the rest is answered
  /// `unavailable` rather than kept waiting for as long as Redis is away.
  caf::behavior in_doubt();
  /// After handing its state back: bounce whatever the directory still forwarded.
  caf::behavior bouncing();

  std::string id_;
  ledger::account_state state_;
  caf::actor directory_;
  journal_target journal_;
  std::shared_ptr<const routing> routes_;
  bool opening_;
  uint64_t token_ = 0;
  in_flight change_;
};

}  // namespace settle::actors
