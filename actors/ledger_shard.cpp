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
                           std::unique_ptr<persistence::journal_stage> journal)
    : caf::event_based_actor(cfg),
      routes_(std::move(routes)),
      opts_(opts),
      journal_(std::move(journal)) {
  // nop
}

int64_t ledger_shard::now_s() const {
  return unix_ms() / 1000;
}

caf::behavior ledger_shard::make_behavior() {
  delayed_send(this, std::chrono::seconds(opts_.id_sweep_interval_s), sweep_atom::value);
  return {
      [=, this](const protocol::request& req) {
        auto rp = make_response_promise<protocol::response>();
        handle_txn(req, rp);
        return rp;
      },
      [=, this](ref_atom, const ref_query& q) {
        auto rp = make_response_promise<ref_answer>();
        handle_ref(q, rp);
        return rp;
      },
      [=, this](ref_undo_atom, const std::string& key) {
        if (auto* e = ids_.find(key))
          e->rolled_back = false;
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
        st.journal_records = journal_->records_appended();
        return st;
      },
  };
}

void ledger_shard::handle_txn(const protocol::request& req, promise rp) {
  assert(req.op == op_kind::txn);
  bool amount_given = req.kind != txn_kind::rollback || req.has_amount;
  if (amount_given && (req.amount <= 0 || req.amount > opts_.max_amount))
    return refuse_unreserved(req, rp, error_code::invalid_amount,
                             "amount must be between 1 and " + std::to_string(opts_.max_amount));
  if (ledger::is_reserved_account(req.account))
    return refuse_unreserved(req, rp, error_code::bad_request,
                             "field 'account': house and partner accounts cannot be named here");
  if (req.kind == txn_kind::transfer && ledger::is_reserved_account(req.to))
    return refuse_unreserved(req, rp, error_code::bad_request,
                             "field 'to': house and partner accounts cannot be named here");
  if (req.kind == txn_kind::transfer && req.to == req.account)
    return refuse_unreserved(req, rp, error_code::bad_request,
                             "field 'to': a transfer needs two different accounts");
  auto key = ledger::id_key(ledger::id_namespace(req), req.id);
  auto fp = ledger::fingerprint(req);
  if (auto* e = ids_.find(key)) {
    switch (e->state) {
      case id_state::pending:
        // The first copy is still being applied: answer this one when it is done.
        waiters_[key].push_back([this, req, rp] { handle_txn(req, rp); });
        return;
      case id_state::tombstone:
        if (req.kind == txn_kind::bet)
          return refuse_unreserved(req, rp, error_code::rolled_back,
                                   "bet '" + req.id + "' was rolled back before it arrived");
        return refuse_unreserved(req, rp, error_code::id_conflict,
                                 "id '" + req.id + "' names a rolled-back bet");
      case id_state::done:
        if (e->fingerprint != fp)
          return refuse_unreserved(req, rp, error_code::id_conflict,
                                   "id '" + req.id + "' was used with different fields");
        protocol::response resp;
        resp.op = op_kind::txn;
        resp.rid = req.rid;
        resp.outcome = txn_status::duplicate;
        resp.balance = e->balance;
        resp.version = e->version;
        rp.deliver(std::move(resp));
        return;
    }
  }
  if (pending_ >= opts_.max_pending) {
    rp.deliver(protocol::make_error(op_kind::txn, req.rid, error_code::overloaded,
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
      return apply_rollback(req, key, rp);
    case txn_kind::transfer:
      return apply_transfer(req, key, rp);
    default:
      return apply_simple(req, key, rp);
  }
}

void ledger_shard::apply_simple(const protocol::request& req, const std::string& key, promise rp) {
  ledger::leg l;
  l.kind = req.kind;
  l.side = ledger::player_side(req.kind);
  l.amount = req.amount;
  l.currency = ledger::pack_currency(req.currency);
  request(routes_->directory_for(req.account), caf::infinite, leg_atom::value, req.account, l)
      .then(
          [=, this](leg_result& r) {
            if (r.error != error_code::none)
              return refuse(req, key, rp, r.error, std::move(r.message));
            finish(req, key, rp, txn_status::applied, req.amount, r);
          },
          [=, this](caf::error& err) {
            refuse(req, key, rp, error_code::internal, "account actor failed: " + to_string(err));
          });
}

void ledger_shard::apply_rollback(const protocol::request& req, const std::string& key,
                                  promise rp) {
  auto currency = ledger::pack_currency(req.currency);
  // Check the account first, so a rollback naming a wrong account leaves no tombstone.
  request(routes_->directory_for(req.account), caf::infinite, peek_atom::value, req.account)
      .then(
          [=, this](leg_result& acc) {
            if (!acc.known_account)
              return refuse(req, key, rp, error_code::unknown_account, std::move(acc.message));
            if (acc.currency != currency)
              return refuse(req, key, rp, error_code::currency_mismatch,
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
                      switch (a.verdict) {
                        case ref_verdict::mismatch:
                          return refuse(req, key, rp, error_code::ref_mismatch,
                                        std::move(a.message));
                        case ref_verdict::tombstoned:
                          return finish(req, key, rp, txn_status::noop, 0, acc);
                        case ref_verdict::already_rolled_back:
                          return finish(req, key, rp, txn_status::duplicate, 0, acc);
                        case ref_verdict::refund:
                          break;
                      }
                      ledger::leg l;
                      l.kind = txn_kind::rollback;
                      l.side = ledger::leg_side::credit;
                      l.amount = a.amount;
                      l.currency = currency;
                      auto bet_key = q.key;
                      request(routes_->directory_for(req.account), caf::infinite,
                              leg_atom::value, req.account, l)
                          .then(
                              [=, this](leg_result& r) {
                                if (r.error != error_code::none) {
                                  send(routes_->shard_for_key(bet_key), ref_undo_atom::value,
                                       bet_key);
                                  return refuse(req, key, rp, r.error, std::move(r.message));
                                }
                                finish(req, key, rp, txn_status::applied, a.amount, r);
                              },
                              [=, this](caf::error& err) {
                                send(routes_->shard_for_key(bet_key), ref_undo_atom::value,
                                     bet_key);
                                refuse(req, key, rp, error_code::internal,
                                       "account actor failed: " + to_string(err));
                              });
                    },
                    [=, this](caf::error& err) {
                      refuse(req, key, rp, error_code::internal,
                             "ledger shard failed: " + to_string(err));
                    });
          },
          [=, this](caf::error& err) {
            refuse(req, key, rp, error_code::internal, "directory failed: " + to_string(err));
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
                                  promise rp) {
  auto currency = ledger::pack_currency(req.currency);
  // Check the target first so the source is never debited for a transfer that cannot land.
  request(routes_->directory_for(req.to), caf::infinite, peek_atom::value, req.to)
      .then(
          [=, this](leg_result& target) {
            if (!target.known_account)
              return refuse(req, key, rp, error_code::unknown_account,
                            "target account '" + req.to + "' does not exist");
            if (target.currency != currency)
              return refuse(req, key, rp, error_code::currency_mismatch,
                            "target account currency is " +
                                ledger::currency_text(target.currency));
            if (target.status == protocol::account_status::blocked)
              return refuse(req, key, rp, error_code::account_blocked,
                            "target account '" + req.to + "' is blocked");
            ledger::leg debit;
            debit.kind = txn_kind::transfer;
            debit.side = ledger::leg_side::debit;
            debit.amount = req.amount;
            debit.currency = currency;
            request(routes_->directory_for(req.account), caf::infinite, leg_atom::value,
                    req.account, debit)
                .then(
                    [=, this](leg_result& src) {
                      if (src.error != error_code::none)
                        return refuse(req, key, rp, src.error, std::move(src.message));
                      ledger::leg credit = debit;
                      credit.side = ledger::leg_side::credit;
                      credit.transfer_target = true;
                      request(routes_->directory_for(req.to), caf::infinite, leg_atom::value,
                              req.to, credit)
                          .then([=, this](leg_result& dst) {
                            if (dst.error == error_code::none)
                              return finish(req, key, rp, txn_status::applied, req.amount, src);
                            // The target changed since the check (blocked meanwhile): give
                            // the money back to the source, then refuse.
                            ledger::leg back = credit;
                            back.transfer_target = false;
                            auto code = dst.error;
                            auto why = dst.message;
                            request(routes_->directory_for(req.account), caf::infinite,
                                    leg_atom::value, req.account, back)
                                .then([=, this](leg_result& restored) {
                                  assert(restored.error == error_code::none);
                                  (void)restored;
                                  refuse(req, key, rp, code, why);
                                });
                          });
                    },
                    [=, this](caf::error& err) {
                      refuse(req, key, rp, error_code::internal,
                             "account actor failed: " + to_string(err));
                    });
          },
          [=, this](caf::error& err) {
            refuse(req, key, rp, error_code::internal, "directory failed: " + to_string(err));
          });
}

void ledger_shard::refuse_unreserved(const protocol::request& req, promise rp, error_code code,
                                     std::string message) {
  if (req.account.empty() || ledger::is_reserved_account(req.account)) {
    rp.deliver(txn_error(req, code, std::move(message), nullptr));
    return;
  }
  // Refusals carry the account's current balance when the account exists.
  request(routes_->directory_for(req.account), caf::infinite, peek_atom::value, req.account)
      .then([=](leg_result& acc) mutable { rp.deliver(txn_error(req, code, message, &acc)); },
            [=](caf::error&) mutable { rp.deliver(txn_error(req, code, message, nullptr)); });
}

void ledger_shard::refuse(const protocol::request& req, const std::string& key, promise rp,
                          error_code code, std::string message) {
  auto* e = ids_.find(key);
  assert(e != nullptr && e->state == id_state::pending);
  (void)e;
  ids_.erase(key);
  assert(pending_ > 0);
  --pending_;
  wake(key);
  refuse_unreserved(req, rp, code, std::move(message));
}

void ledger_shard::finish(const protocol::request& req, const std::string& key, promise rp,
                          txn_status outcome, int64_t amount_moved, const leg_result& player) {
  auto* e = ids_.find(key);
  assert(e != nullptr && e->state == id_state::pending);
  e->state = id_state::done;
  e->outcome = outcome;
  e->balance = player.balance;
  e->version = player.version;
  assert(pending_ > 0);
  --pending_;
  if (outcome == txn_status::applied && req.kind != txn_kind::transfer)
    add_clearing(req, amount_moved);

  persistence::journal_record rec;
  rec.txn_id = req.id;
  rec.id_namespace = std::string{ledger::id_namespace(req)};
  rec.kind = req.kind;
  rec.outcome = outcome;
  rec.account = req.account;
  rec.counterparty = req.kind == txn_kind::transfer ? req.to
                     : req.partner.empty()          ? "house:" + req.currency
                                                    : "partner:" + req.partner + ":" + req.currency;
  rec.currency = req.currency;
  rec.amount = amount_moved;
  rec.balance_after = player.balance;
  rec.version_after = player.version;
  rec.fingerprint = e->fingerprint;
  rec.ref = req.ref;
  rec.at_unix_ms = unix_ms();

  protocol::response resp;
  resp.op = op_kind::txn;
  resp.rid = req.rid;
  resp.outcome = outcome;
  resp.balance = player.balance;
  resp.version = player.version;
  journal_->append(std::move(rec), [rp, resp]() mutable { rp.deliver(std::move(resp)); });
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
