// The ledger shard's part in partner settlement: the gates the settlement actor sets
// (suspension, exhausted supplier credit, max_tps), the clock floor that keeps a close's
// instant between the periods, and the barrier a close waits on.
#include "actors/ledger_shard.hpp"
#include "base/invariant.hpp"
#include "base/wall_clock.hpp"

namespace settle::actors {

using protocol::txn_kind;

void ledger_shard::refresh_now() {
  now_ms_ = std::max(wall_clock_ms(), close_floor_ms_);
}

void ledger_shard::on_gate(partner_gate_update& update) {
  if (!update.suspended && !update.credit_exhausted && !update.rate) {
    gates_.erase(update.partner);
    return;
  }
  auto& g = gates_[update.partner];
  g.suspended = update.suspended;
  g.credit_exhausted = update.credit_exhausted;
  g.rate = std::move(update.rate);
}

ledger::partner_gate ledger_shard::gate_for(const protocol::request_view& r) {
  if (gates_.empty() || r.partner.empty())
    return {};
  if (r.kind != txn_kind::bet && r.kind != txn_kind::win && r.kind != txn_kind::rollback)
    return {};
  auto it = gates_.find(absl::string_view{r.partner.data(), r.partner.size()});
  if (it == gates_.end())
    return {};
  const auto& g = it->second;
  ledger::partner_gate out;
  out.suspended = g.suspended;
  out.credit_exhausted = g.credit_exhausted;
  out.over_rate = g.rate && !g.rate->admit(now_ms_);
  return out;
}

caf::result<bool> ledger_shard::on_barrier(int64_t to_unix_ms) {
  // Every record stamped from here on is at or after the close's instant; every record
  // before it is in the open chunk or an earlier one, which the barrier item waits for.
  SETTLE_ASSERT(now_ms_ >= close_floor_ms_, "the shard's clock floor holds");
  close_floor_ms_ = std::max(close_floor_ms_, to_unix_ms);
  refresh_now();
  auto it = make_item(nullptr, 0);
  it.then = follow_up::barrier;
  it.promise = make_response_promise();
  auto rp = it.promise;
  answer_later(std::move(it));
  return rp;
}

}  // namespace settle::actors
