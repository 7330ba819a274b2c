#include "ledger/settlement_live.hpp"

#include <cstdint>

#include "base/invariant.hpp"

namespace settle::ledger {

namespace {

constexpr int64_t open_end = INT64_MAX;

/// Calls `f(partner, supplier_or_empty, own_from, supplier_from)` for every contracted
/// partner, in the book's order: live_collector and live_from walk the same windows.
template <class F>
void each_live_partner(const settlement_book& book, F&& f) {
  for (const auto& [id, p] : book.partners()) {
    if (!p.schedule)
      continue;
    std::string supplier = credit_supplier(id, p.schedule->in_force());
    const auto* s = supplier.empty() ? nullptr : book.partner(supplier);
    if (s == nullptr || !s->schedule)
      supplier.clear();  // a supplier without a contract has no credit to consume
    f(id, supplier, p.schedule->open_since_unix_ms(),
      supplier.empty() ? 0 : s->schedule->open_since_unix_ms());
  }
}

}  // namespace

std::string credit_supplier(std::string_view partner, const contract& c) {
  return c.kind == partner_kind::supplier ? std::string{partner} : c.via;
}

period_collector live_collector(const settlement_book& book) {
  std::vector<period_window> windows;
  each_live_partner(book, [&](const std::string& id, const std::string& supplier,
                              int64_t own_from, int64_t supplier_from) {
    windows.push_back({id, own_from, open_end});
    if (!supplier.empty())
      windows.push_back({id, supplier_from, open_end});
  });
  return period_collector{std::move(windows), false};
}

live_view live_from(const settlement_book& book, const period_collector& c) {
  live_view out;
  size_t i = 0;
  each_live_partner(book, [&](const std::string& id, const std::string& supplier, int64_t,
                              int64_t) {
    out.own[id] = c.at(i++).totals;
    if (!supplier.empty())
      out.via[supplier][id] = c.at(i++).totals;
  });
  SETTLE_ASSERT(i == c.windows().size(), "live_from walked other windows than live_collector");
  return out;
}

}  // namespace settle::ledger
