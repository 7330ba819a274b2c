// What a request means, decided: the one place that says whether a transaction (or an open, a
// block) is refused, a retry, or applied, and with which result. Pure: no actors, no Redis, no
// clock (time is not needed to decide), no locks (callers pass what they hold).
//
// The checks run in the order docs/protocol.md ("Order of checks") documents, each with its own
// refusal code, as a flat list: the first that fails decides. The live ledger shard calls these
// functions; what a decision journals is built by ledger/apply.hpp (txn_record, ...), and the
// same apply() turns that record into the state change, live and on replay.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/account_rules.hpp"
#include "ledger/id_store.hpp"

namespace settle::ledger {

using protocol::op_kind;
using protocol::request_view;

/// The configured limits a decision checks.
struct txn_limits {
  int64_t max_amount = 1'000'000'000'000;  // largest amount of one transaction, minor units
};

/// What a decision says.
enum class verdict_kind : uint8_t {
  refuse,       // `error` + `message`; nothing applied, the id is not remembered
  duplicate,    // a retry of a remembered id: the stored `balance` and `version`
  in_progress,  // transfers: the same transfer is under way; its end answers this retry too
  apply,        // journal the record it describes (ledger/apply.hpp) and apply it
  unchanged,    // opens and status changes that change nothing: success, no record
};

/// A decision. For `apply`: `status` is what the client hears (`applied`, or for rollbacks
/// `noop` / `duplicate`, journaled as a note), `amount` the signed change of the account's
/// balance, `balance` / `version` the account after; for a transfer within one shard also the
/// target after.
struct verdict {
  verdict_kind kind = verdict_kind::refuse;
  error_code error = error_code::none;
  std::string message;  // refusals only
  txn_status status = txn_status::applied;
  int64_t amount = 0;
  int64_t balance = 0;
  uint64_t version = 0;
  int64_t target_balance = 0;  // transfers within one shard
  uint64_t target_version = 0;

  bool applies() const { return kind == verdict_kind::apply; }
  bool refused() const { return kind == verdict_kind::refuse; }
};

/// What the id store holds for the ids a request names (null: nothing).
struct known_ids {
  const id_entry* own = nullptr;  // the request's (namespace, id)
  const id_entry* ref = nullptr;  // rollbacks: the bet that `ref` names (same namespace)
};

/// The accounts a request names, as the deciding shard holds them (null: no such account).
struct known_accounts {
  const account_state* account = nullptr;
  const account_state* target = nullptr;  // transfers whose target is in the same shard
};

/// What the settlement state says about the partner a bet, win or rollback names
/// (ledger/settlement_book; the shard keeps it current). All false: no restriction.
struct partner_gate {
  bool over_rate = false;         // past the contract's max_tps now: rate_limited (retryable)
  bool suspended = false;         // suspend {partner}: its bets are refused
  bool credit_exhausted = false;  // a supplier (or a provider via one) without credit left
};

/// The whole decision for a `txn` whose accounts are all at hand (a transfer within one
/// shard, or any other kind): check_request, then check_retry when the id is known, else
/// check_new. `fingerprint` is ledger::fingerprint(r).
verdict decide(const request_view& r, uint64_t fingerprint, const known_ids& ids,
               const known_accounts& accounts, const txn_limits& limits,
               const partner_gate& partner = {});

// -- the phases, for callers that hold the inputs at different times (cross-shard transfers,
//    rollbacks whose bet sits in another stripe of the id store) --

/// Checks that need no state: amount range, reserved account ids, a transfer to itself. The
/// refusal, or nothing when the request may go on.
std::optional<verdict> check_request(const request_view& r, const txn_limits& limits);
/// What an id that is already remembered means for a new request carrying it (a retry, a
/// conflict, a bet refused by an earlier rollback).
verdict check_retry(const request_view& r, uint64_t fingerprint, const id_entry& own);
/// A request whose id is new: its partner's gate (rate, suspension, credit; wins and
/// rollbacks pass a suspension and an exhausted credit: player money is never trapped), then
/// the accounts (and, for rollbacks, the bet it names).
verdict check_new(const request_view& r, const known_ids& ids, const known_accounts& accounts,
                  const partner_gate& partner = {});

/// Transfers: whether `target` (null: it does not exist) can take `currency`. Asked of the
/// target's shard before anything moves.
verdict check_transfer_target(std::string_view target_id, currency_code currency,
                              const account_state* target);
/// Transfers: the source's debit, once its target was found able to take the money.
verdict check_transfer_source(const request_view& r, const account_state* source);
/// Transfers: the credit of `amount` to a target (checked again where it lives: it may have
/// been blocked since the check).
verdict check_transfer_credit(std::string_view target_id, currency_code currency,
                              int64_t amount, const account_state* target);
/// Transfers: money given back to the source after the target refused the credit. Only an
/// overflow can refuse it (the rules never trap a player's money).
verdict check_transfer_refund(int64_t amount, currency_code currency,
                              const account_state& source);

/// `open`: `existing` is the account if it exists. Applies (journals an open) only for a new
/// account; an open repeated with the same currency is answered without a record.
verdict decide_open(const request_view& r, const account_state* existing);
/// `block` / `unblock`: applies (journals a status change, version + 1) only when the status
/// changes; a block of a blocked account is answered without a record.
verdict decide_status(const request_view& r, const account_state* existing);

/// "account 'X' does not exist", the message of every unknown_account refusal.
std::string no_such_account(std::string_view account);

}  // namespace settle::ledger
