// Messages between the engine's actors. Local only: never serialized, so the structs are
// allowed as "unsafe" message types instead of writing inspect() for each.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "actors/rate_window.hpp"
#include "ledger/account_rules.hpp"
#include "ledger/clearing.hpp"
#include "ledger/id_store.hpp"
#include "ledger/partner_marks.hpp"
#include "persistence/journal.hpp"
#include "protocol/messages.hpp"

namespace settle::actors {

using journal_atom = caf::atom_constant<caf::atom("journal")>;     // writer -> shard: outcome
using chunk_atom = caf::atom_constant<caf::atom("chunk")>;         // shard -> itself: journal
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;         // periodic housekeeping
using flush_atom = caf::atom_constant<caf::atom("flush")>;         // registry -> shard
using flush_tick_atom = caf::atom_constant<caf::atom("flushtick")>;
using delta_atom = caf::atom_constant<caf::atom("delta")>;         // clearing deltas
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using xcheck_atom = caf::atom_constant<caf::atom("xcheck")>;       // transfer: target usable?
using xcredit_atom = caf::atom_constant<caf::atom("xcredit")>;     // transfer: credit target
using xretry_atom = caf::atom_constant<caf::atom("xretry")>;       // transfer: try again
using xlate_atom = caf::atom_constant<caf::atom("xlate")>;         // transfer: client waited
using snapshot_done_atom = caf::atom_constant<caf::atom("snapdone")>;
using forward_atom = caf::atom_constant<caf::atom("forward")>;   // timer relay -> target
using watch_atom = caf::atom_constant<caf::atom("watch")>;       // publisher -> event sources
using unwatch_atom = caf::atom_constant<caf::atom("unwatch")>;
using emit_atom = caf::atom_constant<caf::atom("emit")>;         // registry -> clearing actors
using lag_atom = caf::atom_constant<caf::atom("lag")>;           // session: behind too long?
using dump_atom = caf::atom_constant<caf::atom("dump")>;         // tests: a shard's state
using gate_atom = caf::atom_constant<caf::atom("gate")>;         // settlement -> shards
using barrier_atom = caf::atom_constant<caf::atom("barrier")>;   // settlement -> shards: close
using settle_tick_atom = caf::atom_constant<caf::atom("settletik")>;  // settlement: due closes
using audit_atom = caf::atom_constant<caf::atom("audit")>;       // session -> auditor: an entry

/// Requests a session hands to one shard in one message, with what keeps their bytes alive.
struct request_batch {
  std::shared_ptr<const void> owner;             // the bytes the views point into
  std::vector<protocol::request_view> requests;  // all for accounts of the receiving shard
  caf::actor session;                            // where the reply_batch messages go
  int64_t received_ns = 0;  // when the session read them (steady clock; request durations)
};

/// One answer to a session, compact: nearly all are transaction results.
struct reply {
  uint64_t rid = 0;
  int64_t balance = 0;
  uint64_t version = 0;
  protocol::op_kind op = protocol::op_kind::txn;
  protocol::error_code error = protocol::error_code::none;
  protocol::txn_status status = protocol::txn_status::applied;
  protocol::txn_kind kind = protocol::txn_kind::bet;  // txn answers: the request's kind
  bool has_balance = false;
  int64_t received_ns = 0;  // the request_batch's (0: not known)
  std::string message;                          // errors only
  std::shared_ptr<protocol::response> full;     // answers other than txn results
};

/// Answers a shard releases to one session at once.
struct reply_batch {
  std::vector<reply> replies;
};

/// A shard's verdict on something another shard asked (transfer check or credit).
struct leg_verdict {
  protocol::error_code error = protocol::error_code::none;
  std::string message;
  int64_t balance = 0;  // the account after the leg (credits)
  uint64_t version = 0;
};

/// The credit half of a transfer, sent by the source's shard to the target's.
struct transfer_credit {
  ledger::id_hash key;  // the transfer's id
  std::string txn_id, target, source, currency;
  int64_t amount = 0;
  uint64_t fingerprint = 0;
};

/// Clearing deltas accumulated by one ledger shard since its last flush.
struct delta_batch {
  std::vector<ledger::clearing_delta> deltas;
};

/// What the settlement actor tells every ledger shard about a partner's bets, wins and
/// rollbacks (ledger::partner_gate). A partner without an update passes freely.
struct partner_gate_update {
  std::string partner;
  bool suspended = false;
  bool credit_exhausted = false;
  std::shared_ptr<rate_window> rate;  // max_tps; null: no limit
};

/// Counters one shard reports for tests and the demo.
struct shard_stats {
  uint64_t accounts = 0;
  uint64_t in_flight = 0;  // changes not yet durable (or answered)
  uint64_t transfers = 0;  // cross-shard transfers under way
  uint64_t remembered_ids = 0;  // the whole engine's (the store is shared)
};

/// A copy of one ledger shard's accounts and partner marks (dump_atom; tests and tools).
struct shard_dump {
  ledger::account_map accounts;
  ledger::partner_spill partner_spill;
};

/// What one subscription asks an event source (a ledger shard, the clearing registry, a
/// clearing actor) to follow, or (unwatch_atom) to stop following.
struct watch_order {
  uint64_t request = 0;  // the subscription; answered with a watch_reply (watch_atom only,
                         // and only when ids are named)
  std::vector<std::string> ids;  // accounts (ledger shards) or partners (clearing side)
  bool all = false;              // every account / every partner
  std::string partner_check;     // accounts: the partner that must have transacted on each
};

/// A source's answer to a watch_order: the current state of what it named, taken where the
/// order stood among the source's changes (so the events after it are exactly the newer ones).
struct watch_reply {
  uint64_t request = 0;
  std::vector<protocol::event> states;  // balance: one per existing account; partner: one
                                        // per currency of the partner
  std::vector<std::string> unknown;     // named accounts that do not exist
  std::vector<std::string> forbidden;   // named accounts partner_check never transacted on
};

/// Journaled changes of watched accounts or partners, in the order they became durable, with
/// watch replies in between: replies[k].first is how many events came before it.
struct event_batch {
  std::vector<protocol::event> events;
  std::vector<std::pair<size_t, watch_reply>> replies;
  bool empty() const { return events.empty() && replies.empty(); }
};

}  // namespace settle::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::protocol::request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::protocol::response)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::protocol::audit_entry)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::persistence::durability)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::ledger::clearing_delta)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::request_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::reply_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::leg_verdict)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::transfer_credit)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::delta_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::shard_stats)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::shard_dump)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::ledger::id_hash)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::watch_order)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::event_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::partner_gate_update)
