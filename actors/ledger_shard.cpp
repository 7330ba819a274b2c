#include "actors/ledger_shard.hpp"

#include <cassert>
#include <chrono>

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

protocol::response txn_error(const protocol::request& req, error_code code, std::string message,
                             const leg_result* account) {
  auto resp = protocol::make_error(op_kind::txn, req.rid, code, std::move(message));
  if (account != nullptr && account->known_account) {
    resp.has_balance = true;
    resp.balance = account->balance;
    resp.version = account->version;
  }
  return resp;
}

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}


}  // namespace

ledger_shard::ledger_shard(caf::actor_config& cfg, std::shared_ptr<const routing> routes,
                           ledger_shard_options opts,
                           std::vector<std::pair<std::string, ledger::id_entry>> ids)
    : caf::event_based_actor(cfg), routes_(std::move(routes)), opts_(opts) {
  for (auto& [key, entry] : ids)
    ids_.insert(std::move(key), std::move(entry));
}

void ledger_shard::call::answer(protocol::response resp) {
  if (answered)
    return;
  answered = true;
  rp.deliver(std::move(resp));
}

int64_t ledger_shard::now_s() const {
  return unix_ms() / 1000;
}

caf::behavior ledger_shard::make_behavior() {
  delayed_send(this, std::chrono::seconds(opts_.id_sweep_interval_s), sweep_atom::value);
  return {
      [=, this](const protocol::request& req) {
        auto c = std::make_shared<call>();
        c->rp = make_response_promise<protocol::response>();
        c->rid = req.rid;
        handle_txn(req, c);
        return c->rp;
      },
      [=, this](ref_atom, const ref_query& q) {
        auto rp = make_response_promise<ref_answer>();
        handle_ref(q, rp);
        return rp;
      },
      [=, this](ref_undo_atom, const std::string& key) {
        // The rollback's own record did not land: take back what handle_ref did for it.
        if (auto* e = ids_.find(key)) {
          if (e->state == id_state::tombstone)
            ids_.erase(key);
          else
            e->rolled_back = false;
        }
      },
      [=, this](resolved_atom, const std::string& key, leg_result& r) {
        auto it = stalled_.find(key);
        assert(it != stalled_.end());
        if (it == stalled_.end())
          return;
        auto next = std::move(it->second);
        stalled_.erase(it);
        if (auto* e = ids_.find(key))
          e->stalled = false;
        next(r);
      },
      [=, this](retry_atom, const std::string& key) {
        auto it = retries_.find(key);
        if (it == retries_.end())
          return;
        auto fn = std::move(it->second);
        retries_.erase(it);
        fn();
      },
      [=, this](flush_atom) { return take_deltas(); },
      [=, this](flush_tick_atom) {
        flush_armed_ = false;
        if (!deltas_.empty())
          send(routes_->registry, delta_atom::value, take_deltas());
      },
      [=, this](sweep_atom) {
        ids_.expire(now_s(), opts_.id_retention_s);
        delayed_send(this, std::chrono::seconds(opts_.id_sweep_interval_s), sweep_atom::value);
      },
      [=, this](stats_atom) {
        shard_stats st;
        st.remembered_ids = ids_.size();
        st.pending = pending_;
        return st;
      },
  };
}

