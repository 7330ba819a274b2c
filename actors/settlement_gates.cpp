// Live period totals (from the shards' clearing deltas), supplier credit as it is consumed,
// credit alerts, and the gates every ledger shard checks bets, wins and rollbacks against.
#include <caf/all.hpp>

#include "actors/settlement_actor.hpp"
#include "base/invariant.hpp"
#include "base/wall_clock.hpp"
#include "ledger/currency.hpp"
#include "ledger/money.hpp"

namespace settle::actors {

namespace {

void add_delta(std::map<ledger::currency_code, ledger::period_totals>& totals,
               const ledger::clearing_delta& d) {
  auto& t = totals[d.currency];
  t.currency = d.currency;
  t.bets += d.bets;
  t.wins += d.wins;
  t.rollbacks += d.rollbacks;
  t.bet_count += d.bet_count;
  t.win_count += d.win_count;
  t.rollback_count += d.rollback_count;
}

std::vector<ledger::period_totals> list_of(
    const std::map<ledger::currency_code, ledger::period_totals>& totals) {
  std::vector<ledger::period_totals> out;
  for (const auto& [currency, t] : totals)
    out.push_back(t);
  return out;
}

}  // namespace

void settlement_actor::on_deltas(const delta_batch& batch) {
  bool supplier_changed = false;
  if (opts_.metrics && opts_.metrics->follows_flows())  // the [[alerts]] partner rules
    for (const auto& d : batch.deltas)
      if (!d.partner.empty())
        opts_.metrics->add_flow(metrics::flow_key(d.partner, ledger::currency_text(d.currency)),
                                d.bets, d.wins, d.rollbacks);
  for (const auto& d : batch.deltas) {
    const auto* p = d.partner.empty() ? nullptr : book_.partner(d.partner);
    if (p == nullptr || !p->schedule)
      continue;  // no contract: totals only (the clearing actors keep them)
    add_delta(live_.own[d.partner], d);
    const std::string supplier = ledger::credit_supplier(d.partner, p->schedule->in_force());
    if (supplier.empty())
      continue;
    add_delta(live_.via[supplier][d.partner], d);
    supplier_changed = true;
  }
  if (supplier_changed)
    refresh_gates();
}

int64_t settlement_actor::credit_now(const std::string& supplier) const {
  const auto* p = book_.partner(supplier);
  if (p == nullptr || !p->schedule)
    return 0;
  const int64_t now = wall_clock_ms();
  int64_t ggr = 0;
  if (auto it = live_.via.find(supplier); it != live_.via.end())
    for (const auto& [partner, totals] : it->second) {
      // Without a rate the currency counts nothing live; its close waits for the rate.
      auto line = book_.line_of(partner, now, list_of(totals));
      if (line.done && __builtin_add_overflow(ggr, line.done->ggr_settlement, &ggr))
        return 0;  // past 64 bits: certainly no credit left
    }
  return book_.credit_remaining(supplier,
                                ledger::share_of(ggr, p->schedule->in_force().share_bps));
}

void settlement_actor::refresh_gates() {
  // Suppliers whose prepaid credit is used up; credit is enforced once topped up.
  std::set<std::string> exhausted;
  for (const auto& [id, p] : book_.partners()) {
    if (!p.schedule || p.schedule->in_force().kind != ledger::partner_kind::supplier ||
        p.topups.empty())
      continue;
    const int64_t left = credit_now(id);
    if (left <= 0)
      exhausted.insert(id);
    const auto& alert_at = p.schedule->in_force().credit_alert;
    const bool below = alert_at && left < *alert_at;
    if (!below) {
      below_alert_.erase(id);
      continue;
    }
    if (!below_alert_.insert(id).second)
      continue;  // alerted already; again once it has been above the line
    event_batch out;
    protocol::event e;
    e.kind = protocol::event_kind::alert;
    e.reason = left <= 0 ? "credit_exhausted" : "credit_low";
    e.partner = id;
    e.currency = ledger::currency_text(p.schedule->in_force().currency);
    e.credit_remaining = left;
    e.credit_alert = *alert_at;
    e.at_unix_ms = wall_clock_ms();
    out.events.push_back(std::move(e));
    if (routes_->events->admit(1))
      send(routes_->publisher, std::move(out));
  }
  if (opts_.metrics)  // credit alerts are the settlement's alerts that fire and resolve
    opts_.metrics->credit_alerts_firing.store(static_cast<int64_t>(below_alert_.size()),
                                       std::memory_order_relaxed);
  for (const auto& [id, p] : book_.partners()) {
    partner_gate_update u;
    u.partner = id;
    u.suspended = p.suspended;
    uint32_t max_tps = 0;
    if (p.schedule) {
      const auto& c = p.schedule->in_force();
      u.credit_exhausted = exhausted.contains(id) || (!c.via.empty() && exhausted.contains(c.via));
      max_tps = c.max_tps;
    }
    auto& sent = gates_[id];
    if (sent.suspended == u.suspended && sent.credit_exhausted == u.credit_exhausted &&
        sent.max_tps == max_tps)
      continue;
    sent = {u.suspended, u.credit_exhausted, max_tps};
    auto& rate = rates_[id];
    if (max_tps == 0)
      rate.reset();
    else if (!rate || rate->max_tps() != max_tps)
      rate = std::make_shared<rate_window>(max_tps);
    u.rate = rate;
    send_gate(id, std::move(u));
  }
}

void settlement_actor::send_gate(const std::string& partner, partner_gate_update update) {
  SETTLE_ASSERT(update.partner == partner, "a gate update names its partner");
  for (const auto& shard : routes_->ledger_shards)
    send(shard, gate_atom::value, update);
}

void settlement_actor::update_hold() {
  if (!opts_.journal_hold)
    return;
  int64_t oldest = INT64_MAX;
  for (const auto& [id, p] : book_.partners())
    if (p.schedule)
      oldest = std::min(oldest, p.schedule->open_since_unix_ms());
  // In Redis's clock, which stream entry ids are in (the engine's may be offset).
  opts_.journal_hold->store(oldest == INT64_MAX ? INT64_MAX
                                                : oldest - wall_clock_offset_ms().load() -
                                                      opts_.hold_margin_ms);
}

}  // namespace settle::actors
