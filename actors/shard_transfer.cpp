// Transfers between two players. When both accounts live in this shard, both legs are applied
// at once and journaled together. Otherwise the source's shard asks the target's shard whether
// the target can take the money, debits the source, and once that debit is durable (the
// transfer is committed) asks the target's shard to credit it; if the target refuses after
// all, the money goes back to the source. Answers from the other shard come only once what
// they say is durable there.
#include <cassert>

#include <caf/all.hpp>

#include "actors/ledger_shard.hpp"
#include "ledger/keys.hpp"
#include "ledger/currency.hpp"

namespace settle::actors {

using ledger::id_state;
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

std::string in_quotes(std::string_view s) {
  std::string out = "'";
  out.append(s);
  out += '\'';
  return out;
}

}  // namespace

persistence::record_view ledger_shard::transfer_record(const transfer& t, leg_role role,
                                                       std::string_view account,
                                                       const ledger::account_state& after) const {
  persistence::record_view rec;
  rec.type = persistence::record_type::txn;
  rec.account = account;
  rec.currency = t.req.currency;
  rec.at_unix_ms = now_ms_;
  rec.role = role;
  rec.kind = txn_kind::transfer;
  rec.txn_id = t.req.id;
  rec.to = role == leg_role::transfer_credit ? std::string_view{t.req.account}
                                             : std::string_view{t.req.to};
  rec.fingerprint = t.fingerprint;
  rec.amount = role == leg_role::transfer_debit ? -t.req.amount : t.req.amount;
  rec.balance_after = after.balance;
  rec.version_after = after.version;
  return rec;
}

void ledger_shard::on_transfer(held_batch& b, uint32_t i, const ledger::id_hash& key,
                               uint64_t fp) {
  const auto& r = b.requests[i];
  enum class seen { none, done, conflict, tombstone, pending } what = seen::none;
  int64_t balance = 0;
  uint64_t version = 0;
  ids_->with(key, [&](ledger::id_store::map& m) {
    auto [pos, inserted] = m.try_emplace(key);
    if (inserted) {
      auto& e = pos->second;  // reserved until the transfer ends
      e.fingerprint = fp;
      e.created_at_s = now_ms_ / 1000;
      e.state = id_state::pending;
      e.kind = txn_kind::transfer;
      e.currency = ledger::pack_currency(r.currency);
      return;
    }
    const auto& e = pos->second;
    if (e.state == id_state::tombstone)
      what = seen::tombstone;
    else if (e.fingerprint != fp)
      what = seen::conflict;
    else
      what = e.state == id_state::pending ? seen::pending : seen::done;
    balance = e.balance;
    version = e.version;
  });
  switch (what) {
    case seen::tombstone:
      return refuse(b, i, error_code::id_conflict, "id " + in_quotes(r.id) + " names a rolled-back bet");
    case seen::conflict:
      return refuse(b, i, error_code::id_conflict,
                    "id " + in_quotes(r.id) + " was used with different fields");
    case seen::done: {
      auto it = make_item(&b, i);
      it.answer.status = txn_status::duplicate;
      it.answer.balance = balance;
      it.answer.version = version;
      return answer_later(std::move(it));
    }
    case seen::pending: {
      // The same transfer is under way here (same fields: same source, same shard).
      auto t = transfers_.find(key);
      if (t == transfers_.end() || t->second->answered) {
        reply out = refusal(error_code::unavailable,
                            "an earlier attempt of id " + in_quotes(r.id) +
                                " is still under way; retry later with the same id");
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
      return;
    }
    case seen::none:
      break;
  }
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
            now_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
            transfer_checked(t, std::move(v));
            end_turn();
          },
          [=, this](caf::error& err) {
            leg_verdict v;
            v.error = error_code::internal;
            v.message = "ledger shard failed: " + to_string(err);
            transfer_checked(t, std::move(v));
            end_turn();
          });
  later(std::chrono::milliseconds(opts_.transfer_answer_ms),
        caf::make_message(xlate_atom::value, key));
}

