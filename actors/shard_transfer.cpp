// Transfers between two players. When both accounts live in this shard, both legs are decided
// and applied at once and journaled together. Otherwise the source's shard asks the target's
// shard whether the target can take the money, debits the source, and once that debit is
// durable (the transfer is committed) asks the target's shard to credit it; if the target
// refuses after all, the money goes back to the source. Answers from the other shard come only
// once what they say is durable there. What each step means (its checks, its record, its state
// change) is ledger/decide.hpp and ledger/apply.hpp; this file moves the steps between shards.
#include <caf/all.hpp>

#include "actors/ledger_shard.hpp"
#include "base/invariant.hpp"
#include "ledger/apply.hpp"
#include "ledger/currency.hpp"
#include "ledger/keys.hpp"

namespace settle::actors {

using ledger::id_state;
using ledger::verdict_kind;
using persistence::leg_role;
using protocol::error_code;
using protocol::txn_kind;
using protocol::txn_status;

namespace {

reply refusal(error_code code, std::string message) {
  reply r;
  r.error = code;
  r.message = std::move(message);
  return r;
}

ledger::transfer_terms terms_of(const protocol::request& req, uint64_t fingerprint) {
  return {req.id, req.account, req.to, req.currency, req.amount, fingerprint};
}

}  // namespace

void ledger_shard::on_transfer(held_batch& b, uint32_t i, const ledger::id_hash& key,
                               uint64_t fp) {
  const auto& r = b.requests[i];
  std::optional<ledger::verdict> retry;
  ids_->with(key, [&](ledger::id_store::map& m) {
    auto [pos, inserted] = m.try_emplace(key);
    if (inserted)
      pos->second = pending_entry(r, fp);  // reserved until the transfer ends
    else
      retry = ledger::check_retry(r, fp, pos->second);
  });
  if (retry && retry->kind == verdict_kind::in_progress)
    return transfer_retry_waits(b, i, key);
  if (retry)
    return answer_unapplied(b, i, std::move(*retry));
  if (shard_index(r.to, routes_->ledger_shards.size()) == index_)
    return transfer_local(b, i, key, fp);
  auto t = std::make_shared<transfer>();
  t->req = protocol::to_request(r);
  t->key = key;
  t->fingerprint = fp;
  t->session = b.session;
  t->promise = b.promise;
  transfers_.emplace(key, t);
  // The target first: a transfer to an unknown, blocked or other-currency account never
  // moves money.
  request(routes_->shard_for(r.to), caf::infinite, xcheck_atom::value, t->req.to, t->req.currency)
      .then(
          [=, this](leg_verdict& v) {
            refresh_now();
            transfer_checked(t, std::move(v));
            end_turn();
          },
          [=, this](caf::error& err) {
            transfer_checked(t, leg_verdict{error_code::internal,
                                            "ledger shard failed: " + to_string(err), 0, 0});
            end_turn();
          });
  later(std::chrono::milliseconds(opts_.transfer_answer_ms),
        caf::make_message(xlate_atom::value, key));
}

void ledger_shard::transfer_retry_waits(held_batch& b, uint32_t i, const ledger::id_hash& key) {
  // The same transfer is under way here (same fields: same source, same shard).
  const auto& r = b.requests[i];
  auto t = transfers_.find(key);
  if (t == transfers_.end() || t->second->answered) {
    reply out = refusal(error_code::unavailable, "an earlier attempt of id '" + std::string{r.id} +
                                                     "' is still under way; retry later with "
                                                     "the same id");
    return answer_now(b, i, std::move(out));
  }
  // Answered when the first attempt ends (as a retry: duplicate, or applied anew).
  held_batch parked;
  auto owned = std::make_shared<protocol::request>(protocol::to_request(r));
  parked.requests.push_back(protocol::view_of(*owned));
  parked.owner = std::move(owned);
  parked.session = b.session;
  parked.promise = b.promise;
  t->second->parked.push_back(std::move(parked));
}

void ledger_shard::transfer_local(held_batch& b, uint32_t i, const ledger::id_hash& key,
                                  uint64_t fp) {
  const auto& r = b.requests[i];
  auto src = accounts_.find(ledger::key(r.account));
  auto dst = accounts_.find(ledger::key(r.to));
  ledger::account_state* source = src == accounts_.end() ? nullptr : &src->second;
  ledger::account_state* target = dst == accounts_.end() ? nullptr : &dst->second;
  auto v = ledger::check_new(r, {}, {source, target});
  if (!v.applies()) {
    ids_->with(key, [&](ledger::id_store::map& m) { m.erase(key); });
    return answer_unapplied(b, i, std::move(v));
  }
  const ledger::transfer_terms terms{r.id, r.account, r.to, r.currency, r.amount, fp};
  auto debit = ledger::transfer_record(terms, leg_role::transfer_debit, v.balance, v.version,
                                       now_ms_);
  auto credit = ledger::transfer_record(terms, leg_role::transfer_credit, v.target_balance,
                                        v.target_version, now_ms_);
  auto debit_change = ledger::apply(debit, source);
  auto credit_change = ledger::apply(credit, target);
  auto it = make_item(&b, i);
  it.effects = account_changed | second_changed | id_reserved;
  it.before = *source;
  it.before2 = *target;
  change_account(*source, r.account, debit_change, debit);
  change_account(*target, r.to, credit_change, credit);
  ids_->with(key, [&](ledger::id_store::map& m) { m.find(key)->second = ledger::remembered(debit); });
  append(debit);
  append(credit);
  it.answer.balance = source->balance;
  it.answer.version = source->version;
  answer_later(std::move(it));
}

void ledger_shard::transfer_checked(const std::shared_ptr<transfer>& t, leg_verdict v) {
  if (transfers_.find(t->key) == transfers_.end())
    return;
  if (in_doubt_from_ != 0)
    v = leg_verdict{error_code::unavailable,
                    "the journal did not confirm a write in time (Redis is not answering); "
                    "nothing was changed, retry later",
                    0, 0};
  auto refuse_with_balance = [&](error_code code, std::string why) {
    // Queued behind the journal like every answer: the balance shown must be durable.
    item it = make_item(nullptr, 0);
    it.xfer = t;
    it.then = follow_up::transfer_refused;  // ends the transfer with its refusal once released
    t->refusal = code;
    t->refusal_message = std::move(why);
    answer_later(std::move(it));
  };
  if (v.error != error_code::none)
    return refuse_with_balance(v.error, std::move(v.message));
  auto src = accounts_.find(ledger::key(t->req.account));
  ledger::account_state* source = src == accounts_.end() ? nullptr : &src->second;
  auto debit = ledger::check_transfer_source(protocol::view_of(t->req), source);
  if (debit.refused())
    return refuse_with_balance(debit.error, std::move(debit.message));
  auto rec = ledger::transfer_record(terms_of(t->req, t->fingerprint), leg_role::transfer_debit,
                                     debit.balance, debit.version, now_ms_);
  auto change = ledger::apply(rec, source);
  item it = make_item(nullptr, 0);
  it.xfer = t;
  it.then = follow_up::transfer_debit;
  it.effects = account_changed;
  it.before = *source;
  change_account(*source, t->req.account, change, rec);
  t->source_after = *source;
  t->remembered = ledger::remembered(rec);  // stored once the credit has landed
  t->at = transfer::stage::debiting;
  append(rec);
  answer_later(std::move(it));
}

void ledger_shard::transfer_credit_now(const std::shared_ptr<transfer>& t) {
  transfer_credit c;
  c.key = t->key;
  c.txn_id = t->req.id;
  c.target = t->req.to;
  c.source = t->req.account;
  c.currency = t->req.currency;
  c.amount = t->req.amount;
  c.fingerprint = t->fingerprint;
  request(routes_->shard_for(t->req.to), caf::infinite, xcredit_atom::value, std::move(c))
      .then(
          [=, this](leg_verdict& v) {
            refresh_now();
            transfer_credited(t, std::move(v));
            end_turn();
          },
          [=, this](caf::error& err) {
            transfer_credited(t, leg_verdict{error_code::internal,
                                             "ledger shard failed: " + to_string(err), 0, 0});
            end_turn();
          });
}

void ledger_shard::transfer_credited(const std::shared_ptr<transfer>& t, leg_verdict v) {
  if (v.error == error_code::none) {
    ids_->with(t->key, [&](ledger::id_store::map& m) { m.find(t->key)->second = t->remembered; });
    reply r;
    r.balance = t->source_after.balance;
    r.version = t->source_after.version;
    return transfer_end(t, std::move(r), true);
  }
  if (v.error == error_code::unavailable || v.error == error_code::internal) {
    // The debit stands (the transfer is committed), so the credit must land: again later.
    transfer_answer(t, refusal(error_code::unavailable,
                               "the transfer is committed but its credit is not journaled yet; "
                               "retry later with the same id"));
    return transfer_later(t);
  }
  // The target changed since the check (blocked meanwhile): the money goes back.
  t->refusal = v.error;
  t->refusal_message = std::move(v.message);
  t->at = transfer::stage::refunding;
  transfer_refund(t);
}

void ledger_shard::transfer_refund(const std::shared_ptr<transfer>& t) {
  auto src = accounts_.find(ledger::key(t->req.account));
  SETTLE_ASSERT(src != accounts_.end(), "the source of a committed transfer is gone");
  auto back = ledger::check_transfer_refund(t->req.amount, ledger::pack_currency(t->req.currency),
                                            src->second);
  if (in_doubt_from_ != 0 || back.refused()) {
    // A credit back cannot be refused by the rules; only the journal can hold it up.
    transfer_answer(t, refusal(error_code::unavailable,
                               "the transfer is being undone but the journal is not answering; "
                               "retry later with the same id"));
    return transfer_later(t);
  }
  auto rec = ledger::transfer_record(terms_of(t->req, t->fingerprint), leg_role::transfer_refund,
                                     back.balance, back.version, now_ms_);
  auto change = ledger::apply(rec, &src->second);  // forgets the id: transfer_end does it
  SETTLE_ASSERT(change.own == ledger::own_id_effect::forget, "a refund that keeps its id");
  item it = make_item(nullptr, 0);
  it.xfer = t;
  it.then = follow_up::transfer_refund;
  it.effects = account_changed;
  it.before = src->second;
  change_account(src->second, t->req.account, change, rec);
  append(rec);
  answer_later(std::move(it));
}

void ledger_shard::transfer_end(const std::shared_ptr<transfer>& t, reply r, bool keep_id) {
  if (!keep_id)
    ids_->with(t->key, [&](ledger::id_store::map& m) { m.erase(t->key); });
  transfers_.erase(t->key);
  transfer_answer(t, std::move(r));
  auto parked = std::move(t->parked);
  t->parked.clear();
  for (auto& p : parked)
    take(std::move(p));
}

void ledger_shard::transfer_answer(const std::shared_ptr<transfer>& t, reply r) {
  if (t->answered)
    return;
  t->answered = true;
  r.rid = t->req.rid;
  r.op = protocol::op_kind::txn;
  r.kind = protocol::txn_kind::transfer;
  deliver_to(t->session, t->promise, std::move(r));
}

void ledger_shard::transfer_later(const std::shared_ptr<transfer>& t) {
  later(std::chrono::milliseconds(opts_.journal_retry_ms),
        caf::make_message(xretry_atom::value, t->key));
}

// -- the target's side ----------------------------------------------------------------------

leg_verdict ledger_shard::check_target(const std::string& account, const std::string& currency) {
  if (in_doubt_from_ != 0)
    return {error_code::unavailable,
            "the target's journal did not confirm a write in time; retry later", 0, 0};
  auto acc = accounts_.find(ledger::key(account));
  auto v = ledger::check_transfer_target(account, ledger::pack_currency(currency),
                                         acc == accounts_.end() ? nullptr : &acc->second);
  return {v.error, std::move(v.message), 0, 0};
}

caf::result<leg_verdict> ledger_shard::credit_target(transfer_credit& c) {
  if (in_doubt_from_ != 0)  // not applied: the source may safely ask again
    return leg_verdict{error_code::unavailable,
                       "the target's journal did not confirm a write in time; retry later", 0, 0};
  auto acc = accounts_.find(ledger::key(c.target));
  ledger::account_state* target = acc == accounts_.end() ? nullptr : &acc->second;
  auto v = ledger::check_transfer_credit(c.target, ledger::pack_currency(c.currency), c.amount,
                                         target);
  if (v.refused())
    return leg_verdict{v.error, std::move(v.message), 0, 0};
  const ledger::transfer_terms terms{c.txn_id, c.source, c.target, c.currency, c.amount,
                                     c.fingerprint};
  auto rec = ledger::transfer_record(terms, leg_role::transfer_credit, v.balance, v.version,
                                     now_ms_);
  auto change = ledger::apply(rec, target);
  auto t = std::make_shared<transfer>();  // what undo needs: the account it changed
  t->req.account = c.target;
  t->key = c.key;
  item it = make_item(nullptr, 0);
  it.xfer = t;
  it.then = follow_up::credit_answer;
  it.effects = account_changed;
  it.before = *target;
  change_account(*target, c.target, change, rec);
  append(rec);
  it.answer.balance = target->balance;
  it.answer.version = target->version;
  it.promise = make_response_promise();
  auto rp = it.promise;
  answer_later(std::move(it));
  return rp;
}

}  // namespace settle::actors
