// The FX rates an operator set (fx_set), with when each was set, and the one rule a period
// close converts by: the newest base->quote rate set before the close, or else the exact
// inverse of the newest quote->base one. Pure: the time of each rate comes in as an argument.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "ledger/currency.hpp"
#include "ledger/money.hpp"

namespace settle::ledger {

/// A rate in force: its value, its text as set (canonical), and when it was set.
struct fx_quote {
  fx_rate rate;
  int64_t set_at_unix_ms = 0;
  bool inverted = false;  // the inverse of the rate set the other way round
};

class fx_book {
public:
  /// Records `rate` for base->quote as set at `at_unix_ms`. Rates of one pair are kept in
  /// the order set; one set at the same instant as the newest replaces it. False (nothing
  /// kept) when `at_unix_ms` is older than the newest rate of the pair: history is
  /// append-only, so a statement's rate can always be found again.
  bool set(currency_code base, currency_code quote, const decimal_rate& rate, int64_t at_unix_ms);

  /// The newest base->quote rate set strictly before `before_unix_ms`.
  std::optional<fx_quote> newest(currency_code base, currency_code quote,
                                 int64_t before_unix_ms) const;

  /// The rate a close at `close_unix_ms` converts `from` into `to` with: 1 for the same
  /// currency; else the newest from->to rate set before the close; else the inverse of the
  /// newest to->from one; else nothing (the close answers fx_missing).
  std::optional<fx_quote> rate_for(currency_code from, currency_code to,
                                   int64_t close_unix_ms) const;

  /// Every rate, for snapshots and tests: (base, quote) -> rates in the order set.
  struct entry {
    decimal_rate rate;
    int64_t set_at_unix_ms = 0;
  };
  using pair_key = std::pair<currency_code, currency_code>;
  const std::map<pair_key, std::vector<entry>>& all() const { return rates_; }

private:
  std::map<pair_key, std::vector<entry>> rates_;
};

}  // namespace settle::ledger
