// The specification of a statement, as tables: a period's totals under a contract and the
// rates in force, and what the statement says (per currency, the sum, the share, what is
// payable, what carries forward, to whom), plus the FX rule and the checksum.
#define BOOST_TEST_MODULE statement
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "ledger/statement.hpp"

using namespace settle::ledger;
using settle::protocol::error_code;

namespace {

constexpr int64_t i64_max = std::numeric_limits<int64_t>::max();
const auto EUR = pack_currency("EUR");
const auto USD = pack_currency("USD");
const auto KRW = pack_currency("KRW");
const auto GBP = pack_currency("GBP");
constexpr int64_t close_ms = 1'000'000;

decimal_rate rate(const char* text) {
  auto r = parse_rate(text);
  BOOST_REQUIRE_MESSAGE(r, text);
  return *r;
}

/// The rates every row may use: USD->KRW 1382.50 (so KRW->USD is its inverse), EUR->USD 1.1
/// then 1.2 (the second set at the close itself, so after it).
fx_book rates() {
  fx_book fx;
  BOOST_REQUIRE(fx.set(USD, KRW, rate("1382.50"), 10));
  BOOST_REQUIRE(fx.set(EUR, USD, rate("1.1"), 20));
  BOOST_REQUIRE(fx.set(EUR, USD, rate("1.2"), close_ms));
  return fx;
}

period_totals totals(currency_code c, int64_t bets, int64_t wins, int64_t rollbacks) {
  return {c, bets, wins, rollbacks, 3, 2, 1};
}

statement_terms terms(currency_code settlement, uint32_t share_bps, int64_t carried_in = 0,
                      std::string via = "") {
  statement_terms t;
  t.partner = "acme";
  t.period = 4;
  t.from_unix_ms = 0;
  t.to_unix_ms = close_ms;
  t.revision = 2;
  t.settlement_currency = settlement;
  t.share_bps = share_bps;
  t.carried_in = carried_in;
  t.via = std::move(via);
  return t;
}

struct row {
  const char* rule;
  statement_terms terms;
  std::vector<period_totals> totals;
  std::vector<statement_line> lines;
  // expected
  error_code error;
  int64_t ggr_settlement, share, net_payable, carried_forward;
  const char* payable_to;
};

}  // namespace

