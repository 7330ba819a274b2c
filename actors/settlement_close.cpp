// Period closes. A close picks its instant `to`, then waits on a barrier across the ledger
// shards: each shard answers once everything it applied before the barrier is durable, and
// stamps everything after it at `to` or later. The period is then complete in the journal:
// its totals, ids and reconcile rows are read from there (ledger/period_scan), the statement
// computed (ledger/statement), stored, and the close journaled. One close runs at a time.
#include <caf/all.hpp>

#include "actors/settlement_actor.hpp"
#include "actors/settlement_answers.hpp"
#include "base/invariant.hpp"
#include "base/wall_clock.hpp"

namespace settle::actors {

using protocol::error_code;

void settlement_actor::queue_close(close_job job) {
  closes_.push_back(std::move(job));
  if (closes_.size() == 1)
    next_close();
}

void settlement_actor::next_close() {
  if (closes_.empty() || barrier_pending_)
    return;
  barrier_pending_ = true;
  const int64_t to = closes_.front().to_unix_ms;
  auto left = std::make_shared<size_t>(routes_->ledger_shards.size());
  auto failed = std::make_shared<std::string>();
  auto done = [this, left, failed] {
    if (--*left != 0)
      return;
    barrier_pending_ = false;
    auto job = std::move(closes_.front());
    closes_.pop_front();
    protocol::response resp =
        failed->empty() ? finish_close(job)
                        : protocol::make_error(job.req.op, job.req.rid, error_code::unavailable,
                                               *failed);
    if (!resp.ok() && job.automatic && resp.error != error_code::unavailable)
      stuck_.insert(job.partner);
    if (job.promise.pending())
      job.promise.deliver(std::move(resp));
    next_close();
  };
  for (const auto& shard : routes_->ledger_shards)
    request(shard, caf::infinite, barrier_atom::value, to)
        .then([done](bool) { done(); },
              [done, failed](caf::error& err) {
                *failed = "a ledger shard did not pass the close's barrier: " + to_string(err);
                done();
              });
}

protocol::response settlement_actor::finish_close(const close_job& job) {
  const auto* p = book_.partner(job.partner);
  SETTLE_ASSERT(p != nullptr && p->schedule, "a close queued for a partner with a contract");
  const auto& sched = *p->schedule;
  const int64_t from = sched.open_since_unix_ms();
  const int64_t to = std::max(job.to_unix_ms, from);
  // A supplier's statement lists the providers settling through it over its own window.
  std::vector<ledger::period_window> windows{{job.partner, from, to}};
  const auto providers = sched.in_force().kind == ledger::partner_kind::supplier
                             ? book_.providers_via(job.partner)
                             : std::vector<std::string>{};
  for (const auto& provider : providers)
    windows.push_back({provider, from, to});
  ledger::period_collector collected{std::move(windows)};
  try {
    opts_.store->scan(collected);
  } catch (const std::exception& e) {
    return protocol::make_error(job.req.op, job.req.rid, error_code::unavailable,
                                std::string{"the journal could not be read: "} + e.what());
  }
  std::vector<ledger::statement_line> lines;
  for (const auto& provider : providers) {
    auto line = book_.line_of(provider, to, collected.of(provider).totals_list());
    if (!line.done)
      return protocol::make_error(job.req.op, job.req.rid, line.error, std::move(line.message));
    lines.push_back({provider, line.done->ggr_settlement});
  }
  const auto& own = collected.of(job.partner);
  std::vector<std::string> ids;
  ids.reserve(own.rows.size());
  for (const auto& r : own.rows)
    ids.push_back(r.id);
  auto checksum = ledger::statement_checksum(ids);
  auto v = book_.decide_close(job.partner, to, own.totals_list(), lines, std::move(checksum));
  if (v.refused())
    return protocol::make_error(job.req.op, job.req.rid, v.error, std::move(v.message));
  const auto& stated = std::get<ledger::close_record>(*v.record).stated;
  try {
    opts_.store->put_period(stated, own.rows);
  } catch (const std::exception& e) {
    return protocol::make_error(job.req.op, job.req.rid, error_code::unavailable,
                                std::string{"the statement could not be stored: "} + e.what());
  }
  auto a = std::make_shared<protocol::settlement_answer>();
  a->period = stated.terms.period;
  a->from_unix_ms = stated.terms.from_unix_ms;
  a->to_unix_ms = stated.terms.to_unix_ms;
  if (auto why = commit(*v.record); !why.empty())
    return protocol::make_error(job.req.op, job.req.rid, error_code::unavailable, std::move(why));
  // The statement now holds the period exactly; live totals restart with the next one (what
  // the shards' deltas of the closed period still bring in is counted there: the live view
  // errs on the side of consuming credit early, never late).
  live_.own.erase(job.partner);
  live_.via.erase(job.partner);
  refresh_gates();
  update_hold();
  protocol::request req = job.req;
  req.op = protocol::op_kind::period_close;
  req.partner = job.partner;
  return answer(req, std::move(a));
}

void settlement_actor::on_tick() {
  const int64_t now = wall_clock_ms();
  for (const auto& partner : book_.due(now)) {
    if (stuck_.contains(partner))
      continue;
    bool queued = false;
    for (const auto& job : closes_)
      queued = queued || job.partner == partner;
    if (queued)
      continue;
    const auto* p = book_.partner(partner);
    close_job job;
    job.partner = partner;
    job.to_unix_ms = p->schedule->closes_at_unix_ms();
    job.automatic = true;
    job.req.op = protocol::op_kind::period_close;
    job.req.partner = partner;
    queue_close(std::move(job));
  }
  for (auto it = reconciles_.begin(); it != reconciles_.end();)
    it = now - it->second.touched_unix_ms > int64_t{opts_.reconcile_idle_s} * 1000
             ? reconciles_.erase(it)
             : std::next(it);
  refresh_gates();
}

}  // namespace settle::actors