void ledger_shard::handle_txn(const protocol::request& req, call_ptr c) {
  assert(req.op == op_kind::txn);
  bool amount_given = req.kind != txn_kind::rollback || req.has_amount;
  if (amount_given && (req.amount <= 0 || req.amount > opts_.max_amount))
    return refuse_unreserved(req, c, error_code::invalid_amount,
                             "amount must be between 1 and " + std::to_string(opts_.max_amount));
  if (ledger::is_reserved_account(req.account))
    return refuse_unreserved(req, c, error_code::bad_request,
                             "field 'account': house and partner accounts cannot be named here");
  if (req.kind == txn_kind::transfer && ledger::is_reserved_account(req.to))
    return refuse_unreserved(req, c, error_code::bad_request,
                             "field 'to': house and partner accounts cannot be named here");
  if (req.kind == txn_kind::transfer && req.to == req.account)
    return refuse_unreserved(req, c, error_code::bad_request,
                             "field 'to': a transfer needs two different accounts");
  auto key = ledger::id_key(ledger::id_namespace(req), req.id);
  auto fp = ledger::fingerprint(req);
  if (auto* e = ids_.find(key)) {
    switch (e->state) {
      case id_state::pending:
        if (e->stalled) {
          // Waiting for Redis could take long: say so now, the client retries.
          c->answer(protocol::make_error(op_kind::txn, req.rid, error_code::unavailable,
                                         "an earlier attempt of id '" + req.id +
                                             "' has an unknown outcome (the journal is not "
                                             "answering); retry later with the same id"));
          return;
        }
        // The first copy is still being applied: answer this one when it is done.
        waiters_[key].push_back([this, req, c] { handle_txn(req, c); });
        return;
      case id_state::tombstone:
        if (req.kind == txn_kind::bet)
          return refuse_unreserved(req, c, error_code::rolled_back,
                                   "bet '" + req.id + "' was rolled back before it arrived");
        return refuse_unreserved(req, c, error_code::id_conflict,
                                 "id '" + req.id + "' names a rolled-back bet");
      case id_state::done:
        if (e->fingerprint != fp)
          return refuse_unreserved(req, c, error_code::id_conflict,
                                   "id '" + req.id + "' was used with different fields");
        protocol::response resp;
        resp.op = op_kind::txn;
        resp.rid = req.rid;
        resp.outcome = txn_status::duplicate;
        resp.balance = e->balance;
        resp.version = e->version;
        c->answer(std::move(resp));
        return;
    }
  }
  if (pending_ >= opts_.max_pending) {
    c->answer(protocol::make_error(op_kind::txn, req.rid, error_code::overloaded,
                                   "too many transactions in flight in this shard"));
    return;
  }
  id_entry entry;
  entry.fingerprint = fp;
  entry.created_at_s = now_s();
  entry.kind = req.kind;
  entry.state = id_state::pending;
  entry.currency = ledger::pack_currency(req.currency);
  if (req.kind == txn_kind::bet) {
    entry.account = req.account;
    entry.amount = req.amount;
  }
  ids_.insert(key, std::move(entry));
  ++pending_;
  switch (req.kind) {
    case txn_kind::rollback:
      return apply_rollback(req, key, c);
    case txn_kind::transfer:
      return apply_transfer(req, key, c);
    default:
      return apply_simple(req, key, c);
  }
}

leg_request ledger_shard::make_leg(const protocol::request& req, const std::string& key,
                                   ledger::leg l, persistence::leg_role role) {
  leg_request lr;
  lr.leg = l;
  lr.role = role;
  lr.txn_id = req.id;
  lr.id_namespace = std::string{ledger::id_namespace(req)};
  lr.partner = req.partner;
  lr.ref = req.ref;
  if (role == persistence::leg_role::transfer_credit)
    lr.to = req.account;
  else if (role != persistence::leg_role::player)
    lr.to = req.to;
  const auto* e = ids_.find(key);
  assert(e != nullptr);
  lr.fingerprint = e->fingerprint;
  return lr;
}

void ledger_shard::send_leg(const std::string& account, leg_request lr, const std::string& key,
                            call_ptr c, leg_next next) {
  request(routes_->directory_for(account), caf::infinite, leg_atom::value, account,
          std::move(lr))
      .then(
          [=, this](leg_result& r) mutable {
            if (r.uncertain) {
              stalled_.emplace(key, std::move(next));
              return hold(key, c, r.message);
            }
            next(r);
          },
          [=](caf::error& err) mutable {
            leg_result r;
            r.error = error_code::internal;
            r.message = "account actor failed: " + to_string(err);
            next(r);
          });
}

void ledger_shard::hold(const std::string& key, const call_ptr& c, const std::string& why) {
  auto* e = ids_.find(key);
  assert(e != nullptr && e->state == id_state::pending);
  e->stalled = true;
  c->answer(protocol::make_error(op_kind::txn, c->rid, error_code::unavailable, why));
  wake(key);  // duplicates waiting for this id get `unavailable` too
}