void ledger_shard::transfer_local(held_batch& b, uint32_t i, const ledger::id_hash& key,
                                  uint64_t fp) {
  const auto& r = b.requests[i];
  auto forget = [&] { ids_->with(key, [&](ledger::id_store::map& m) { m.erase(key); }); };
  const auto currency = ledger::pack_currency(r.currency);
  auto dst = accounts_.find(ledger::key(r.to));
  std::string why;
  error_code code = error_code::none;
  if (dst == accounts_.end()) {
    code = error_code::unknown_account;
    why = "target account " + in_quotes(r.to) + " does not exist";
  } else if (dst->second.currency != currency) {
    code = error_code::currency_mismatch;
    why = "target account currency is " + ledger::currency_text(dst->second.currency);
  } else if (dst->second.status == protocol::account_status::blocked) {
    code = error_code::account_blocked;
    why = "target account " + in_quotes(r.to) + " is blocked";
  }
  auto src = accounts_.find(ledger::key(r.account));
  if (code == error_code::none && src == accounts_.end()) {
    code = error_code::unknown_account;
    why = "account " + in_quotes(r.account) + " does not exist";
  }
  if (code != error_code::none) {
    forget();
    return refuse(b, i, code, std::move(why));
  }
  ledger::leg debit;
  debit.kind = txn_kind::transfer;
  debit.side = ledger::leg_side::debit;
  debit.amount = r.amount;
  debit.currency = currency;
  auto credit = debit;
  credit.side = ledger::leg_side::credit;
  credit.transfer_target = true;
  auto src_before = src->second, dst_before = dst->second;
  code = ledger::apply_leg(src->second, debit, why);
  if (code == error_code::none) {
    code = ledger::apply_leg(dst->second, credit, why);
    if (code != error_code::none)
      src->second = src_before;
  }
  if (code != error_code::none) {
    forget();
    return refuse(b, i, code, std::move(why));
  }
  const auto& after = src->second;
  ids_->with(key, [&](ledger::id_store::map& m) {
    auto& e = m.find(key)->second;
    e.state = id_state::done;
    e.outcome = txn_status::applied;
    e.balance = after.balance;
    e.version = after.version;
  });
  transfer t;  // only for the records' fields
  t.req = protocol::to_request(r);
  t.fingerprint = fp;
  append(transfer_record(t, leg_role::transfer_debit, r.account, after));
  append(transfer_record(t, leg_role::transfer_credit, r.to, dst->second));
  auto it = make_item(&b, i);
  it.effects = account_changed | second_changed | id_reserved;
  it.before = src_before;
  it.before2 = dst_before;
  it.answer.balance = after.balance;
  it.answer.version = after.version;
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
  if (src == accounts_.end())
    return refuse_with_balance(error_code::unknown_account,
                               "account " + in_quotes(t->req.account) + " does not exist");
  ledger::leg debit;
  debit.kind = txn_kind::transfer;
  debit.side = ledger::leg_side::debit;
  debit.amount = t->req.amount;
  debit.currency = ledger::pack_currency(t->req.currency);
  auto before = src->second;
  std::string why;
  auto code = ledger::apply_leg(src->second, debit, why);
  if (code != error_code::none)
    return refuse_with_balance(code, std::move(why));
  t->source_after = src->second;
  t->at = transfer::stage::debiting;
  append(transfer_record(*t, leg_role::transfer_debit, t->req.account, src->second));
  item it = make_item(nullptr, 0);
  it.xfer = t;
  it.then = follow_up::transfer_debit;
  it.effects = account_changed;
  it.before = before;
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
            now_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
            transfer_credited(t, std::move(v));
            end_turn();
          },
          [=, this](caf::error& err) {
            leg_verdict v;
            v.error = error_code::internal;
            v.message = "ledger shard failed: " + to_string(err);
            transfer_credited(t, std::move(v));
            end_turn();
          });
}

