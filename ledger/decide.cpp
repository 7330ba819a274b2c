#include "ledger/decide.hpp"

#include "base/invariant.hpp"
#include "ledger/clearing.hpp"

namespace settle::ledger {

namespace {

std::string in_quotes(std::string_view s) {
  std::string out = "'";
  out.append(s);
  out += '\'';
  return out;
}

verdict refusal(error_code code, std::string message) {
  verdict v;
  v.kind = verdict_kind::refuse;
  v.error = code;
  v.message = std::move(message);
  return v;
}

/// Success with `account` as it stands after (or, for `unchanged`, as it is).
verdict success(verdict_kind kind, const account_state& after, int64_t amount = 0,
                txn_status status = txn_status::applied) {
  verdict v;
  v.kind = kind;
  v.status = status;
  v.amount = amount;
  v.balance = after.balance;
  v.version = after.version;
  return v;
}

/// One leg tried on a copy of `account`: its refusal, or the account after it.
verdict try_leg(const account_state& account, const leg& l, int64_t signed_amount) {
  account_state after = account;
  std::string why;
  auto code = apply_leg(after, l, why);
  if (code != error_code::none)
    return refusal(code, std::move(why));
  return success(verdict_kind::apply, after, signed_amount);
}

leg make_leg(txn_kind kind, leg_side side, int64_t amount, currency_code currency,
             bool transfer_target = false) {
  leg l;
  l.kind = kind;
  l.side = side;
  l.amount = amount;
  l.currency = currency;
  l.transfer_target = transfer_target;
  return l;
}

/// Bets, wins, deposits and withdrawals: one leg on the player's account.
verdict check_simple(const request_view& r, const account_state* account) {
  if (account == nullptr)
    return refusal(error_code::unknown_account, no_such_account(r.account));
  const auto side = player_side(r.kind);
  const int64_t change = side == leg_side::credit ? r.amount : -r.amount;
  return try_leg(*account, make_leg(r.kind, side, r.amount, pack_currency(r.currency)), change);
}

/// A rollback against the bet `ref` names (null: never seen, or forgotten).
verdict check_rollback(const request_view& r, const id_entry* bet,
                       const account_state* account) {
  if (account == nullptr)
    return refusal(error_code::unknown_account, no_such_account(r.account));
  const auto currency = pack_currency(r.currency);
  if (account->currency != currency)
    return refusal(error_code::currency_mismatch,
                   "account currency is " + currency_text(account->currency));
  // The rollback overtook its bet: a note, whose record leaves a tombstone for the bet.
  if (bet == nullptr)
    return success(verdict_kind::apply, *account, 0, txn_status::noop);
  if (bet->state == id_state::tombstone || (bet->kind == txn_kind::bet && bet->rolled_back))
    return success(verdict_kind::apply, *account, 0, txn_status::duplicate);
  if (bet->kind != txn_kind::bet || bet->state != id_state::done)
    return refusal(error_code::ref_mismatch, "ref names a transaction that is not a bet");
  if (bet->account != r.account)
    return refusal(error_code::ref_mismatch, "the bet was on account " + in_quotes(bet->account));
  if (bet->currency != currency)
    return refusal(error_code::ref_mismatch, "the bet was in " + currency_text(bet->currency));
  if (r.has_amount && r.amount != bet->amount)
    return refusal(error_code::ref_mismatch,
                   "the bet's amount was " + std::to_string(bet->amount));
  SETTLE_ASSERT(bet->amount > 0, "a remembered bet without an amount");
  return try_leg(*account,
                 make_leg(txn_kind::rollback, leg_side::credit, bet->amount, currency),
                 bet->amount);
}

/// A transfer whose source and target are both at hand: target, source, then the credit.
verdict check_local_transfer(const request_view& r, const known_accounts& accounts) {
  const auto currency = pack_currency(r.currency);
  auto v = check_transfer_target(r.to, currency, accounts.target);
  if (v.refused())
    return v;
  v = check_transfer_source(r, accounts.account);
  if (v.refused())
    return v;
  auto credit = check_transfer_credit(r.to, currency, r.amount, accounts.target);
  if (credit.refused())
    return credit;
  v.target_balance = credit.balance;
  v.target_version = credit.version;
  return v;
}

/// The partner's gate: the settlement rules that come before the accounts.
std::optional<verdict> check_partner(const request_view& r, const partner_gate& gate) {
  const bool names_partner = r.kind == txn_kind::bet || r.kind == txn_kind::win ||
                             r.kind == txn_kind::rollback;
  if (!names_partner || r.partner.empty())
    return std::nullopt;
  if (gate.over_rate)
    return refusal(error_code::rate_limited,
                   "partner " + in_quotes(r.partner) + " is over its max_tps; retry later");
  if (r.kind != txn_kind::bet)
    return std::nullopt;
  if (gate.suspended)
    return refusal(error_code::partner_suspended,
                   "partner " + in_quotes(r.partner) + " is suspended");
  if (gate.credit_exhausted)
    return refusal(error_code::credit_exhausted, "partner " + in_quotes(r.partner) +
                                                     " settles through a supplier with no "
                                                     "credit left");
  return std::nullopt;
}

}  // namespace

std::string no_such_account(std::string_view account) {
  return "account " + in_quotes(account) + " does not exist";
}

verdict decide(const request_view& r, uint64_t fingerprint, const known_ids& ids,
               const known_accounts& accounts, const txn_limits& limits,
               const partner_gate& partner) {
  if (auto refused = check_request(r, limits))
    return std::move(*refused);
  if (ids.own != nullptr)
    return check_retry(r, fingerprint, *ids.own);
  return check_new(r, ids, accounts, partner);
}

std::optional<verdict> check_request(const request_view& r, const txn_limits& limits) {
  const bool amount_given = r.kind != txn_kind::rollback || r.has_amount;
  if (amount_given && (r.amount <= 0 || r.amount > limits.max_amount))
    return refusal(error_code::invalid_amount,
                   "amount must be between 1 and " + std::to_string(limits.max_amount));
  if (is_reserved_account(r.account))
    return refusal(error_code::bad_request,
                   "field 'account': house and partner accounts cannot be named here");
  if (r.kind == txn_kind::transfer && is_reserved_account(r.to))
    return refusal(error_code::bad_request,
                   "field 'to': house and partner accounts cannot be named here");
  if (r.kind == txn_kind::transfer && r.to == r.account)
    return refusal(error_code::bad_request, "field 'to': a transfer needs two different accounts");
  return std::nullopt;
}

verdict check_retry(const request_view& r, uint64_t fingerprint, const id_entry& own) {
  if (own.state == id_state::tombstone)
    return r.kind == txn_kind::bet
               ? refusal(error_code::rolled_back,
                         "bet " + in_quotes(r.id) + " was rolled back before it arrived")
               : refusal(error_code::id_conflict,
                         "id " + in_quotes(r.id) + " names a rolled-back bet");
  if (own.fingerprint != fingerprint)
    return refusal(error_code::id_conflict,
                   "id " + in_quotes(r.id) + " was used with different fields");
  if (own.state == id_state::pending) {
    if (r.kind == txn_kind::transfer) {
      verdict v;
      v.kind = verdict_kind::in_progress;
      return v;
    }
    // Only rollbacks and transfers hold an id pending, and only inside one turn of their shard.
    return refusal(error_code::id_conflict,
                   "id " + in_quotes(r.id) + " was used with different fields");
  }
  verdict v;
  v.kind = verdict_kind::duplicate;
  v.status = txn_status::duplicate;
  v.balance = own.balance;
  v.version = own.version;
  return v;
}

verdict check_new(const request_view& r, const known_ids& ids, const known_accounts& accounts,
                  const partner_gate& partner) {
  if (auto refused = check_partner(r, partner))
    return std::move(*refused);
  switch (r.kind) {
    case txn_kind::rollback:
      return check_rollback(r, ids.ref, accounts.account);
    case txn_kind::transfer:
      return check_local_transfer(r, accounts);
    default:
      return check_simple(r, accounts.account);
  }
}

verdict check_transfer_target(std::string_view target_id, currency_code currency,
                              const account_state* target) {
  if (target == nullptr)
    return refusal(error_code::unknown_account,
                   "target account " + in_quotes(target_id) + " does not exist");
  if (target->currency != currency)
    return refusal(error_code::currency_mismatch,
                   "target account currency is " + currency_text(target->currency));
  if (target->status == account_status::blocked)
    return refusal(error_code::account_blocked,
                   "target account " + in_quotes(target_id) + " is blocked");
  return success(verdict_kind::apply, *target);
}

verdict check_transfer_source(const request_view& r, const account_state* source) {
  if (source == nullptr)
    return refusal(error_code::unknown_account, no_such_account(r.account));
  return try_leg(*source,
                 make_leg(txn_kind::transfer, leg_side::debit, r.amount,
                          pack_currency(r.currency)),
                 -r.amount);
}

verdict check_transfer_credit(std::string_view target_id, currency_code currency,
                              int64_t amount, const account_state* target) {
  if (target == nullptr)
    return refusal(error_code::unknown_account,
                   "target account " + in_quotes(target_id) + " does not exist");
  return try_leg(*target, make_leg(txn_kind::transfer, leg_side::credit, amount, currency, true),
                 amount);
}

verdict check_transfer_refund(int64_t amount, currency_code currency,
                              const account_state& source) {
  auto back = make_leg(txn_kind::transfer, leg_side::credit, amount, currency);
  back.refund = true;  // the player's own money: a block since the debit does not trap it
  return try_leg(source, back, amount);
}

verdict decide_open(const request_view& r, const account_state* existing) {
  if (is_reserved_account(r.account))
    return refusal(error_code::bad_request,
                   "field 'account': ids starting with 'house:' or 'partner:' are reserved");
  if (existing == nullptr)
    return success(verdict_kind::apply, account_state{});
  if (existing->currency != pack_currency(r.currency))
    return refusal(error_code::account_exists, "account " + in_quotes(r.account) +
                                                   " exists with currency " +
                                                   currency_text(existing->currency));
  return success(verdict_kind::unchanged, *existing);
}

verdict decide_status(const request_view& r, const account_state* existing) {
  if (existing == nullptr)
    return refusal(error_code::unknown_account, no_such_account(r.account));
  const auto wanted = r.op == op_kind::block ? account_status::blocked : account_status::active;
  if (existing->status == wanted)
    return success(verdict_kind::unchanged, *existing);
  account_state after = *existing;
  after.status = wanted;
  ++after.version;  // a status change is a change of the account
  return success(verdict_kind::apply, after);
}

}  // namespace settle::ledger
