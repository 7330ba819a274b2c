#include "actors/clearing_actor.hpp"
#include "base/invariant.hpp"
#include "base/wall_clock.hpp"

#include <chrono>

#include "actors/messages.hpp"

namespace settle::actors {

using protocol::error_code;
using protocol::op_kind;

namespace {

int64_t unix_ms() {
  return wall_clock_ms();
}

}  // namespace

clearing_actor::clearing_actor(caf::actor_config& cfg, std::string partner,
                               account_map recovered, std::shared_ptr<const routing> routes,
                               partner_watchers watchers)
    : caf::event_based_actor(cfg),
      partner_(std::move(partner)),
      accounts_(std::move(recovered)),
      routes_(std::move(routes)),
      watchers_(watchers) {
  // nop
}

void clearing_actor::on_exit() {
  routes_.reset();
}

protocol::event clearing_actor::state_of(ledger::currency_code currency,
                                         int64_t at_unix_ms) const {
  const auto& acc = accounts_.at(currency);
  protocol::event e;
  e.kind = protocol::event_kind::partner;
  e.at_unix_ms = at_unix_ms;
  e.version = acc.version;
  e.currency = ledger::currency_text(currency);
  e.partner = partner_;
  e.bets = acc.bets;
  e.wins = acc.wins;
  e.rollbacks = acc.rollbacks;
  e.ggr = acc.ggr();
  return e;
}

std::vector<protocol::event> clearing_actor::take_changed() {
  std::vector<protocol::event> out;
  const int64_t now = unix_ms();
  for (auto currency : changed_)
    out.push_back(state_of(currency, now));
  changed_.clear();
  return out;
}

caf::behavior clearing_actor::make_behavior() {
  return {
      [=, this](delta_atom, const ledger::clearing_delta& d) {
        SETTLE_ASSERT(d.partner == partner_, "a delta reaches its partner's clearing actor");
        accounts_[d.currency].apply(d);
        if (followed())
          changed_.insert(d.currency);
      },
      [=, this](emit_atom) {
        if (changed_.empty())
          return;
        event_batch out;
        out.events = take_changed();
        if (routes_->events->admit(out.events.size()))
          send(routes_->publisher, std::move(out));
      },
      [=, this](watch_atom, const watch_order& order) { on_watch(order); },
      [=, this](unwatch_atom, const watch_order& order) { on_unwatch(order); },
      [=, this](const protocol::request& req) -> protocol::response { return answer(req); },
  };
}

void clearing_actor::on_watch(const watch_order& order) {
  watchers_.named += order.ids.empty() ? 0 : 1;
  watchers_.all += order.all ? 1 : 0;
  if (order.request == 0)
    return;
  // What changed before the order goes first, so every event after the reply is newer than
  // the state it carries.
  event_batch out;
  out.events = take_changed();
  if (!routes_->events->admit(out.events.size()))
    out.events.clear();
  watch_reply reply;
  reply.request = order.request;
  const int64_t now = unix_ms();
  for (const auto& entry : accounts_)
    reply.states.push_back(state_of(entry.first, now));
  out.replies.emplace_back(out.events.size(), std::move(reply));
  send(routes_->publisher, std::move(out));
}

void clearing_actor::on_unwatch(const watch_order& order) {
  if (!order.ids.empty()) {
    SETTLE_ASSERT(watchers_.named > 0, "a named watcher was counted");
    --watchers_.named;
  }
  if (order.all) {
    SETTLE_ASSERT(watchers_.all > 0, "a watcher of every partner was counted");
    --watchers_.all;
  }
  if (!followed())
    changed_.clear();
}

protocol::response clearing_actor::answer(const protocol::request& req) const {
  protocol::response resp;
  resp.op = req.op;
  resp.rid = req.rid;
  if (req.op == op_kind::partner) {
    resp.partner = partner_;
    for (auto& [currency, acc] : accounts_)
      resp.totals.push_back(acc.totals(currency));
    return resp;
  }
  SETTLE_ASSERT(req.op == op_kind::balance, "the clearing actor answers only balances");
  ledger::clearing_owner owner;
  ledger::currency_code currency = 0;
  bool valid = false;
  ledger::parse_reserved_account(req.account, owner, currency, valid);
  auto it = accounts_.find(currency);
  if (!valid || it == accounts_.end())
    return protocol::make_error(req.op, req.rid, error_code::unknown_account,
                                "account '" + req.account + "' does not exist");
  resp.account = req.account;
  resp.currency = ledger::currency_text(currency);
  resp.kind = partner_.empty() ? protocol::account_kind::house : protocol::account_kind::partner;
  resp.status = protocol::account_status::active;
  resp.balance = it->second.balance;
  resp.version = it->second.version;
  return resp;
}

}  // namespace settle::actors