void ledger_shard::transfer_credited(const std::shared_ptr<transfer>& t, leg_verdict v) {
  if (v.error == error_code::none) {
    ids_->with(t->key, [&](ledger::id_store::map& m) {
      auto& e = m.find(t->key)->second;
      e.state = id_state::done;
      e.outcome = txn_status::applied;
      e.balance = t->source_after.balance;
      e.version = t->source_after.version;
    });
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
  assert(src != accounts_.end());
  ledger::leg back;
  back.kind = txn_kind::transfer;
  back.side = ledger::leg_side::credit;
  back.amount = t->req.amount;
  back.currency = ledger::pack_currency(t->req.currency);
  auto before = src->second;
  std::string why;
  if (in_doubt_from_ != 0 || ledger::apply_leg(src->second, back, why) != error_code::none) {
    // A credit back cannot be refused by the rules; only the journal can hold it up.
    transfer_answer(t, refusal(error_code::unavailable,
                               "the transfer is being undone but the journal is not answering; "
                               "retry later with the same id"));
    return transfer_later(t);
  }
  append(transfer_record(*t, leg_role::transfer_refund, t->req.account, src->second));
  item it = make_item(nullptr, 0);
  it.xfer = t;
  it.then = follow_up::transfer_refund;
  it.effects = account_changed;
  it.before = before;
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
  deliver_to(t->session, t->promise, std::move(r));
}

void ledger_shard::transfer_later(const std::shared_ptr<transfer>& t) {
  later(std::chrono::milliseconds(opts_.journal_retry_ms),
        caf::make_message(xretry_atom::value, t->key));
}

// -- the target's side ----------------------------------------------------------------------

leg_verdict ledger_shard::check_target(const std::string& account, const std::string& currency) {
  leg_verdict v;
  auto acc = accounts_.find(ledger::key(account));
  if (in_doubt_from_ != 0) {
    v.error = error_code::unavailable;
    v.message = "the target's journal did not confirm a write in time; retry later";
  } else if (acc == accounts_.end()) {
    v.error = error_code::unknown_account;
    v.message = "target account " + in_quotes(account) + " does not exist";
  } else if (acc->second.currency != ledger::pack_currency(currency)) {
    v.error = error_code::currency_mismatch;
    v.message = "target account currency is " + ledger::currency_text(acc->second.currency);
  } else if (acc->second.status == protocol::account_status::blocked) {
    v.error = error_code::account_blocked;
    v.message = "target account " + in_quotes(account) + " is blocked";
  }
  return v;
}

caf::result<leg_verdict> ledger_shard::credit_target(transfer_credit& c) {
  if (in_doubt_from_ != 0)  // not applied: the source may safely ask again
    return leg_verdict{error_code::unavailable,
                       "the target's journal did not confirm a write in time; retry later", 0, 0};
  auto acc = accounts_.find(ledger::key(c.target));
  leg_verdict refused;
  if (acc == accounts_.end()) {
    refused.error = error_code::unknown_account;
    refused.message = "target account " + in_quotes(c.target) + " does not exist";
    return refused;
  }
  ledger::leg l;
  l.kind = txn_kind::transfer;
  l.side = ledger::leg_side::credit;
  l.amount = c.amount;
  l.currency = ledger::pack_currency(c.currency);
  l.transfer_target = true;
  auto before = acc->second;
  auto code = ledger::apply_leg(acc->second, l, refused.message);
  if (code != error_code::none) {
    refused.error = code;
    return refused;
  }
  auto t = std::make_shared<transfer>();  // what undo and the record need
  t->req.account = c.source;
  t->req.to = c.target;
  t->req.id = c.txn_id;
  t->req.currency = c.currency;
  t->req.amount = c.amount;
  t->key = c.key;
  t->fingerprint = c.fingerprint;
  append(transfer_record(*t, leg_role::transfer_credit, c.target, acc->second));
  // Undo restores the target, which the item names through req.account.
  t->req.account = c.target;
  item it = make_item(nullptr, 0);
  it.xfer = t;
  it.then = follow_up::credit_answer;
  it.effects = account_changed;
  it.before = before;
  it.answer.balance = acc->second.balance;
  it.answer.version = acc->second.version;
  it.promise = make_response_promise();
  auto rp = it.promise;
  answer_later(std::move(it));
  return rp;
}

}  // namespace settle::actors
