#include "ledger/apply.hpp"

#include <cstdlib>

#include "base/invariant.hpp"

namespace settle::ledger {

namespace {

std::string version_text(uint64_t have, const record_view& r) {
  return "record version " + std::to_string(r.version_after) + " after account version " +
         std::to_string(have);
}

state_change problem(std::string why) {
  state_change c;
  c.problem = std::move(why);
  return c;
}

bool partnered(txn_kind kind) {
  return kind == txn_kind::bet || kind == txn_kind::win || kind == txn_kind::rollback;
}

/// The sign a record's amount must have: what the account gains (+) or gives (-); an applied
/// record always moves money (a change of nothing is a note).
bool sign_fits(const record_view& r) {
  switch (r.role) {
    case leg_role::player:
      return r.amount != 0 && (player_side(r.kind) == leg_side::credit) == (r.amount > 0);
    case leg_role::transfer_debit:
      return r.amount < 0;
    case leg_role::transfer_credit:
    case leg_role::transfer_refund:
      return r.amount > 0;
  }
  return false;
}

state_change apply_open(const record_view& r, const account_state* before) {
  const auto currency = pack_currency(r.currency);
  if (currency == 0)
    return problem("open with invalid currency '" + std::string{r.currency} + "'");
  state_change c;
  if (before != nullptr) {
    if (before->currency != currency)  // same currency: the open is replayed, harmless
      return problem("open in " + std::string{r.currency} + " of an existing " +
                     currency_text(before->currency) + " account (at version " +
                     std::to_string(before->version) + ")");
    c.stale = true;
    c.account = *before;
    return c;
  }
  c.creates_account = true;
  c.account.currency = currency;
  c.account.kind = account_kind::player;
  return c;
}

state_change apply_status(const record_view& r, const account_state& before) {
  state_change c;
  c.account = before;
  if (r.version_after <= before.version) {
    c.stale = true;
    return c;
  }
  if (r.version_after != before.version + 1)
    return problem("version gap in a status change: " + version_text(before.version, r));
  c.account.status = r.status;
  c.account.version = r.version_after;
  return c;
}

/// A noop or duplicate rollback: the outcome is remembered, no balance changes.
state_change apply_note(const record_view& r, const account_state& before) {
  // A lower version is an old note replayed; a higher one means records are missing.
  if (r.version_after > before.version)
    return problem("version gap in a note: " + version_text(before.version, r));
  if (r.amount != 0)
    return problem("note with amount " + std::to_string(r.amount) + " (version " +
                   std::to_string(r.version_after) + ")");
  state_change c;
  c.account = before;
  c.mark = r.partner;  // a rollback that moved nothing still names its partner
  c.own = own_id_effect::remember_unless_known;
  if (r.outcome == txn_status::noop && r.kind == txn_kind::rollback)
    c.ref = ref_id_effect::tombstone;
  return c;
}

/// The effects beyond the account of an applied record, by its role.
std::string effects_of(const record_view& r, state_change& c) {
  const std::string version = " (version " + std::to_string(r.version_after) + ")";
  if (r.role == leg_role::player) {
    if (r.kind == txn_kind::transfer)
      return "transfer recorded as a player leg" + version;
    c.mark = r.partner;
    c.own = own_id_effect::remember;
    if (r.kind == txn_kind::rollback)
      c.ref = ref_id_effect::mark_rolled_back;
    c.clearing.present = true;
    c.clearing.owner = partnered(r.kind) ? r.partner : std::string_view{};
    c.clearing.currency = c.account.currency;
    c.clearing.kind = r.kind;
    c.clearing.amount = std::abs(r.amount);
    return {};
  }
  if (r.kind != txn_kind::transfer)
    return "transfer leg of a " + std::string{protocol::to_string(r.kind)} + version;
  switch (r.role) {
    case leg_role::transfer_debit:
      c.own = own_id_effect::remember;
      c.half = transfer_half::debit;
      break;
    case leg_role::transfer_credit:
      c.half = transfer_half::credit;
      break;
    case leg_role::transfer_refund:
      c.own = own_id_effect::forget;  // a refused transfer is not remembered
      c.half = transfer_half::refund;
      break;
    case leg_role::player:
      break;
  }
  return {};
}

state_change apply_applied(const record_view& r, const account_state& before) {
  state_change c;
  c.account = before;
  if (r.version_after <= before.version) {
    c.stale = true;  // already in the state (the snapshot had it): ids and clearing too
    return c;
  }
  if (r.version_after != before.version + 1)
    return problem("version gap: " + version_text(before.version, r));
  if (pack_currency(r.currency) != before.currency)
    return problem("record currency '" + std::string{r.currency} + "' but account currency " +
                   currency_text(before.currency) + " (record version " +
                   std::to_string(r.version_after) + ")");
  int64_t next = 0;
  if (r.amount == INT64_MIN || __builtin_add_overflow(before.balance, r.amount, &next))
    return problem("balance overflow at version " + std::to_string(r.version_after));
  if (next != r.balance_after)
    return problem("balance_after mismatch at version " + std::to_string(r.version_after) +
                   ": record says " + std::to_string(r.balance_after) + ", folding gives " +
                   std::to_string(next));
  if (auto why = effects_of(r, c); !why.empty())
    return problem(std::move(why));
  if (!sign_fits(r))
    return problem("amount " + std::to_string(r.amount) + " has the wrong sign for a " +
                   std::string{protocol::to_string(r.kind)} + " (version " +
                   std::to_string(r.version_after) + ")");
  c.account.balance = next;
  c.account.version = r.version_after;
  return c;
}

}  // namespace

state_change apply(const record_view& r, const account_state* before) {
  if (r.type == record_type::open)
    return apply_open(r, before);
  if (before == nullptr)
    return problem("unknown account (record version " + std::to_string(r.version_after) + ")");
  if (r.type == record_type::status)
    return apply_status(r, *before);
  if (r.outcome != txn_status::applied)
    return apply_note(r, *before);
  return apply_applied(r, *before);
}

id_entry remembered(const record_view& r) {
  id_entry e;
  e.fingerprint = r.fingerprint;
  e.created_at_s = r.at_unix_ms / 1000;
  e.state = id_state::done;
  e.kind = r.kind;
  e.outcome = r.outcome;
  e.currency = pack_currency(r.currency);
  e.balance = r.balance_after;
  e.version = r.version_after;
  if (r.kind == txn_kind::bet && r.outcome == txn_status::applied) {
    // A later rollback checks and refunds it from here.
    SETTLE_ASSERT(r.amount < 0, "an applied bet that does not debit");
    e.account = std::string{r.account};
    e.amount = -r.amount;
  }
  return e;
}

id_entry tombstone_of(const record_view& r) {
  id_entry t;
  t.state = id_state::tombstone;
  t.kind = txn_kind::bet;
  t.created_at_s = r.at_unix_ms / 1000;
  t.account = std::string{r.account};
  t.currency = pack_currency(r.currency);
  return t;
}

id_hash own_key(const record_view& r) {
  return hash_id(r.id_namespace, r.txn_id);
}

id_hash ref_key(const record_view& r) {
  return hash_id(r.id_namespace, r.ref);
}

record_view txn_record(const request_view& r, uint64_t fp, const verdict& v, int64_t at_unix_ms) {
  SETTLE_ASSERT(v.applies(), "a record of a verdict that does not apply");
  record_view rec;
  rec.type = record_type::txn;
  rec.account = r.account;
  rec.currency = r.currency;
  rec.at_unix_ms = at_unix_ms;
  rec.role = leg_role::player;
  rec.kind = r.kind;
  rec.outcome = v.status;
  rec.txn_id = r.id;
  rec.id_namespace = id_namespace(r);
  rec.partner = r.partner;
  rec.ref = r.ref;
  rec.round = r.round;
  rec.game = r.game;
  rec.fingerprint = fp;
  rec.amount = v.amount;
  rec.balance_after = v.balance;
  rec.version_after = v.version;
  return rec;
}

record_view transfer_record(const transfer_terms& t, leg_role role, int64_t balance_after,
                            uint64_t version_after, int64_t at_unix_ms) {
  SETTLE_ASSERT(role != leg_role::player && t.amount > 0, "not a transfer leg");
  const bool credit = role == leg_role::transfer_credit;
  record_view rec;
  rec.type = record_type::txn;
  rec.account = credit ? t.target : t.source;
  rec.to = credit ? t.source : t.target;
  rec.currency = t.currency;
  rec.at_unix_ms = at_unix_ms;
  rec.role = role;
  rec.kind = txn_kind::transfer;
  rec.txn_id = t.txn_id;
  rec.fingerprint = t.fingerprint;
  rec.amount = role == leg_role::transfer_debit ? -t.amount : t.amount;
  rec.balance_after = balance_after;
  rec.version_after = version_after;
  return rec;
}

record_view open_record(const request_view& r, int64_t at_unix_ms) {
  record_view rec;
  rec.type = record_type::open;
  rec.account = r.account;
  rec.currency = r.currency;
  rec.at_unix_ms = at_unix_ms;
  return rec;
}

record_view status_record(const request_view& r, std::string_view currency, const verdict& v,
                          int64_t at_unix_ms) {
  SETTLE_ASSERT(v.applies(), "a record of a status change that does not apply");
  record_view rec;
  rec.type = record_type::status;
  rec.account = r.account;
  rec.currency = currency;
  rec.at_unix_ms = at_unix_ms;
  rec.status = r.op == op_kind::block ? account_status::blocked : account_status::active;
  rec.balance_after = v.balance;
  rec.version_after = v.version;
  return rec;
}

}  // namespace settle::ledger