BOOST_AUTO_TEST_CASE(statements_from_totals_contract_and_rates) {
  const std::vector<row> rows = {
      {"GGR = bets - wins - rollbacks; share_bps of it is payable", terms(EUR, 1500),
       {totals(EUR, 10'000, 7'000, 1'000)}, {}, error_code::none, 2'000, 300, 300, 0, "acme"},
      {"a zero share pays nothing", terms(EUR, 0), {totals(EUR, 10'000, 0, 0)}, {},
       error_code::none, 10'000, 0, 0, 0, "acme"},
      {"the whole GGR at 10000 bps", terms(EUR, 10'000), {totals(EUR, 10'000, 1, 0)}, {},
       error_code::none, 9'999, 9'999, 9'999, 0, "acme"},
      {"the share rounds half to even (2.5 -> 2)", terms(EUR, 5'000), {totals(EUR, 5, 0, 0)}, {},
       error_code::none, 5, 2, 2, 0, "acme"},
      {"the share rounds half to even (3.5 -> 4)", terms(EUR, 5'000), {totals(EUR, 7, 0, 0)}, {},
       error_code::none, 7, 4, 4, 0, "acme"},
      {"KRW converts by the inverse of USD->KRW (1,382,500 KRW = 1,000.00 USD)",
       terms(USD, 1000), {totals(KRW, 1'382'500, 0, 0)}, {}, error_code::none, 100'000, 10'000,
       10'000, 0, "acme"},
      {"the rate in force is the newest set strictly before the close (1.1, not 1.2)",
       terms(USD, 10'000), {totals(EUR, 1'000, 0, 0)}, {}, error_code::none, 1'100, 1'100, 1'100,
       0, "acme"},
      {"currencies add up in the settlement currency", terms(USD, 10'000),
       {totals(EUR, 1'000, 0, 0), totals(KRW, 13'825, 0, 0), totals(USD, 5, 0, 0)}, {},
       error_code::none, 1'100 + 1'000 + 5, 2'105, 2'105, 0, "acme"},
      {"no rate either way: fx_missing", terms(USD, 1000), {totals(GBP, 100, 0, 0)}, {},
       error_code::fx_missing, 0, 0, 0, 0, ""},
      {"a negative period pays nothing and carries its share forward", terms(EUR, 1000),
       {totals(EUR, 1'000, 6'000, 0)}, {}, error_code::none, -5'000, -500, 0, -500, "acme"},
      {"a carried shortfall offsets the next share", terms(EUR, 1000, -500),
       {totals(EUR, 8'000, 0, 0)}, {}, error_code::none, 8'000, 800, 300, 0, "acme"},
      {"a share smaller than the carry leaves the rest carried", terms(EUR, 1000, -500),
       {totals(EUR, 3'000, 0, 0)}, {}, error_code::none, 3'000, 300, 0, -200, "acme"},
      {"a provider settling via a supplier is paid by the supplier", terms(EUR, 1000, 0, "kr1"),
       {totals(EUR, 3'000, 0, 0)}, {}, error_code::none, 3'000, 300, 0, 0, "kr1"},
      {"a supplier's share applies to its lines and its own traffic", terms(EUR, 2000),
       {totals(EUR, 1'000, 0, 0)}, {{"p1", 2'000}, {"p2", 3'000}}, error_code::none, 6'000,
       1'200, 1'200, 0, "acme"},
      {"a GGR that does not fit: invalid_amount", terms(EUR, 1000),
       {totals(EUR, i64_max, -1, 0)}, {}, error_code::invalid_amount, 0, 0, 0, 0, ""},
      {"a sum that does not fit: invalid_amount", terms(USD, 1000),
       {totals(USD, i64_max, 0, 0), totals(EUR, i64_max / 2, 0, 0)}, {},
       error_code::invalid_amount, 0, 0, 0, 0, ""},
  };
  const auto fx = rates();
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.rule) {
      auto got = compute_statement(r.terms, r.totals, fx, r.lines, "c");
      BOOST_CHECK_EQUAL(static_cast<int>(got.error), static_cast<int>(r.error));
      if (r.error != error_code::none) {
        BOOST_CHECK(!got.done);
        BOOST_CHECK(!got.message.empty());
        continue;
      }
      BOOST_REQUIRE(got.done);
      const auto& s = *got.done;
      BOOST_CHECK_EQUAL(s.ggr_settlement, r.ggr_settlement);
      BOOST_CHECK_EQUAL(s.share, r.share);
      BOOST_CHECK_EQUAL(s.net_payable, r.net_payable);
      BOOST_CHECK_EQUAL(s.carried_forward, r.carried_forward);
      BOOST_CHECK_EQUAL(s.payable_to, r.payable_to);
      BOOST_CHECK_EQUAL(s.txn_count, 6u * r.totals.size());
      BOOST_CHECK_EQUAL(s.checksum, "c");
    }
  }
}

BOOST_AUTO_TEST_CASE(each_currency_line_names_its_rate_and_lines_end_with_the_supplier) {
  const auto fx = rates();
  auto got = compute_statement(terms(USD, 2000),
                               {totals(USD, 5, 0, 0), totals(KRW, 13'825, 0, 0)}, fx,
                               {{"p1", 7}}, "");
  BOOST_REQUIRE(got.done);
  const auto& s = *got.done;
  BOOST_REQUIRE_EQUAL(s.currencies.size(), 2u);
  // In currency order whatever order the totals came in.
  BOOST_CHECK(s.currencies[0].totals.currency < s.currencies[1].totals.currency);
  for (const auto& c : s.currencies) {
    if (c.totals.currency == USD) {
      BOOST_CHECK_EQUAL(to_string(c.rate.rate), "1");
      BOOST_CHECK_EQUAL(c.ggr_settlement, 5);
    } else {
      BOOST_CHECK_EQUAL(to_string(c.rate.rate), "1/1382.5");
      BOOST_CHECK(c.rate.inverted);
      BOOST_CHECK_EQUAL(c.rate.set_at_unix_ms, 10);
      BOOST_CHECK_EQUAL(c.ggr_settlement, 1'000);
    }
  }
  BOOST_REQUIRE_EQUAL(s.lines.size(), 2u);
  BOOST_CHECK_EQUAL(s.lines[0].partner, "p1");
  BOOST_CHECK_EQUAL(s.lines[1].partner, "acme");  // its own traffic
  BOOST_CHECK_EQUAL(s.lines[1].ggr_settlement, 1'005);
  BOOST_CHECK_EQUAL(s.ggr_settlement, 1'012);
}

BOOST_AUTO_TEST_CASE(fx_history_is_append_only_and_found_by_instant) {
  fx_book fx;
  BOOST_CHECK(fx.set(EUR, USD, rate("1.1"), 100));
  BOOST_CHECK(fx.set(EUR, USD, rate("1.15"), 100));  // the same instant replaces it
  BOOST_CHECK(!fx.set(EUR, USD, rate("1.3"), 50));   // older than the newest: refused
  BOOST_CHECK(fx.set(EUR, USD, rate("1.2"), 200));
  BOOST_CHECK(!fx.newest(EUR, USD, 100));  // strictly before
  BOOST_CHECK_EQUAL(to_string(fx.newest(EUR, USD, 101)->rate), "1.15");
  BOOST_CHECK_EQUAL(to_string(fx.newest(EUR, USD, 201)->rate), "1.2");
  // The direct rate wins over an inverse; the inverse is used only when no direct one exists.
  BOOST_CHECK(fx.set(USD, EUR, rate("0.5"), 150));
  BOOST_CHECK_EQUAL(to_string(fx.rate_for(EUR, USD, 300)->rate), "1.2");
  BOOST_CHECK_EQUAL(to_string(fx.rate_for(USD, EUR, 300)->rate), "0.5");
  // Before 150 there is no USD->EUR rate: the exact inverse of EUR->USD 1.15 (not finite).
  BOOST_CHECK_EQUAL(to_string(fx.rate_for(USD, EUR, 120)->rate), "1/1.15");
  BOOST_CHECK(!fx.rate_for(USD, GBP, 300));
  BOOST_CHECK_EQUAL(to_string(fx.rate_for(GBP, GBP, 0)->rate), "1");
}

BOOST_AUTO_TEST_CASE(the_checksum_is_sha256_of_sorted_ids_each_with_a_newline) {
  std::vector<std::string> none;
  BOOST_CHECK_EQUAL(statement_checksum(none),
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::vector<std::string> ids{"b", "a"};
  BOOST_CHECK_EQUAL(statement_checksum(ids),  // sha256("a\nb\n")
                    "911169ddaaf146aff539f58c26c489af3b892dff0fe283c1c264c65ae5aa59a2");
  // Bytewise: "b10" before "b2", and a UTF-8 id after every ASCII one.
  std::vector<std::string> mixed{"w\xc3\xa9", "b2", "b10", "b1"};
  BOOST_CHECK_EQUAL(statement_checksum(mixed),
                    "5bad6424771b8dc613d70f4b5ec8d917fe8f62a1c5f46c8bb3af2c664d63fec1");
  BOOST_CHECK_EQUAL(mixed.front(), "b1");
}