void ledger_shard::later(const std::string& key, std::function<void()> fn) {
  assert(!retries_.contains(key));
  retries_.emplace(key, std::move(fn));
  delayed_send(this, std::chrono::milliseconds(opts_.journal_retry_ms), retry_atom::value, key);
}

void ledger_shard::apply_simple(const protocol::request& req, const std::string& key, call_ptr c) {
  ledger::leg l;
  l.kind = req.kind;
  l.side = ledger::player_side(req.kind);
  l.amount = req.amount;
  l.currency = ledger::pack_currency(req.currency);
  send_leg(req.account, make_leg(req, key, l, persistence::leg_role::player), key, c,
           [=, this](leg_result& r) {
             if (r.error != error_code::none)
               return refuse(req, key, c, r.error, std::move(r.message));
             finish(req, key, c, txn_status::applied, req.amount, r);
           });
}

void ledger_shard::apply_rollback(const protocol::request& req, const std::string& key,
                                  call_ptr c) {
  auto currency = ledger::pack_currency(req.currency);
  // Check the account first, so a rollback naming a wrong account leaves no tombstone.
  request(routes_->directory_for(req.account), caf::infinite, peek_atom::value, req.account)
      .then(
          [=, this](leg_result& acc) {
            if (acc.error == error_code::unavailable)
              return refuse(req, key, c, acc.error, std::move(acc.message));
            if (!acc.known_account)
              return refuse(req, key, c, error_code::unknown_account, std::move(acc.message));
            if (acc.currency != currency)
              return refuse(req, key, c, error_code::currency_mismatch,
                            "account currency is " + ledger::currency_text(acc.currency));
            ref_query q;
            q.key = ledger::id_key(req.partner, req.ref);
            q.account = req.account;
            q.currency = currency;
            q.amount = req.amount;
            q.has_amount = req.has_amount;
            request(routes_->shard_for_key(q.key), caf::infinite, ref_atom::value, q)
                .then(
                    [=, this](ref_answer& a) {
                      if (a.verdict == ref_verdict::mismatch)
                        return refuse(req, key, c, error_code::ref_mismatch,
                                      std::move(a.message));
                      ledger::leg l;
                      l.kind = txn_kind::rollback;
                      l.side = ledger::leg_side::credit;
                      l.amount = a.amount;
                      l.currency = currency;
                      auto lr = make_leg(req, key, l, persistence::leg_role::player);
                      auto outcome = txn_status::applied;
                      if (a.verdict != ref_verdict::refund) {
                        // Nothing moves, but the rollback's id (and a tombstone) must be
                        // durable: a note in the account's journal.
                        lr.note = true;
                        outcome = a.verdict == ref_verdict::tombstoned ? txn_status::noop
                                                                       : txn_status::duplicate;
                        lr.outcome = outcome;
                      }
                      auto bet_key = q.key;
                      auto undo = a.verdict != ref_verdict::already_rolled_back;
                      auto moved = a.verdict == ref_verdict::refund ? a.amount : 0;
                      send_leg(req.account, std::move(lr), key, c,
                               [=, this](leg_result& r) {
                                 if (r.error != error_code::none) {
                                   if (undo)
                                     send(routes_->shard_for_key(bet_key), ref_undo_atom::value,
                                          bet_key);
                                   return refuse(req, key, c, r.error, std::move(r.message));
                                 }
                                 finish(req, key, c, outcome, moved, r);
                               });
                    },
                    [=, this](caf::error& err) {
                      refuse(req, key, c, error_code::internal,
                             "ledger shard failed: " + to_string(err));
                    });
          },
          [=, this](caf::error& err) {
            refuse(req, key, c, error_code::internal, "directory failed: " + to_string(err));
          });
}
void ledger_shard::handle_ref(const ref_query& q, caf::typed_response_promise<ref_answer> rp) {
  ref_answer answer;
  auto* e = ids_.find(q.key);
  if (e == nullptr) {
    // The rollback overtook its bet: leave a tombstone so the bet is refused when it comes.
    id_entry t;
    t.state = id_state::tombstone;
    t.kind = txn_kind::bet;
    t.created_at_s = now_s();
    t.account = q.account;
    t.currency = q.currency;
    t.amount = q.amount;
    t.has_amount = q.has_amount;
    ids_.insert(q.key, std::move(t));
    answer.verdict = ref_verdict::tombstoned;
  } else if (e->state == id_state::pending && e->kind == txn_kind::bet) {
    // Only a pending bet is worth waiting for; it depends on nothing but its account, so
    // waiting cannot form a cycle (a rollback naming a pending rollback, or itself, would).
    waiters_[q.key].push_back([this, q, rp] { handle_ref(q, rp); });
    return;
  } else if (e->state == id_state::tombstone || (e->kind == txn_kind::bet && e->rolled_back)) {
    answer.verdict = ref_verdict::already_rolled_back;
  } else if (e->kind != txn_kind::bet) {
    answer.message = "ref names a transaction that is not a bet";
  } else if (e->account != q.account) {
    answer.message = "the bet was on account '" + e->account + "'";
  } else if (e->currency != q.currency) {
    answer.message = "the bet was in " + ledger::currency_text(e->currency);
  } else if (q.has_amount && q.amount != e->amount) {
    answer.message = "the bet's amount was " + std::to_string(e->amount);
  } else {
    e->rolled_back = true;
    answer.verdict = ref_verdict::refund;
    answer.amount = e->amount;
  }
  rp.deliver(std::move(answer));
}

