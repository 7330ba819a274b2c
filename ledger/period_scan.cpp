#include "ledger/period_scan.hpp"

#include "base/invariant.hpp"
#include "ledger/currency.hpp"

namespace settle::ledger {

using protocol::txn_kind;

std::vector<period_totals> period_collected::totals_list() const {
  std::vector<period_totals> out;
  out.reserve(totals.size());
  for (const auto& [currency, t] : totals)
    out.push_back(t);
  return out;
}

period_collector::period_collector(std::vector<period_window> windows, bool keep_rows)
    : windows_(std::move(windows)), collected_(windows_.size()), keep_rows_(keep_rows) {
  for (size_t i = 0; i < windows_.size(); ++i) {
    SETTLE_ASSERT(windows_[i].from_unix_ms <= windows_[i].to_unix_ms,
                  "a period window ends before it starts");
    by_partner_[windows_[i].partner].push_back(i);
  }
}

bool counts_in_period(const journal_record& r) {
  return r.type == record_type::txn && r.role == leg_role::player &&
         r.outcome == protocol::txn_status::applied && !r.partner.empty() &&
         is_reported_kind(r.kind);
}

void period_collector::add(const journal_record& r) {
  if (!counts_in_period(r))
    return;
  const auto found = by_partner_.find(r.partner);
  if (found == by_partner_.end())
    return;
  for (const size_t i : found->second) {
    const auto& w = windows_[i];
    if (r.at_unix_ms < w.from_unix_ms || r.at_unix_ms >= w.to_unix_ms)
      continue;
    // The player's balance change: a bet takes money, a win or rollback gives it.
    const int64_t amount = r.kind == txn_kind::bet ? -r.amount : r.amount;
    SETTLE_ASSERT(amount > 0, "an applied " + std::string{protocol::to_string(r.kind)} +
                                  " that moves no money: " + r.txn_id);
    auto currency = pack_currency(r.currency);
    auto& t = collected_[i].totals[currency];
    t.currency = currency;
    switch (r.kind) {
      case txn_kind::bet:
        t.bets += amount;
        ++t.bet_count;
        break;
      case txn_kind::win:
        t.wins += amount;
        ++t.win_count;
        break;
      default:
        t.rollbacks += amount;
        ++t.rollback_count;
        break;
    }
    if (keep_rows_)
      collected_[i].rows.push_back(txn_row{r.txn_id, r.kind, amount, currency});
  }
}

int64_t period_collector::earliest_from_unix_ms() const {
  int64_t from = INT64_MAX;
  for (const auto& w : windows_)
    from = std::min(from, w.from_unix_ms);
  return from;
}

const period_collected& period_collector::of(std::string_view partner) const {
  for (size_t i = 0; i < windows_.size(); ++i)
    if (windows_[i].partner == partner)
      return collected_[i];
  SETTLE_ASSERT(false, "no window for partner " + std::string{partner});
  return collected_.front();
}

}  // namespace settle::ledger
