// The settlement ops: each asks ledger/settlement_book to decide, journals the record it
// gives (settlement stream) and only then applies and answers it.
#include "actors/settlement_actor.hpp"

#include <caf/all.hpp>

#include "actors/settlement_answers.hpp"
#include "base/invariant.hpp"
#include "base/wall_clock.hpp"
#include "ledger/currency.hpp"
#include "ledger/money.hpp"
#include "protocol/settlement.hpp"

namespace settle::actors {

using protocol::error_code;
using protocol::op_kind;

namespace {

std::string no_contract(std::string_view partner) {
  return "partner '" + std::string{partner} + "' has no contract";
}

}  // namespace

settlement_actor::settlement_actor(caf::actor_config& cfg, std::shared_ptr<const routing> routes,
                                   settlement_options opts, ledger::settlement_book recovered,
                                   ledger::live_view live)
    : caf::event_based_actor(cfg),
      routes_(std::move(routes)),
      opts_(std::move(opts)),
      book_(std::move(recovered)),
      live_(std::move(live)) {
  // nop
}

void settlement_actor::on_exit() {
  closes_.clear();
  reconciles_.clear();
  routes_.reset();
}

caf::behavior settlement_actor::make_behavior() {
  refresh_gates();
  update_hold();
  delayed_send(this, std::chrono::milliseconds(opts_.tick_ms), settle_tick_atom::value);
  return {
      [=, this](const protocol::request& req) -> caf::result<protocol::response> {
        return serve(req);
      },
      [=, this](delta_atom, const delta_batch& batch) { on_deltas(batch); },
      [=, this](settle_tick_atom) {
        on_tick();
        delayed_send(this, std::chrono::milliseconds(opts_.tick_ms), settle_tick_atom::value);
      },
  };
}

caf::result<protocol::response> settlement_actor::serve(const protocol::request& req) {
  if (!opts_.store)
    return protocol::make_error(req.op, req.rid, error_code::bad_request,
                                "partner settlement needs the journal (this engine runs with "
                                "journal off)");
  SETTLE_ASSERT(req.settlement != nullptr, "a settlement op without its fields");
  try {
    switch (req.op) {
      case op_kind::contract_set: return on_contract_set(req);
      case op_kind::contract: return on_contract(req);
      case op_kind::statements: return on_statements(req);
      case op_kind::statement: return on_statement(req);
      case op_kind::fx_set:
      case op_kind::fx: return on_fx(req);
      case op_kind::topup: return on_topup(req);
      case op_kind::suspend:
      case op_kind::resume: return on_suspension(req);
      case op_kind::reconcile: return on_reconcile(req);
      case op_kind::period_close: {
        const auto* p = book_.partner(req.partner);
        if (p == nullptr || !p->schedule)
          return protocol::make_error(req.op, req.rid, error_code::no_contract,
                                      no_contract(req.partner));
        // `to` one millisecond ahead: what a shard applied in this millisecond, before the
        // barrier reaches it, is stamped before `to` and belongs to the closed period; what
        // it applies after the barrier is stamped at `to` or later (its clock floor).
        close_job job{req.partner, wall_clock_ms() + 1, false, make_response_promise(), req};
        auto rp = job.promise;
        queue_close(std::move(job));
        return rp;
      }
      default: break;
    }
  } catch (const std::exception& e) {
    return protocol::make_error(req.op, req.rid, error_code::unavailable,
                                std::string{"the settlement store failed: "} + e.what());
  }
  return protocol::make_error(req.op, req.rid, error_code::internal,
                              "op routed to the settlement actor by mistake");
}

std::string settlement_actor::commit(const ledger::settlement_record& rec) {
  try {
    opts_.store->append(rec);
  } catch (const std::exception& e) {
    return std::string{"the settlement stream could not be written: "} + e.what();
  }
  auto wrong = book_.apply(rec);
  SETTLE_ASSERT(wrong.empty(), "a decided settlement record does not apply: " + wrong);
  return {};
}

protocol::response settlement_actor::settle_verdict(
    const protocol::request& req, ledger::settlement_verdict v,
    std::shared_ptr<protocol::settlement_answer> ok) {
  if (v.refused())
    return protocol::make_error(req.op, req.rid, v.error, std::move(v.message));
  if (v.record) {
    if (auto why = commit(*v.record); !why.empty())
      return protocol::make_error(req.op, req.rid, error_code::unavailable, std::move(why));
  }
  return answer(req, std::move(ok));
}

protocol::response settlement_actor::on_contract_set(const protocol::request& req) {
  auto v = book_.decide_contract(fields_of(req.partner, req.settlement->contract),
                                 wall_clock_ms());
  auto a = std::make_shared<protocol::settlement_answer>();
  if (v.record)
    a->revision = std::get<ledger::contract_record>(*v.record).revision;
  auto resp = settle_verdict(req, std::move(v), a);
  if (resp.ok()) {
    stuck_.erase(req.partner);
    refresh_gates();
    update_hold();
  }
  return resp;
}

protocol::response settlement_actor::on_contract(const protocol::request& req) const {
  const auto* p = book_.partner(req.partner);
  if (p == nullptr || !p->schedule || !p->newest_fields)
    return protocol::make_error(req.op, req.rid, error_code::no_contract,
                                no_contract(req.partner));
  auto a = std::make_shared<protocol::settlement_answer>();
  a->revision = p->schedule->newest().revision;
  a->contract = terms_of(*p->newest_fields);
  if (p->schedule->in_force().kind == ledger::partner_kind::supplier) {
    a->has_credit_remaining = true;
    a->credit_remaining = credit_now(req.partner);
  }
  a->period = p->statements.size() + 1;
  a->from_unix_ms = p->schedule->open_since_unix_ms();
  std::vector<ledger::period_totals> live;
  if (auto it = live_.own.find(req.partner); it != live_.own.end())
    for (const auto& [currency, t] : it->second) {
      a->live.push_back(totals_of(t));
      live.push_back(t);
    }
  // What a close now would make of it (before carry-in); absent while a rate is missing.
  if (auto line = book_.line_of(req.partner, wall_clock_ms(), live); line.done) {
    a->has_live_share = true;
    a->live_ggr_settlement = line.done->ggr_settlement;
    a->live_share = ledger::share_of(a->live_ggr_settlement,
                                     p->schedule->in_force().share_bps);
  }
  a->suspended = p->suspended;
  return answer(req, std::move(a));
}

protocol::response settlement_actor::on_statements(const protocol::request& req) const {
  const auto* p = book_.partner(req.partner);
  if (p == nullptr || !p->schedule)
    return protocol::make_error(req.op, req.rid, error_code::no_contract,
                                no_contract(req.partner));
  const uint32_t limit = req.settlement->limit == 0 ? protocol::default_statements_limit
                                                    : req.settlement->limit;
  auto a = std::make_shared<protocol::settlement_answer>();
  for (auto it = p->statements.rbegin(); it != p->statements.rend() && a->statements.size() < limit;
       ++it)
    a->statements.push_back(summary_of(*it));
  return answer(req, std::move(a));
}

protocol::response settlement_actor::on_statement(const protocol::request& req) const {
  const auto* p = book_.partner(req.partner);
  if (p == nullptr || !p->schedule)
    return protocol::make_error(req.op, req.rid, error_code::no_contract,
                                no_contract(req.partner));
  const uint64_t period = req.settlement->period;
  if (period == 0 || period > p->statements.size())
    return protocol::make_error(req.op, req.rid, error_code::unknown_period,
                                "partner '" + req.partner + "' has no closed period " +
                                    std::to_string(period) + " (" +
                                    std::to_string(p->statements.size()) + " closed)");
  auto a = std::make_shared<protocol::settlement_answer>();
  const auto& st = p->statements[period - 1];
  SETTLE_ASSERT(st.terms.period == period, "statements are kept in period order");
  fill_statement(*a, st);
  return answer(req, std::move(a));
}

protocol::response settlement_actor::on_fx(const protocol::request& req) {
  const auto& s = *req.settlement;
  auto a = std::make_shared<protocol::settlement_answer>();
  a->fx.base = s.base;
  a->fx.quote = s.quote;
  if (req.op == op_kind::fx_set) {
    const int64_t now = wall_clock_ms();
    auto v = book_.decide_fx(s.base, s.quote, s.rate, now);
    if (v.record)
      a->fx.rate = ledger::to_string(std::get<ledger::fx_record>(*v.record).rate);
    a->fx.at_unix_ms = now;
    auto resp = settle_verdict(req, std::move(v), a);
    if (resp.ok())
      stuck_.clear();  // closes waiting for a rate try again
    return resp;
  }
  auto q = book_.fx().rate_for(ledger::pack_currency(s.base), ledger::pack_currency(s.quote),
                               INT64_MAX);
  if (!q || s.base == s.quote)
    return protocol::make_error(req.op, req.rid, error_code::fx_missing,
                                "no rate " + s.base + "->" + s.quote + " (nor its inverse) is set");
  a->fx.rate = ledger::to_string(q->rate);
  a->fx.at_unix_ms = q->set_at_unix_ms;
  return answer(req, std::move(a));
}

protocol::response settlement_actor::on_topup(const protocol::request& req) {
  auto v = book_.decide_topup(req.partner, req.id, req.amount, req.currency, wall_clock_ms());
  auto a = std::make_shared<protocol::settlement_answer>();
  auto resp = settle_verdict(req, std::move(v), a);
  if (!resp.ok())
    return resp;
  refresh_gates();
  a->currency = req.currency;
  a->credit_remaining = credit_now(req.partner);
  return resp;
}

protocol::response settlement_actor::on_suspension(const protocol::request& req) {
  const bool suspend = req.op == op_kind::suspend;
  auto a = std::make_shared<protocol::settlement_answer>();
  a->suspended = suspend;
  auto resp = settle_verdict(req, book_.decide_suspension(req.partner, suspend), a);
  if (resp.ok())
    refresh_gates();
  return resp;
}

}  // namespace settle::actors
