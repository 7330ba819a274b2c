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
/// One group of changes is in flight at a time: legs that arrive together are applied one
/// after another and journaled as one group (one batch, all or none), so a busy account
/// moves many changes per Redis round trip. While a group is on its way every other message
/// waits (is skipped), so reads never see an unjournaled change, and a group that does not
/// land is undone by restoring one saved state.
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
  /// One leg of a group: who waits for it, and its result if the group lands.
  struct leg_in_group {
    caf::response_promise rp;
    std::string txn_key;  // where a late outcome goes
    leg_result result;    // the account after this leg
  };
  /// The change (a group of legs, an open or a status change) whose records are on their way.
  struct in_flight {
    enum class what : uint8_t { legs, open, status } kind = what::legs;
    std::vector<leg_in_group> legs;
    caf::response_promise rp;      // open and status changes
    protocol::request req;         // open and status changes
    ledger::account_state before;  // restored if the records do not land
    bool answered = false;         // `unavailable` already went out (outcome unknown)
  };

  caf::result<caf::message> on_leg(const leg_request& lr);
  caf::result<caf::message> on_request(const protocol::request& req);
  /// Hands the legs gathered so far to the journal as one group.
  void flush_group();
  /// Journals `records` and waits for their outcome.
  void journal(std::vector<persistence::journal_record> records, in_flight change);
  void on_outcome(persistence::durability d);
  caf::message success() const;
  caf::message failure(bool uncertain) const;
  leg_result leg_failure(bool uncertain) const;
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
  in_flight change_;  // on its way to the journal
  in_flight group_;   // legs applied since the last flush, not yet handed to the journal
  std::vector<persistence::journal_record> group_records_;
  bool flush_armed_ = false;
};

}  // namespace settle::actors
