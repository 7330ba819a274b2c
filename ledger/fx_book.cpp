#include "ledger/fx_book.hpp"

#include <algorithm>

#include "base/invariant.hpp"

namespace settle::ledger {

bool fx_book::set(currency_code base, currency_code quote, const decimal_rate& rate,
                  int64_t at_unix_ms) {
  SETTLE_ASSERT(base != quote, "a rate of a currency into itself");
  auto& history = rates_[{base, quote}];
  if (!history.empty() && at_unix_ms < history.back().set_at_unix_ms)
    return false;
  if (!history.empty() && at_unix_ms == history.back().set_at_unix_ms)
    history.back().rate = rate;
  else
    history.push_back({rate, at_unix_ms});
  return true;
}

std::optional<fx_quote> fx_book::newest(currency_code base, currency_code quote,
                                        int64_t before_unix_ms) const {
  auto it = rates_.find({base, quote});
  if (it == rates_.end())
    return std::nullopt;
  const auto& history = it->second;
  // The first rate set at or after the instant; the one before it is the newest before.
  auto after = std::lower_bound(
      history.begin(), history.end(), before_unix_ms,
      [](const entry& e, int64_t at) { return e.set_at_unix_ms < at; });
  if (after == history.begin())
    return std::nullopt;
  const auto& e = *std::prev(after);
  SETTLE_ASSERT(e.set_at_unix_ms < before_unix_ms, "a rate from after the instant");
  return fx_quote{to_fx_rate(e.rate), e.set_at_unix_ms, false};
}

std::optional<fx_quote> fx_book::rate_for(currency_code from, currency_code to,
                                          int64_t close_unix_ms) const {
  if (from == to)
    return fx_quote{fx_rate{1, 1}, 0, false};
  if (auto direct = newest(from, to, close_unix_ms))
    return direct;
  if (auto other_way = newest(to, from, close_unix_ms))
    return fx_quote{inverse(other_way->rate), other_way->set_at_unix_ms, true};
  return std::nullopt;
}

}  // namespace settle::ledger
