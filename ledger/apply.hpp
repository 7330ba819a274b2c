// What a journal record does to the ledger: the one meaning of every record, used by the live
// ledger shard right after a decision (ledger/decide.hpp) and by the journal fold on replay
// (persistence/durable_image), so the two cannot drift. Pure: no actors, no Redis, no clock
// (a record carries its own time).
//
// The live shard: decide -> the record of the verdict (txn_record, ...) -> apply(record) ->
// carry out the state change on its tables (and keep what it needs to undo it) -> journal the
// record. Replay: decode the record -> apply(record) -> carry out the state change on the image.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/account_rules.hpp"
#include "ledger/decide.hpp"
#include "ledger/id_store.hpp"
#include "ledger/record.hpp"

namespace settle::ledger {

/// What a record does to the entry of its own id (namespace, txn_id).
enum class own_id_effect : uint8_t {
  none,
  remember,  // store remembered(record): the result a retry gets, a bet a rollback refunds
  remember_unless_known,  // notes: the same, unless the id already has a result (a note
                          // replayed over a snapshot leaves what is there alone)
  forget,    // erase it: a refused transfer is not remembered (a retry is a new attempt)
};

/// What a record does to the entry its `ref` names (namespace, ref): rollbacks only.
enum class ref_id_effect : uint8_t {
  none,
  mark_rolled_back,  // the bet is refunded: a second rollback of it is a duplicate
  tombstone,         // the bet was never seen: store tombstone_of(record) unless an entry
                     // exists, so the bet is refused (`rolled_back`) when it comes
};

/// The half of a transfer a record is (the fold tracks transfers seen on one side only).
enum class transfer_half : uint8_t { none, debit, credit, refund };

/// The counterparty leg of a player record: into or out of a clearing account.
struct clearing_leg {
  bool present = false;
  std::string_view owner;  // the partner, or "" for the house (deposits, withdrawals)
  currency_code currency = 0;
  txn_kind kind = txn_kind::bet;
  int64_t amount = 0;  // > 0
};

/// The state change of one record, as a description that each store carries out with its own
/// tables. Views point into the record.
struct state_change {
  std::string problem;  // not empty: the record does not fit the state; nothing else is set
  bool stale = false;   // the account already holds this record (replayed over a snapshot)
  bool creates_account = false;  // an open of a new account
  account_state account;         // the account after (partner marks: see `mark`)
  std::string_view mark;         // a partner to mark on the account ("" none)
  own_id_effect own = own_id_effect::none;
  ref_id_effect ref = ref_id_effect::none;
  clearing_leg clearing;
  transfer_half half = transfer_half::none;

  bool fits() const { return problem.empty(); }
};

/// The change `rec` makes to an account that is `before` (null: the account does not exist).
/// Checks that the record follows the account (version, currency, balance, the sign of the
/// amount for its kind); a record that does not is described in `problem`.
state_change apply(const record_view& rec, const account_state* before);

/// The entry a record's own id keeps once it is applied (own_id_effect::remember).
id_entry remembered(const record_view& rec);
/// The tombstone a rollback of an unseen bet leaves at its `ref` (ref_id_effect::tombstone).
id_entry tombstone_of(const record_view& rec);
/// The id-store keys of a record's own id and of its `ref`.
id_hash own_key(const record_view& rec);
id_hash ref_key(const record_view& rec);

// -- the records decisions journal --

/// The record of verdict `v` (kind apply) for a bet, win, rollback, deposit or withdrawal `r`
/// with fingerprint `fp`, made at `at_unix_ms`.
record_view txn_record(const request_view& r, uint64_t fp, const verdict& v, int64_t at_unix_ms);

/// What a transfer moves, as every one of its records repeats it.
struct transfer_terms {
  std::string_view txn_id, source, target, currency;
  int64_t amount = 0;  // > 0
  uint64_t fingerprint = 0;
};
/// The record of one side of a transfer (debit or refund on the source, credit on the target)
/// that leaves its account at `balance_after` / `version_after` (the verdict of that side).
record_view transfer_record(const transfer_terms& t, leg_role role, int64_t balance_after,
                            uint64_t version_after, int64_t at_unix_ms);

/// The record of an open that applies (decide_open).
record_view open_record(const request_view& r, int64_t at_unix_ms);
/// The record of a status change that applies (decide_status); `currency` is the account's
/// currency as text (the view must outlive the record).
record_view status_record(const request_view& r, std::string_view currency, const verdict& v,
                          int64_t at_unix_ms);

}  // namespace settle::ledger