void ledger_shard::apply_transfer(const protocol::request& req, const std::string& key,
                                  call_ptr c) {
  auto currency = ledger::pack_currency(req.currency);
  // Check the target first so the source is never debited for a transfer that cannot land.
  request(routes_->directory_for(req.to), caf::infinite, peek_atom::value, req.to)
      .then(
          [=, this](leg_result& target) {
            if (target.error == error_code::unavailable)
              return refuse(req, key, c, target.error, std::move(target.message));
            if (!target.known_account)
              return refuse(req, key, c, error_code::unknown_account,
                            "target account '" + req.to + "' does not exist");
            if (target.currency != currency)
              return refuse(req, key, c, error_code::currency_mismatch,
                            "target account currency is " +
                                ledger::currency_text(target.currency));
            if (target.status == protocol::account_status::blocked)
              return refuse(req, key, c, error_code::account_blocked,
                            "target account '" + req.to + "' is blocked");
            ledger::leg debit;
            debit.kind = txn_kind::transfer;
            debit.side = ledger::leg_side::debit;
            debit.amount = req.amount;
            debit.currency = currency;
            send_leg(req.account, make_leg(req, key, debit, persistence::leg_role::transfer_debit),
                     key, c, [=, this](leg_result& src) {
                       if (src.error != error_code::none)
                         return refuse(req, key, c, src.error, std::move(src.message));
                       // The debit is durable: the transfer is committed.
                       transfer_credit(req, key, c, src);
                     });
          },
          [=, this](caf::error& err) {
            refuse(req, key, c, error_code::internal, "directory failed: " + to_string(err));
          });
}

void ledger_shard::transfer_credit(const protocol::request& req, const std::string& key,
                                   call_ptr c, leg_result src) {
  ledger::leg credit;
  credit.kind = txn_kind::transfer;
  credit.side = ledger::leg_side::credit;
  credit.amount = req.amount;
  credit.currency = ledger::pack_currency(req.currency);
  credit.transfer_target = true;
  send_leg(req.to, make_leg(req, key, credit, persistence::leg_role::transfer_credit), key, c,
           [=, this](leg_result& dst) {
             if (dst.error == error_code::none)
               return finish(req, key, c, txn_status::applied, req.amount, src);
             if (dst.error == error_code::unavailable || dst.error == error_code::internal) {
               // The journal refused the credit: the debit stands, so the credit must land.
               hold(key, c, "the transfer is committed but its credit is not journaled yet; "
                            "retry later with the same id");
               return later(key, [=, this] { transfer_credit(req, key, c, src); });
             }
             // The target changed since the check (blocked meanwhile): give the money back.
             transfer_refund(req, key, c, dst.error, dst.message);
           });
}

