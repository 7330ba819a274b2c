// The ledger shard's handling of bets, wins, rollbacks, deposits, withdrawals and account
// requests: it holds the inputs (accounts, the id store's entries under their stripe's lock),
// asks ledger/decide.hpp what they mean, journals the record of the verdict and carries out
// the state change ledger/apply.hpp describes for it, the same the journal fold carries out on
// replay. Every answer is queued behind the journal (answer_later / refuse), so nothing is
// said about a change before it is durable.
#include "actors/ledger_shard.hpp"
#include "base/invariant.hpp"
#include "ledger/apply.hpp"
#include "ledger/clearing.hpp"
#include "ledger/currency.hpp"
#include "ledger/keys.hpp"

namespace settle::actors {

using ledger::id_state;
using ledger::verdict_kind;
using protocol::error_code;
using protocol::op_kind;
using protocol::txn_kind;
using protocol::txn_status;

namespace {

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

/// What a change did to the id store, as the undo flags of its item.
uint8_t id_effects(const ledger::state_change& c) {
  uint8_t e = 0;
  if (c.own != ledger::own_id_effect::none)
    e |= ledger_shard::id_reserved;
  if (c.ref == ledger::ref_id_effect::mark_rolled_back)
    e |= ledger_shard::ref_marked;
  else if (c.ref == ledger::ref_id_effect::tombstone)
    e |= ledger_shard::tombstone_left;
  return e;
}

}  // namespace

ledger::id_entry ledger_shard::pending_entry(const protocol::request_view& r, uint64_t fp) const {
  ledger::id_entry e;  // reserved while the rest of the decision is made elsewhere
  e.fingerprint = fp;
  e.created_at_s = now_ms_ / 1000;
  e.state = id_state::pending;
  e.kind = r.kind;
  e.currency = ledger::pack_currency(r.currency);
  return e;
}

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

void ledger_shard::answer_unapplied(held_batch& b, uint32_t i, ledger::verdict v) {
  if (v.kind == verdict_kind::refuse)
    return refuse(b, i, v.error, std::move(v.message));
  SETTLE_ASSERT(v.kind == verdict_kind::duplicate, "a verdict that applies answered as unapplied");
  auto it = make_item(&b, i);
  it.answer.status = txn_status::duplicate;
  it.answer.balance = v.balance;
  it.answer.version = v.version;
  answer_later(std::move(it));
}

void ledger_shard::change_account(ledger::account_state& acc, std::string_view account,
                                  const ledger::state_change& c,
                                  const persistence::record_view& rec) {
  SETTLE_ASSERT(c.fits() && !c.stale, "a live change that does not fit: " + c.problem);
  SETTLE_ASSERT(c.account.version >= acc.version, "an account version going back");
  const uint64_t partner_bits = acc.partner_bits;  // marks are the shard's (below)
  acc = c.account;
  acc.partner_bits = partner_bits;
  mark(acc, account, c.mark);
  if (history_.enabled() && ledger::kept_in_history(rec))
    acc.history_head = history_.add(rec, acc.history_head);
}

void ledger_shard::on_txn(held_batch& b, uint32_t i, const ledger::id_hash& key) {
  const auto& r = b.requests[i];
  if (auto refused = ledger::check_request(r, limits_))
    return refuse(b, i, refused->error, std::move(refused->message));
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
  ledger::account_state* account = acc == accounts_.end() ? nullptr : &acc->second;
  const auto gate = gate_for(r);
  ledger::verdict v;
  ledger::record_view rec;
  ledger::state_change change;
  // One lock, one hash lookup: ledger::decide (check_request was on_txn's) with what the id
  // store knows, and the id's result remembered in the slot just found.
  ids_->with(key, [&](ledger::id_store::map& m) {
    auto [pos, inserted] = m.try_emplace(key);
    v = inserted ? ledger::check_new(r, {}, {account, nullptr}, gate)
                 : ledger::check_retry(r, fp, pos->second);
    if (!v.applies()) {
      if (inserted)
        m.erase(pos);
      return;
    }
    rec = ledger::txn_record(r, fp, v, now_ms_);
    change = ledger::apply(rec, account);
    SETTLE_ASSERT(change.own == ledger::own_id_effect::remember, "a transaction not remembered");
    pos->second = ledger::remembered(rec);
  });
  if (!v.applies())
    return answer_unapplied(b, i, std::move(v));
  auto it = make_item(&b, i);
  it.effects = account_changed | id_effects(change);
  it.before = *account;
  change_account(*account, r.account, change, rec);
  append(rec);
  it.clearing = change.clearing;
  it.answer.balance = account->balance;
  it.answer.version = account->version;
  answer_later(std::move(it));
}

void ledger_shard::on_rollback(held_batch& b, uint32_t i, const ledger::id_hash& key,
                               uint64_t fp) {
  const auto& r = b.requests[i];
  std::optional<ledger::verdict> retry;
  ids_->with(key, [&](ledger::id_store::map& m) {
    auto [pos, inserted] = m.try_emplace(key);
    if (inserted)
      pos->second = pending_entry(r, fp);  // reserved while the bet is looked at
    else
      retry = ledger::check_retry(r, fp, pos->second);
  });
  if (retry)
    return answer_unapplied(b, i, std::move(*retry));
  auto acc = accounts_.find(ledger::key(r.account));
  ledger::account_state* account = acc == accounts_.end() ? nullptr : &acc->second;
  ledger::verdict v;
  ledger::record_view rec;
  ledger::state_change change;
  const auto bet_key = ledger::hash_id(ledger::id_namespace(r), r.ref);
  const auto gate = gate_for(r);
  // The bet is decided on and changed under its stripe's lock, where it was read.
  ids_->with(bet_key, [&](ledger::id_store::map& m) {
    auto bet = m.find(bet_key);
    v = ledger::check_new(r, {nullptr, bet == m.end() ? nullptr : &bet->second}, {account, nullptr},
                        gate);
    if (!v.applies())
      return;
    rec = ledger::txn_record(r, fp, v, now_ms_);
    change = ledger::apply(rec, account);
    SETTLE_ASSERT(change.fits(), "a rollback that does not fit: " + change.problem);
    if (change.ref == ledger::ref_id_effect::mark_rolled_back)
      bet->second.rolled_back = true;
    else if (change.ref == ledger::ref_id_effect::tombstone)
      m.try_emplace(bet_key, ledger::tombstone_of(rec));
  });
  if (!v.applies()) {
    ids_->with(key, [&](ledger::id_store::map& m) { m.erase(key); });
    return answer_unapplied(b, i, std::move(v));
  }
  // Even when nothing moves (a noop or duplicate note), the rollback's id and a tombstone must
  // be durable, and the partner is marked: the account's state is saved for undo either way.
  auto it = make_item(&b, i);
  it.effects = account_changed | id_effects(change);
  it.before = *account;
  change_account(*account, r.account, change, rec);
  ids_->with(key, [&](ledger::id_store::map& m) { m.find(key)->second = ledger::remembered(rec); });
  append(rec);
  it.clearing = change.clearing;
  it.answer.status = v.status;
  it.answer.balance = account->balance;
  it.answer.version = account->version;
  answer_later(std::move(it));
}

void ledger_shard::on_open(held_batch& b, uint32_t i) {
  const auto& r = b.requests[i];
  auto acc = accounts_.find(ledger::key(r.account));
  auto v = ledger::decide_open(r, acc == accounts_.end() ? nullptr : &acc->second);
  if (v.refused())
    return refuse(b, i, v.error, std::move(v.message));
  auto it = make_item(&b, i);
  if (v.applies()) {
    auto rec = ledger::open_record(r, now_ms_);
    auto change = ledger::apply(rec, nullptr);
    SETTLE_ASSERT(change.creates_account, "an open that creates nothing: " + change.problem);
    accounts_.emplace(std::string{r.account}, change.account);
    if (metrics_)
      metrics_->accounts.fetch_add(1, std::memory_order_relaxed);
    append(rec);
    it.effects = account_created;
  }
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
  auto v = ledger::decide_status(r, acc == accounts_.end() ? nullptr : &acc->second);
  if (v.refused())
    return refuse(b, i, v.error, std::move(v.message));
  auto it = make_item(&b, i);
  if (v.applies()) {
    const auto currency = ledger::currency_text(acc->second.currency);
    auto rec = ledger::status_record(r, currency, v, now_ms_);
    auto change = ledger::apply(rec, &acc->second);
    it.effects = account_changed;
    it.before = acc->second;
    change_account(acc->second, r.account, change, rec);
    append(rec);
  }
  it.answer.full = account_answer(r.op, r.account, acc->second);
  answer_later(std::move(it));
}

void ledger_shard::on_balance(held_batch& b, uint32_t i) {
  const auto& r = b.requests[i];
  auto acc = accounts_.find(ledger::key(r.account));
  if (acc == accounts_.end())
    return refuse(b, i, error_code::unknown_account, ledger::no_such_account(r.account));
  auto it = make_item(&b, i);
  it.answer.full = account_answer(op_kind::balance, r.account, acc->second);
  answer_later(std::move(it));
}

void ledger_shard::add_clearing(const ledger::clearing_leg& leg) {
  // Payments settle against the house; bets, wins and rollbacks against their partner.
  auto slot = deltas_.find(ledger::key(leg.owner));
  if (slot == deltas_.end())
    slot = deltas_.emplace(std::string{leg.owner}, std::vector<ledger::clearing_delta>{}).first;
  ledger::clearing_delta* d = nullptr;
  for (auto& x : slot->second)
    if (x.currency == leg.currency)
      d = &x;
  if (d == nullptr) {
    d = &slot->second.emplace_back();
    d->partner = std::string{leg.owner};
    d->currency = leg.currency;
  }
  ledger::record_leg(*d, leg.kind, leg.amount);
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
