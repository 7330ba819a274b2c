// The open periods' live totals: what each partner's open period holds so far, and what each
// supplier's open period holds of itself and of every provider settling through it (what
// its prepaid credit is consumed by). The settlement actor adds the shards' clearing deltas
// to them as they arrive; at start they are rebuilt from the journal (live_collector, one
// scan, then live_from), so a restart neither forgets consumed credit nor shows a period as
// empty. Pure.
#pragma once

#include <map>
#include <string>

#include "ledger/period_scan.hpp"
#include "ledger/settlement_book.hpp"

namespace settle::ledger {

/// Per currency, in currency order.
using live_totals = std::map<currency_code, period_totals>;

struct live_view {
  std::map<std::string, live_totals> own;  // partner -> since its open period began
  // supplier -> partner (itself and each provider via it) -> since the supplier's open
  // period began
  std::map<std::string, std::map<std::string, live_totals>> via;
};

/// The supplier whose credit `partner`'s traffic consumes under `c`: itself for a supplier,
/// its `via` for a provider settling through one, "" otherwise.
std::string credit_supplier(std::string_view partner, const contract& c);

/// The windows that rebuild the live view of `book`: every contracted partner from its open
/// period's start on, and again from its supplier's open period's start on. Open-ended: every
/// journaled record after the start belongs to the open period (none has closed since).
period_collector live_collector(const settlement_book& book);

/// The live view from `c` (live_collector(book) after a scan of the whole journal).
live_view live_from(const settlement_book& book, const period_collector& c);

}  // namespace settle::ledger
