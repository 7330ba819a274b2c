// reconcile: the engine's rows of a closed period (kept in the store at the close) against
// the partner's report, whole or in chunks under a reconcile_id (ledger/reconcile).
#include "actors/settlement_actor.hpp"
#include "actors/settlement_answers.hpp"
#include "base/wall_clock.hpp"

namespace settle::actors {

using protocol::error_code;

protocol::response settlement_actor::on_reconcile(const protocol::request& req) {
  const auto& s = *req.settlement;
  const auto* p = book_.partner(req.partner);
  if (p == nullptr || !p->schedule)
    return protocol::make_error(req.op, req.rid, error_code::no_contract,
                                "partner '" + req.partner + "' has no contract");
  if (s.period == 0 || s.period > p->statements.size())
    return protocol::make_error(req.op, req.rid, error_code::unknown_period,
                                "partner '" + req.partner + "' has no closed period " +
                                    std::to_string(s.period));
  return reconcile_chunk(req);
}

protocol::response settlement_actor::reconcile_chunk(const protocol::request& req) {
  const auto& s = *req.settlement;
  std::vector<ledger::txn_row> rows;
  rows.reserve(s.rows.size());
  for (const auto& r : s.rows)
    rows.push_back(row_of(r));
  auto a = std::make_shared<protocol::settlement_answer>();
  a->reconcile.reconcile_id = s.reconcile_id;
  if (s.reconcile_id.empty()) {
    ledger::reconciler whole{opts_.store->rows(req.partner, s.period)};
    whole.add_report(rows);
    a->reconcile = answer_of(whole.finish());
    a->reconcile.rows_received = whole.report_rows();
    return answer(req, std::move(a));
  }
  auto it = reconciles_.find(s.reconcile_id);
  if (it == reconciles_.end()) {
    if (reconciles_.size() >= opts_.max_reconciles)
      return protocol::make_error(req.op, req.rid, error_code::overloaded,
                                  "more than " + std::to_string(opts_.max_reconciles) +
                                      " chunked reconciles open (max_reconciles); finish one");
    reconcile_job job{req.partner, s.period,
                      std::make_unique<ledger::reconciler>(opts_.store->rows(req.partner, s.period)),
                      0};
    it = reconciles_.emplace(s.reconcile_id, std::move(job)).first;
  } else if (it->second.partner != req.partner || it->second.period != s.period) {
    return protocol::make_error(req.op, req.rid, error_code::bad_request,
                                "field 'reconcile_id': '" + s.reconcile_id +
                                    "' is under way for another partner or period");
  }
  auto& job = it->second;
  job.touched_unix_ms = wall_clock_ms();
  job.engine->add_report(rows);
  if (!s.final) {
    a->reconcile.rows_received = job.engine->report_rows();
    return answer(req, std::move(a));
  }
  a->reconcile = answer_of(job.engine->finish());
  a->reconcile.reconcile_id = s.reconcile_id;
  a->reconcile.rows_received = job.engine->report_rows();
  reconciles_.erase(it);
  return answer(req, std::move(a));
}

}  // namespace settle::actors
