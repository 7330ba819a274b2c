// Messages between the engine's actors. Local only: never serialized, so the structs are
// allowed as "unsafe" message types instead of writing inspect() for each.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "ledger/account_rules.hpp"
#include "ledger/clearing.hpp"
#include "persistence/journal.hpp"
#include "protocol/messages.hpp"

namespace settle::actors {

using leg_atom = caf::atom_constant<caf::atom("leg")>;             // apply one account leg
using peek_atom = caf::atom_constant<caf::atom("peek")>;           // read an account's state
using passivate_atom = caf::atom_constant<caf::atom("passivate")>; // directory -> account
using passivated_atom = caf::atom_constant<caf::atom("passived")>; // account -> directory
using stop_atom = caf::atom_constant<caf::atom("stop")>;           // directory -> account
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;         // periodic housekeeping
using flush_atom = caf::atom_constant<caf::atom("flush")>;         // registry -> ledger shard
using flush_tick_atom = caf::atom_constant<caf::atom("flushtick")>;
using delta_atom = caf::atom_constant<caf::atom("delta")>;         // clearing deltas
using ref_atom = caf::atom_constant<caf::atom("rbref")>;           // rollback asks bet's shard
using ref_undo_atom = caf::atom_constant<caf::atom("rbundo")>;     // refund failed: unclaim bet
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using durable_atom = caf::atom_constant<caf::atom("durable")>;   // journal -> account actor
using resolved_atom = caf::atom_constant<caf::atom("resolved")>; // late outcome -> ledger shard
using discard_atom = caf::atom_constant<caf::atom("discard")>;   // failed open -> directory
using retry_atom = caf::atom_constant<caf::atom("retry")>;       // ledger shard, after a delay
using snapshot_done_atom = caf::atom_constant<caf::atom("snapdone")>;
using group_atom = caf::atom_constant<caf::atom("group")>;       // account: journal its legs

/// One account's part of a transaction, with what its journal record needs.
struct leg_request {
  ledger::leg leg;
  bool note = false;  // no balance change, only a record (noop and duplicate rollbacks)
  persistence::leg_role role = persistence::leg_role::player;
  protocol::txn_status outcome = protocol::txn_status::applied;
  std::string txn_id;
  std::string id_namespace;
  std::string partner;
  std::string ref;
  std::string to;
  uint64_t fingerprint = 0;
};

/// Outcome of one account leg (or a read): the account's state afterwards.
struct leg_result {
  protocol::error_code error = protocol::error_code::none;
  std::string message;
  /// The journal did not answer in time: the leg may or may not stand. A `resolved` message
  /// to the transaction's ledger shard follows with the final result.
  bool uncertain = false;
  bool known_account = false;
  int64_t balance = 0;
  uint64_t version = 0;
  ledger::currency_code currency = 0;
  protocol::account_status status = protocol::account_status::active;
};

/// Clearing deltas accumulated by one ledger shard since its last flush.
struct delta_batch {
  std::vector<ledger::clearing_delta> deltas;
};

/// A rollback asking the shard that owns its bet's id to claim the bet.
struct ref_query {
  std::string key;  // id_key(partner, bet id)
  std::string account;
  ledger::currency_code currency = 0;
  int64_t amount = 0;
  bool has_amount = false;
};

/// The bet shard's verdict on a rollback.
enum class ref_verdict : uint8_t {
  refund,               // bet claimed: refund `amount`
  tombstoned,           // bet unknown: tombstone left, rollback is a noop
  already_rolled_back,  // a rollback already claimed the bet: duplicate
  mismatch,             // fields disagree with the bet (message says which)
};

struct ref_answer {
  ref_verdict verdict = ref_verdict::mismatch;
  int64_t amount = 0;
  std::string message;
};

/// Counters one actor reports for tests and the demo.
struct shard_stats {
  uint64_t remembered_ids = 0;
  uint64_t pending = 0;
  uint64_t accounts = 0;
  uint64_t active_accounts = 0;
};

}  // namespace settle::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::protocol::request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::protocol::response)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::ledger::leg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::ledger::account_state)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::ledger::clearing_delta)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::leg_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::leg_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::persistence::durability)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::delta_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::ref_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::ref_answer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::shard_stats)