void ledger_shard::transfer_refund(const protocol::request& req, const std::string& key,
                                   call_ptr c, error_code code, std::string why) {
  ledger::leg back;
  back.kind = txn_kind::transfer;
  back.side = ledger::leg_side::credit;
  back.amount = req.amount;
  back.currency = ledger::pack_currency(req.currency);
  send_leg(req.account, make_leg(req, key, back, persistence::leg_role::transfer_refund), key, c,
           [=, this](leg_result& restored) {
             if (restored.error == error_code::none)
               return refuse(req, key, c, code, why);
             // A credit back cannot be refused by the rules; only the journal can refuse it.
             hold(key, c, "the transfer is being undone but the journal is not answering; "
                          "retry later with the same id");
             later(key, [=, this] { transfer_refund(req, key, c, code, why); });
           });
}

void ledger_shard::refuse_unreserved(const protocol::request& req, call_ptr c, error_code code,
                                     std::string message) {
  if (c->answered)
    return;
  if (req.account.empty() || ledger::is_reserved_account(req.account)) {
    c->answer(txn_error(req, code, std::move(message), nullptr));
    return;
  }
  // Refusals carry the account's current balance when the account exists.
  request(routes_->directory_for(req.account), caf::infinite, peek_atom::value, req.account)
      .then([=](leg_result& acc) { c->answer(txn_error(req, code, message, &acc)); },
            [=](caf::error&) { c->answer(txn_error(req, code, message, nullptr)); });
}

void ledger_shard::refuse(const protocol::request& req, const std::string& key, call_ptr c,
                          error_code code, std::string message) {
  auto* e = ids_.find(key);
  assert(e != nullptr && e->state == id_state::pending);
  (void)e;
  ids_.erase(key);
  assert(pending_ > 0);
  --pending_;
  wake(key);
  refuse_unreserved(req, c, code, std::move(message));
}

void ledger_shard::finish(const protocol::request& req, const std::string& key, call_ptr c,
                          txn_status outcome, int64_t amount_moved, const leg_result& player) {
  auto* e = ids_.find(key);
  assert(e != nullptr && e->state == id_state::pending);
  e->state = id_state::done;
  e->stalled = false;
  e->outcome = outcome;
  e->balance = player.balance;
  e->version = player.version;
  assert(pending_ > 0);
  --pending_;
  if (outcome == txn_status::applied && req.kind != txn_kind::transfer)
    add_clearing(req, amount_moved);
  protocol::response resp;
  resp.op = op_kind::txn;
  resp.rid = req.rid;
  resp.outcome = outcome;
  resp.balance = player.balance;
  resp.version = player.version;
  c->answer(std::move(resp));
  wake(key);
}

void ledger_shard::wake(const std::string& key) {
  auto it = waiters_.find(key);
  if (it == waiters_.end())
    return;
  auto waiting = std::move(it->second);
  waiters_.erase(it);
  for (auto& retry : waiting)
    retry();
}

void ledger_shard::add_clearing(const protocol::request& req, int64_t amount) {
  auto currency = ledger::pack_currency(req.currency);
  std::string owner = req.kind == txn_kind::deposit || req.kind == txn_kind::withdraw
                          ? std::string{}
                          : req.partner;
  auto& d = deltas_[std::make_pair(owner, currency)];
  if (d.currency == 0) {
    d.partner = owner;
    d.currency = currency;
  }
  ledger::record_leg(d, req.kind, amount);
  if (!flush_armed_) {
    flush_armed_ = true;
    delayed_send(this, std::chrono::microseconds(opts_.partner_flush_interval_us),
                 flush_tick_atom::value);
  }
}

delta_batch ledger_shard::take_deltas() {
  delta_batch batch;
  batch.deltas.reserve(deltas_.size());
  for (auto& [k, d] : deltas_)
    batch.deltas.push_back(std::move(d));
  deltas_.clear();
  return batch;
}

}  // namespace settle::actors

namespace settle::actors {

void ledger_shard::on_exit() {
  waiters_.clear();
  routes_.reset();
}

}  // namespace settle::actors
