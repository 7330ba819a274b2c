#include "actors/account_actor.hpp"

#include <cassert>
#include <chrono>

#include <caf/send.hpp>
#include <caf/skip.hpp>

#include "actors/account_ops.hpp"
#include "ledger/currency.hpp"
#include "ledger/id_store.hpp"

namespace settle::actors {

using persistence::durability;
using persistence::journal_record;
using persistence::record_type;
using protocol::error_code;
using protocol::op_kind;

namespace {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

account_actor::account_actor(caf::actor_config& cfg, std::string id, ledger::account_state state,
                             caf::actor directory, journal_target journal,
                             std::shared_ptr<const routing> routes, bool opening)
    : caf::event_based_actor(cfg),
      id_(std::move(id)),
      state_(state),
      directory_(std::move(directory)),
      journal_(std::move(journal)),
      routes_(std::move(routes)),
      opening_(opening) {
  // Messages that arrive while a change is being journaled wait in the mailbox.
  set_default_handler(caf::skip);
}

journal_record account_actor::record_base() const {
  journal_record rec;
  rec.account = id_;
  rec.currency = ledger::currency_text(state_.currency);
  rec.at_unix_ms = unix_ms();
  rec.balance_after = state_.balance;
  rec.version_after = state_.version;
  return rec;
}

caf::behavior account_actor::make_behavior() {
  // Reads and other changes wait while legs are gathered (their state is not journaled yet).
  return {
      [=, this](leg_atom, const std::string&, const leg_request& lr) { return on_leg(lr); },
      [=, this](group_atom) { flush_group(); },
      [=, this](peek_atom, const std::string&) -> caf::result<caf::message> {
        if (!group_.legs.empty())
          return caf::skip;
        if (opening_) {  // only reachable if the open was never delivered: treat as absent
          leg_result r;
          r.error = error_code::unknown_account;
          r.message = "account '" + id_ + "' does not exist";
          return caf::make_message(std::move(r));
        }
        return caf::make_message(describe(state_));
      },
      [=, this](const protocol::request& req) -> caf::result<caf::message> {
        if (!group_.legs.empty())
          return caf::skip;
        return on_request(req);
      },
      [=, this](passivate_atom) -> caf::result<void> {
        if (!group_.legs.empty())
          return caf::skip;
        assert(!opening_);
        send(directory_, passivated_atom::value, id_, state_);
        become(bouncing());
        return caf::unit;
      },
  };
}

caf::result<caf::message> account_actor::on_leg(const leg_request& lr) {
  if (group_.legs.empty())
    group_.before = state_;
  if (!lr.note) {
    auto r = apply(state_, lr.leg);
    if (r.error != error_code::none)
      return caf::make_message(std::move(r));  // refused: nothing changed, nothing to record
  }
  auto rec = record_base();
  rec.type = record_type::txn;
  rec.role = lr.role;
  rec.kind = lr.leg.kind;
  rec.outcome = lr.note ? lr.outcome : protocol::txn_status::applied;
  rec.txn_id = lr.txn_id;
  rec.id_namespace = lr.id_namespace;
  rec.partner = lr.partner;
  rec.ref = lr.ref;
  rec.to = lr.to;
  rec.fingerprint = lr.fingerprint;
  rec.amount = lr.note ? 0
               : lr.leg.side == ledger::leg_side::credit ? lr.leg.amount
                                                         : -lr.leg.amount;
  group_records_.push_back(std::move(rec));
  leg_in_group leg;
  leg.rp = make_response_promise();
  leg.txn_key = ledger::id_key(lr.id_namespace, lr.txn_id);
  leg.result = describe(state_);
  auto rp = leg.rp;
  group_.legs.push_back(std::move(leg));
  // Journal once the legs already in the mailbox are gathered: the group message queues
  // behind them.
  if (!flush_armed_) {
    flush_armed_ = true;
    send(this, group_atom::value);
  }
  return rp;
}

void account_actor::flush_group() {
  flush_armed_ = false;
  if (group_.legs.empty())
    return;
  group_.kind = in_flight::what::legs;
  auto change = std::move(group_);
  group_ = in_flight{};
  auto records = std::move(group_records_);
  group_records_.clear();
  journal(std::move(records), std::move(change));
}

caf::result<caf::message> account_actor::on_request(const protocol::request& req) {
  if (req.op == op_kind::open) {
    if (!opening_) {
      // Exists (its open is durable, or it would not be served): idempotent answer.
      if (state_.currency != ledger::pack_currency(req.currency))
        return caf::make_message(protocol::make_error(
            op_kind::open, req.rid, error_code::account_exists,
            "account '" + id_ + "' exists with currency " + ledger::currency_text(state_.currency)));
      protocol::response resp;
      resp.op = op_kind::open;
      resp.rid = req.rid;
      resp.account = id_;
      resp.currency = req.currency;
      resp.kind = protocol::account_kind::player;
      return caf::make_message(std::move(resp));
    }
    in_flight change;
    change.kind = in_flight::what::open;
    change.req = req;
    change.before = state_;
    auto rec = record_base();
    rec.type = record_type::open;
    auto rp = make_response_promise();
    change.rp = rp;
    journal({std::move(rec)}, std::move(change));
    return rp;
  }
  if (req.op == op_kind::block || req.op == op_kind::unblock) {
    auto wanted = req.op == op_kind::block ? protocol::account_status::blocked
                                           : protocol::account_status::active;
    if (state_.status == wanted)  // nothing changes, nothing to record
      return caf::make_message(answer_account_request(id_, state_, req));
    in_flight change;
    change.kind = in_flight::what::status;
    change.req = req;
    change.before = state_;
    answer_account_request(id_, state_, req);  // applies the status change
    auto rec = record_base();
    rec.type = record_type::status;
    rec.status = state_.status;
    auto rp = make_response_promise();
    change.rp = rp;
    journal({std::move(rec)}, std::move(change));
    return rp;
  }
  return caf::make_message(answer_account_request(id_, state_, req));
}

void account_actor::journal(std::vector<journal_record> records, in_flight change) {
  change_ = std::move(change);
  ++token_;
  become(caf::keep_behavior, awaiting());
  auto token = token_;
  auto self = caf::actor_cast<caf::actor>(this);
  bool queued = journal_.writer->append_group(journal_.shard, std::move(records),
                                              [self, token](durability d) {
                                                caf::anon_send(self, durable_atom::value, token,
                                                               d);
                                              });
  if (!queued)  // the writer's queue is full (Redis slow or down): refuse at once
    on_outcome(durability::failed);
}

caf::message account_actor::success() const {
  if (change_.kind == in_flight::what::open) {
    protocol::response resp;
    resp.op = op_kind::open;
    resp.rid = change_.req.rid;
    resp.account = id_;
    resp.currency = ledger::currency_text(state_.currency);
    resp.kind = protocol::account_kind::player;
    return caf::make_message(std::move(resp));
  }
  assert(change_.kind == in_flight::what::status);
  auto st = state_;  // answer_account_request changes nothing when the status is already set
  return caf::make_message(answer_account_request(id_, st, change_.req));
}

leg_result account_actor::leg_failure(bool uncertain) const {
  leg_result r = describe(change_.before);  // the state before the group
  r.error = error_code::unavailable;
  r.uncertain = uncertain;
  r.message = uncertain ? "the journal did not confirm the change in time; its outcome is "
                          "unknown, retry with the same id"
                        : "the journal is unavailable; nothing was changed";
  return r;
}

caf::message account_actor::failure(bool uncertain) const {
  return caf::make_message(protocol::make_error(change_.req.op, change_.req.rid,
                                                error_code::unavailable,
                                                leg_failure(uncertain).message));
}

void account_actor::on_outcome(durability d) {
  const bool legs = change_.kind == in_flight::what::legs;
  if (d == durability::uncertain) {
    // Answer within the deadline; the change stays in flight until Redis says more, and
    // meanwhile everything else is answered `unavailable` instead of waiting.
    if (!change_.answered) {
      change_.answered = true;
      if (legs)
        for (auto& leg : change_.legs)
          leg.rp.deliver(leg_failure(true));
      else
        change_.rp.deliver(failure(true));
      unbecome();
      become(caf::keep_behavior, in_doubt());
    }
    return;
  }
  bool landed = d == durability::durable;
  if (!landed)
    state_ = change_.before;
  if (legs) {
    for (auto& leg : change_.legs) {
      auto r = landed ? leg.result : leg_failure(false);
      if (!change_.answered)
        leg.rp.deliver(std::move(r));
      else  // the ledger shard answered `unavailable` and holds the id until it learns this
        send(routes_->shard_for_key(leg.txn_key), resolved_atom::value, leg.txn_key,
             std::move(r));
    }
  } else if (!change_.answered) {
    change_.rp.deliver(landed ? success() : failure(false));
  }
  bool was_opening = change_.kind == in_flight::what::open && opening_;
  change_ = in_flight{};
  unbecome();
  if (was_opening) {
    if (landed) {
      opening_ = false;
    } else {
      // The account was never created: the directory forgets it; we bounce what is left.
      send(directory_, discard_atom::value, id_);
      become(bouncing());
    }
  }
}

caf::behavior account_actor::awaiting() {
  return {
      [=, this](durable_atom, uint64_t t, durability d) {
        assert(t == token_);
        (void)t;
        on_outcome(d);
      },
  };
}

caf::behavior account_actor::in_doubt() {
  auto busy = [=, this] {
    return "account '" + id_ + "' has a change whose journal write has an unknown outcome "
           "(Redis is not answering); retry later";
  };
  return {
      [=, this](durable_atom, uint64_t t, durability d) {
        assert(t == token_);
        (void)t;
        on_outcome(d);
      },
      [=, this](leg_atom, const std::string&, const leg_request&) {
        leg_result r;
        r.error = error_code::unavailable;
        r.message = busy();
        return r;  // not known_account: no balance is shown while it is in doubt
      },
      [=, this](peek_atom, const std::string&) {
        leg_result r;
        r.error = error_code::unavailable;
        r.message = busy();
        return r;
      },
      [=, this](const protocol::request& req) {
        return protocol::make_error(req.op, req.rid, error_code::unavailable, busy());
      },
  };
}

caf::behavior account_actor::bouncing() {
  // The directory forwarded these before it saw our state; it owns the account again now.
  return {
      [=, this](leg_atom a, const std::string& id, const leg_request& l) {
        return delegate(directory_, a, id, l);
      },
      [=, this](peek_atom a, const std::string& id) { return delegate(directory_, a, id); },
      [=, this](const protocol::request& req) { return delegate(directory_, req); },
      [=, this](stop_atom) { quit(); },
  };
}

void account_actor::on_exit() {
  directory_ = nullptr;
  routes_.reset();
}

}  // namespace settle::actors
