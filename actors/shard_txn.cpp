// The ledger shard's rules for bets, wins, rollbacks, deposits, withdrawals and account
// requests. Every answer is queued behind the journal (answer_later / refuse), so nothing is
// said about a change before it is durable.
#include <cassert>

#include "actors/ledger_shard.hpp"
#include "ledger/keys.hpp"
#include "ledger/clearing.hpp"
#include "ledger/currency.hpp"

namespace settle::actors {

using ledger::id_entry;
using ledger::id_state;
using protocol::error_code;
using protocol::op_kind;
using protocol::txn_kind;
using protocol::txn_status;

namespace {

/// What an id already in the store means for a new request carrying it.
struct seen_id {
  bool found = false;
  id_state state = id_state::done;
  txn_kind kind = txn_kind::bet;
  bool same_fields = false;
  int64_t balance = 0;
  uint64_t version = 0;
};

seen_id look(const id_entry& e, uint64_t fp) {
  return {true, e.state, e.kind, e.fingerprint == fp, e.balance, e.version};
}

std::shared_ptr<protocol::response> account_answer(op_kind op, std::string_view id,
                                                   const ledger::account_state& st) {
  auto resp = std::make_shared<protocol::response>();
  resp->op = op;
  resp->account = std::string{id};
  resp->currency = ledger::currency_text(st.currency);
  resp->kind = st.kind;
  resp->status = st.status;
  resp->balance = st.balance;
  resp->version = st.version;
  return resp;
}

std::string in_quotes(std::string_view s) {
  std::string out = "'";
  out.append(s);
  out += '\'';
  return out;
}

}  // namespace

void ledger_shard::refuse(held_batch& b, uint32_t i, error_code code, std::string message) {
  const auto& r = b.requests[i];
  auto it = make_item(&b, i);
  it.answer.error = code;
  it.answer.message = std::move(message);
  // Refused transactions carry the account's balance when the account exists.
  if (r.op == op_kind::txn) {
    auto acc = accounts_.find(ledger::key(r.account));
    if (acc != accounts_.end()) {
      it.answer.has_balance = true;
      it.answer.balance = acc->second.balance;
      it.answer.version = acc->second.version;
    }
  }
  answer_later(std::move(it));
}

persistence::record_view ledger_shard::leg_record(const protocol::request_view& r,
                                                  const ledger::account_state& after) const {
  persistence::record_view rec;
  rec.type = persistence::record_type::txn;
  rec.account = r.account;
  rec.currency = r.currency;
  rec.at_unix_ms = now_ms_;
  rec.role = persistence::leg_role::player;
  rec.kind = r.kind;
  rec.txn_id = r.id;
  rec.id_namespace = ledger::id_namespace(r);
  rec.partner = r.partner;
  rec.ref = r.ref;
  rec.balance_after = after.balance;
  rec.version_after = after.version;
  return rec;
}

void ledger_shard::on_txn(held_batch& b, uint32_t i, const ledger::id_hash& key) {
  const auto& r = b.requests[i];
  const bool amount_given = r.kind != txn_kind::rollback || r.has_amount;
  if (amount_given && (r.amount <= 0 || r.amount > opts_.max_amount))
    return refuse(b, i, error_code::invalid_amount,
                  "amount must be between 1 and " + std::to_string(opts_.max_amount));
  if (ledger::is_reserved_account(r.account))
    return refuse(b, i, error_code::bad_request,
                  "field 'account': house and partner accounts cannot be named here");
  if (r.kind == txn_kind::transfer && ledger::is_reserved_account(r.to))
    return refuse(b, i, error_code::bad_request,
                  "field 'to': house and partner accounts cannot be named here");
  if (r.kind == txn_kind::transfer && r.to == r.account)
    return refuse(b, i, error_code::bad_request,
                  "field 'to': a transfer needs two different accounts");
  auto fp = ledger::fingerprint(r);
  switch (r.kind) {
    case txn_kind::rollback:
      return on_rollback(b, i, key, fp);
    case txn_kind::transfer:
      return on_transfer(b, i, key, fp);
    default:
      return on_simple(b, i, key, fp);
  }
}

void ledger_shard::on_simple(held_batch& b, uint32_t i, const ledger::id_hash& key,
                             uint64_t fp) {
  const auto& r = b.requests[i];
  auto acc = accounts_.find(ledger::key(r.account));
  seen_id seen;
  error_code refused = error_code::none;
  std::string why;
  ledger::account_state before;
  // One lock, one hash lookup: reserve the id and apply the leg, or learn what the id is.
  ids_->with(key, [&](ledger::id_store::map& m) {
    auto [pos, inserted] = m.try_emplace(key);
    if (!inserted) {
      seen = look(pos->second, fp);
      return;
    }
    if (acc == accounts_.end()) {
      m.erase(pos);
      refused = error_code::unknown_account;
      why = "account " + in_quotes(r.account) + " does not exist";
      return;
    }
    ledger::leg l;
    l.kind = r.kind;
    l.side = ledger::player_side(r.kind);
    l.amount = r.amount;
    l.currency = ledger::pack_currency(r.currency);
    before = acc->second;
    refused = ledger::apply_leg(acc->second, l, why);
    if (refused != error_code::none) {
      m.erase(pos);
      return;
    }
    auto& e = pos->second;
    e.fingerprint = fp;
    e.created_at_s = now_ms_ / 1000;
    e.state = id_state::done;
    e.kind = r.kind;
    e.outcome = txn_status::applied;
    e.currency = l.currency;
    e.balance = acc->second.balance;
    e.version = acc->second.version;
    if (r.kind == txn_kind::bet) {  // a later rollback checks and refunds it from here
      e.account = std::string{r.account};
      e.amount = r.amount;
    }
  });
  if (seen.found) {
    if (seen.state == id_state::tombstone)
      return r.kind == txn_kind::bet
                 ? refuse(b, i, error_code::rolled_back,
                          "bet " + in_quotes(r.id) + " was rolled back before it arrived")
                 : refuse(b, i, error_code::id_conflict,
                          "id " + in_quotes(r.id) + " names a rolled-back bet");
    if (seen.state == id_state::pending || !seen.same_fields)
      return refuse(b, i, error_code::id_conflict,
                    "id " + in_quotes(r.id) + " was used with different fields");
    auto it = make_item(&b, i);
    it.answer.status = txn_status::duplicate;
    it.answer.balance = seen.balance;
    it.answer.version = seen.version;
    return answer_later(std::move(it));
  }
  if (refused != error_code::none)
    return refuse(b, i, refused, std::move(why));
  mark(acc->second, r.account, r.partner);  // restored with `before` if undone
  const auto& after = acc->second;
  auto rec = leg_record(r, after);
  rec.fingerprint = fp;
  rec.amount = ledger::player_side(r.kind) == ledger::leg_side::credit ? r.amount : -r.amount;
  append(rec);
  auto it = make_item(&b, i);
  it.effects = account_changed | id_reserved;
  it.before = before;
  it.then = follow_up::clearing;
  it.moved = r.amount;
  it.answer.balance = after.balance;
  it.answer.version = after.version;
  answer_later(std::move(it));
}

void ledger_shard::on_rollback(held_batch& b, uint32_t i, const ledger::id_hash& key,
                               uint64_t fp) {
  const auto& r = b.requests[i];
  seen_id seen;
  ids_->with(key, [&](ledger::id_store::map& m) {
    auto [pos, inserted] = m.try_emplace(key);
    if (!inserted) {
      seen = look(pos->second, fp);
      return;
    }
    auto& e = pos->second;  // reserved while the bet is looked at (another stripe)
    e.fingerprint = fp;
    e.created_at_s = now_ms_ / 1000;
    e.state = id_state::pending;
    e.kind = txn_kind::rollback;
    e.currency = ledger::pack_currency(r.currency);
  });
  if (seen.found) {
    if (seen.state == id_state::tombstone)
      return refuse(b, i, error_code::id_conflict,
                    "id " + in_quotes(r.id) + " names a rolled-back bet");
    if (seen.state == id_state::pending || !seen.same_fields)
      return refuse(b, i, error_code::id_conflict,
                    "id " + in_quotes(r.id) + " was used with different fields");
    auto it = make_item(&b, i);
    it.answer.status = txn_status::duplicate;
    it.answer.balance = seen.balance;
    it.answer.version = seen.version;
    return answer_later(std::move(it));
  }
  auto forget = [&] { ids_->with(key, [&](ledger::id_store::map& m) { m.erase(key); }); };
  // The account first, so a rollback naming a wrong account leaves no tombstone.
  auto acc = accounts_.find(ledger::key(r.account));
  const auto currency = ledger::pack_currency(r.currency);
  if (acc == accounts_.end()) {
    forget();
    return refuse(b, i, error_code::unknown_account,
                  "account " + in_quotes(r.account) + " does not exist");
  }
  if (acc->second.currency != currency) {
    forget();
    return refuse(b, i, error_code::currency_mismatch,
                  "account currency is " + ledger::currency_text(acc->second.currency));
  }
  enum class verdict { refund, tombstoned, already, mismatch } v = verdict::mismatch;
  std::string why;
  int64_t amount = 0;
  auto bet_key = ledger::hash_id(r.partner, r.ref);
  ids_->with(bet_key, [&](ledger::id_store::map& m) {
    auto e = m.find(bet_key);
    if (e == m.end()) {
      // The rollback overtook its bet: the tombstone refuses the bet when it comes.
      id_entry t;
      t.state = id_state::tombstone;
      t.kind = txn_kind::bet;
      t.created_at_s = now_ms_ / 1000;
      t.account = std::string{r.account};
      t.currency = currency;
      t.amount = r.amount;
      t.has_amount = r.has_amount;
      m.emplace(bet_key, std::move(t));
      v = verdict::tombstoned;
      return;
    }
    const auto& bet = e->second;
    if (bet.state == id_state::tombstone || (bet.kind == txn_kind::bet && bet.rolled_back))
      v = verdict::already;
    else if (bet.kind != txn_kind::bet || bet.state != id_state::done)
      why = "ref names a transaction that is not a bet";
    else if (bet.account != r.account)
      why = "the bet was on account " + in_quotes(bet.account);
    else if (bet.currency != currency)
      why = "the bet was in " + ledger::currency_text(bet.currency);
    else if (r.has_amount && r.amount != bet.amount)
      why = "the bet's amount was " + std::to_string(bet.amount);
    else {
      e->second.rolled_back = true;
      amount = bet.amount;
      v = verdict::refund;
    }
  });
  if (v == verdict::mismatch) {
    forget();
    return refuse(b, i, error_code::ref_mismatch, std::move(why));
  }
  auto before = acc->second;
  auto outcome = txn_status::applied;
  if (v == verdict::refund) {
    ledger::leg l;
    l.kind = txn_kind::rollback;
    l.side = ledger::leg_side::credit;
    l.amount = amount;
    l.currency = currency;
    auto err = ledger::apply_leg(acc->second, l, why);
    if (err != error_code::none) {
      ids_->with(bet_key, [&](ledger::id_store::map& m) {
        if (auto e = m.find(bet_key); e != m.end())
          e->second.rolled_back = false;
      });
      forget();
      return refuse(b, i, err, std::move(why));
    }
  } else {
    outcome = v == verdict::tombstoned ? txn_status::noop : txn_status::duplicate;
  }
  mark(acc->second, r.account, r.partner);  // a rollback transacts even when nothing moves
  const auto& after = acc->second;
  ids_->with(key, [&](ledger::id_store::map& m) {
    auto& e = m.find(key)->second;
    e.state = id_state::done;
    e.outcome = outcome;
    e.balance = after.balance;
    e.version = after.version;
  });
  // Even when nothing moves, the rollback's id (and a tombstone) must be durable: a note.
  auto rec = leg_record(r, after);
  rec.fingerprint = fp;
  rec.outcome = outcome;
  rec.amount = v == verdict::refund ? amount : 0;
  append(rec);
  auto it = make_item(&b, i);
  it.effects = id_reserved | account_changed;  // at least the partner mark
  it.before = before;
  if (v == verdict::refund) {
    it.effects |= ref_marked;
    it.then = follow_up::clearing;
    it.moved = amount;
  } else if (v == verdict::tombstoned) {
    it.effects |= tombstone_left;
  }
  it.answer.status = outcome;
  it.answer.balance = after.balance;
  it.answer.version = after.version;
  answer_later(std::move(it));
}

void ledger_shard::on_open(held_batch& b, uint32_t i) {
  const auto& r = b.requests[i];
  if (ledger::is_reserved_account(r.account))
    return refuse(b, i, error_code::bad_request,
                  "field 'account': ids starting with 'house:' or 'partner:' are reserved");
  const auto currency = ledger::pack_currency(r.currency);
  auto acc = accounts_.find(ledger::key(r.account));
  if (acc != accounts_.end()) {
    if (acc->second.currency != currency)
      return refuse(b, i, error_code::account_exists,
                    "account " + in_quotes(r.account) + " exists with currency " +
                        ledger::currency_text(acc->second.currency));
  } else {
    ledger::account_state st;
    st.currency = currency;
    st.kind = protocol::account_kind::player;
    accounts_.emplace(std::string{r.account}, st);
    persistence::record_view rec;
    rec.type = persistence::record_type::open;
    rec.account = r.account;
    rec.currency = r.currency;
    rec.at_unix_ms = now_ms_;
    append(rec);
  }
  auto it = make_item(&b, i);
  if (acc == accounts_.end())
    it.effects = account_created;
  auto resp = std::make_shared<protocol::response>();
  resp->op = op_kind::open;
  resp->account = std::string{r.account};
  resp->currency = std::string{r.currency};
  resp->kind = protocol::account_kind::player;
  it.answer.full = std::move(resp);
  answer_later(std::move(it));
}

void ledger_shard::on_status(held_batch& b, uint32_t i) {
  const auto& r = b.requests[i];
  auto acc = accounts_.find(ledger::key(r.account));
  if (acc == accounts_.end())
    return refuse(b, i, error_code::unknown_account,
                  "account " + in_quotes(r.account) + " does not exist");
  auto wanted = r.op == op_kind::block ? protocol::account_status::blocked
                                       : protocol::account_status::active;
  auto it = make_item(&b, i);
  if (acc->second.status != wanted) {
    it.effects = account_changed;
    it.before = acc->second;
    acc->second.status = wanted;
    ++acc->second.version;  // a status change is a change of the account
    persistence::record_view rec;
    rec.type = persistence::record_type::status;
    rec.account = r.account;
    auto currency = ledger::currency_text(acc->second.currency);
    rec.currency = currency;
    rec.at_unix_ms = now_ms_;
    rec.status = wanted;
    rec.balance_after = acc->second.balance;
    rec.version_after = acc->second.version;
    append(rec);
  }
  it.answer.full = account_answer(r.op, r.account, acc->second);
  answer_later(std::move(it));
}

void ledger_shard::on_balance(held_batch& b, uint32_t i) {
  const auto& r = b.requests[i];
  auto acc = accounts_.find(ledger::key(r.account));
  if (acc == accounts_.end())
    return refuse(b, i, error_code::unknown_account,
                  "account " + in_quotes(r.account) + " does not exist");
  auto it = make_item(&b, i);
  it.answer.full = account_answer(op_kind::balance, r.account, acc->second);
  answer_later(std::move(it));
}

void ledger_shard::add_clearing(std::string_view partner, txn_kind kind,
                                ledger::currency_code currency, int64_t amount) {
  // Payments settle against the house; bets, wins and rollbacks against their partner.
  std::string_view owner =
      kind == txn_kind::deposit || kind == txn_kind::withdraw ? std::string_view{} : partner;
  auto slot = deltas_.find(ledger::key(owner));
  if (slot == deltas_.end())
    slot = deltas_.emplace(std::string{owner}, std::vector<ledger::clearing_delta>{}).first;
  ledger::clearing_delta* d = nullptr;
  for (auto& x : slot->second)
    if (x.currency == currency)
      d = &x;
  if (d == nullptr) {
    d = &slot->second.emplace_back();
    d->partner = std::string{owner};
    d->currency = currency;
  }
  ledger::record_leg(*d, kind, amount);
  if (deltas_since_ == clock::time_point{})
    deltas_since_ = clock::now();
  // Under load, end_turn() sends the deltas once they are partner_flush_interval_us old; a
  // timer (through the relay: two thread hand-offs) only covers a shard that goes quiet.
  if (!flush_armed_) {
    flush_armed_ = true;
    later(std::chrono::microseconds(10 * uint64_t{opts_.partner_flush_interval_us}),
          caf::make_message(flush_tick_atom::value));
  }
}

delta_batch ledger_shard::take_deltas() {
  deltas_since_ = clock::time_point{};
  delta_batch batch;
  for (auto& [owner, per_currency] : deltas_)
    for (auto& d : per_currency)
      batch.deltas.push_back(std::move(d));
  deltas_.clear();
  return batch;
}

}  // namespace settle::actors
