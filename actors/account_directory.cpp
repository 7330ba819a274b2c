#include "actors/account_directory.hpp"

#include <cassert>
#include <chrono>

#include "actors/account_actor.hpp"
#include "actors/account_ops.hpp"
#include "ledger/clearing.hpp"
#include "ledger/currency.hpp"

namespace settle::actors {

using protocol::error_code;
using protocol::op_kind;

account_directory::account_directory(caf::actor_config& cfg, uint32_t account_idle_ms,
                                     journal_target journal,
                                     std::shared_ptr<const routing> routes, account_map accounts)
    : caf::event_based_actor(cfg),
      account_idle_ms_(account_idle_ms),
      journal_(std::move(journal)),
      routes_(std::move(routes)) {
  accounts_.reserve(accounts.size());
  for (auto& [id, st] : accounts) {
    slot s;
    s.state = st;
    accounts_.emplace(id, s);
  }
}

const caf::actor& account_directory::activate(const std::string& id, slot& s, bool opening) {
  s.last_used_tick = tick_;
  if (!s.active) {
    s.active = spawn<account_actor>(id, s.state, caf::actor_cast<caf::actor>(this),
                                                 journal_, routes_, opening);
    active_ids_.insert(id);
    if (!sweep_armed_) {
      sweep_armed_ = true;
      delayed_send(this, std::chrono::milliseconds(account_idle_ms_ / 2 + 1), sweep_atom::value);
    }
  }
  return s.active;
}

caf::result<caf::message> account_directory::open(const protocol::request& req) {
  if (ledger::is_reserved_account(req.account))
    return caf::make_message(
        protocol::make_error(op_kind::open, req.rid, error_code::bad_request,
                             "field 'account': ids starting with 'house:' or 'partner:' are "
                             "reserved"));
  auto currency = ledger::pack_currency(req.currency);
  auto it = accounts_.find(req.account);
  if (it == accounts_.end()) {
    // A new account: its actor journals the open and answers once it is durable.
    slot s;
    s.state.currency = currency;
    it = accounts_.emplace(req.account, s).first;
    return delegate(activate(req.account, it->second, true), req);
  }
  if (it->second.active)  // its open may still be on the way to the journal
    return delegate(activate(req.account, it->second), req);
  if (it->second.state.currency != currency)
    return caf::make_message(protocol::make_error(
        op_kind::open, req.rid, error_code::account_exists,
        "account '" + req.account + "' exists with currency " +
            ledger::currency_text(it->second.state.currency)));
  protocol::response resp;
  resp.op = op_kind::open;
  resp.rid = req.rid;
  resp.account = req.account;
  resp.currency = req.currency;
  resp.kind = protocol::account_kind::player;
  return caf::make_message(std::move(resp));
}

void account_directory::sweep() {
  ++tick_;
  // Idle for two sweep periods (at least account_idle_ms): hand the state back.
  for (const auto& id : active_ids_) {
    const auto& s = accounts_.find(id)->second;
    if (!s.passivating && tick_ - s.last_used_tick >= 2)
      idle_.push_back(id);
  }
  passivate_some();
  sweep_armed_ = !active_ids_.empty();
  if (sweep_armed_)
    delayed_send(this, std::chrono::milliseconds(account_idle_ms_ / 2 + 1), sweep_atom::value);
}

void account_directory::passivate_some() {
  // A few at a time, then requests queued meanwhile go first: passivating thousands of
  // actors in one go stalled every account of this directory for tens of milliseconds.
  constexpr size_t per_step = 32;
  size_t n = 0;
  while (!idle_.empty() && n < per_step) {
    auto id = std::move(idle_.back());
    idle_.pop_back();
    auto it = accounts_.find(id);
    if (it == accounts_.end() || !it->second.active || it->second.passivating ||
        tick_ - it->second.last_used_tick < 2)
      continue;  // gone, or used again since the sweep
    it->second.passivating = true;
    send(it->second.active, passivate_atom::value);
    ++n;
  }
  if (!idle_.empty())
    send(this, passivate_atom::value);  // continue after what is already queued
}

caf::behavior account_directory::make_behavior() {
  auto unknown = [](const std::string& id) {
    leg_result r;
    r.error = error_code::unknown_account;
    r.message = "account '" + id + "' does not exist";
    return r;
  };
  return {
      // Results are untyped messages because some branches delegate to the account actor.
      [=, this](const protocol::request& req) -> caf::result<caf::message> {
        if (req.op == op_kind::open)
          return open(req);
        auto it = accounts_.find(req.account);
        if (it == accounts_.end())
          return caf::make_message(
              protocol::make_error(req.op, req.rid, error_code::unknown_account,
                                   "account '" + req.account + "' does not exist"));
        auto& s = it->second;
        if (s.active || req.op != op_kind::balance)  // changes are journaled by the actor
          return delegate(activate(req.account, s), req);
        return caf::make_message(answer_account_request(req.account, s.state, req));
      },
      [=, this](leg_atom a, const std::string& id,
                const leg_request& l) -> caf::result<caf::message> {
        auto it = accounts_.find(id);
        if (it == accounts_.end())
          return caf::make_message(unknown(id));
        return delegate(activate(id, it->second), a, id, l);
      },
      [=, this](peek_atom a, const std::string& id) -> caf::result<caf::message> {
        auto it = accounts_.find(id);
        if (it == accounts_.end())
          return caf::make_message(unknown(id));
        if (it->second.active)
          return delegate(it->second.active, a, id);
        return caf::make_message(describe(it->second.state));
      },
      [=, this](passivated_atom, const std::string& id, const ledger::account_state& st) {
        auto& s = accounts_.find(id)->second;
        assert(s.passivating && s.active);
        assert(st.version >= s.state.version && st.currency == s.state.currency);
        s.state = st;
        send(s.active, stop_atom::value);  // after everything we forwarded: it bounces those
        s.active = nullptr;
        s.passivating = false;
        active_ids_.erase(id);
      },
      [=, this](discard_atom, const std::string& id) {
        // An open whose record did not land: the account was never created.
        auto it = accounts_.find(id);
        assert(it != accounts_.end() && it->second.active);
        send(it->second.active, stop_atom::value);  // after what we forwarded: it bounces those
        accounts_.erase(it);
        active_ids_.erase(id);
      },
      [=, this](sweep_atom) { sweep(); },
      [=, this](passivate_atom) { passivate_some(); },
      [=, this](stats_atom) {
        shard_stats st;
        st.accounts = accounts_.size();
        st.active_accounts = active_ids_.size();
        return st;
      },
  };
}

}  // namespace settle::actors

namespace settle::actors {

void account_directory::on_exit() {
  routes_.reset();
  journal_ = {};
  accounts_.clear();
  active_ids_.clear();
}

}  // namespace settle::actors
