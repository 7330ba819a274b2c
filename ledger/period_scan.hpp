// Which journal records make up a partner's period, and what they add up to: the applied
// bets, wins and rollbacks naming the partner, stamped in [from, to). A close collects them
// from every shard's journal after its barrier (actors/settlement_close.cpp), so a period's
// totals, ids and reconcile rows come from what is durable, the same after a restart. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/reconcile.hpp"
#include "ledger/record.hpp"
#include "ledger/statement.hpp"

namespace settle::ledger {

/// One partner's period being collected.
struct period_window {
  std::string partner;
  int64_t from_unix_ms = 0, to_unix_ms = 0;  // `to` exclusive
};

/// What one partner's window holds.
struct period_collected {
  std::map<currency_code, period_totals> totals;  // per currency
  std::vector<txn_row> rows;                       // in journal order (per shard)
  /// The totals in currency order, as compute_statement takes them.
  std::vector<period_totals> totals_list() const;
};

/// Collects the windows of several partners in one pass over the journal.
class period_collector {
public:
  /// `keep_rows` false: totals only (the live view at start needs no ids).
  explicit period_collector(std::vector<period_window> windows, bool keep_rows = true);
  /// Looks at one record (any type; only matching ones count).
  void add(const journal_record& r);
  /// The earliest `from` of the windows (where a journal scan may start).
  int64_t earliest_from_unix_ms() const;
  /// The first window of `partner` (asserted to exist).
  const period_collected& of(std::string_view partner) const;
  /// Window `i` (windows of one partner may repeat, with different starts).
  const period_collected& at(size_t i) const { return collected_.at(i); }
  const std::vector<period_window>& windows() const { return windows_; }

private:
  std::vector<period_window> windows_;
  std::vector<period_collected> collected_;  // parallel to windows_
  // partner -> its windows' indexes: a record costs one lookup, not one look per window
  std::map<std::string, std::vector<size_t>, std::less<>> by_partner_;
  bool keep_rows_ = true;
};

/// True when `r` is an applied bet, win or rollback (the records periods are made of).
bool counts_in_period(const journal_record& r);

}  // namespace settle::ledger
