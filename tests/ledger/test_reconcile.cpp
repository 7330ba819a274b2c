// The specification of reconcile: one row per rule (each kind of difference, the duplicate
// rule, empty sides), then the listing limit at 1,000, and that the answer does not depend on
// how the report is chunked or in which order either side lists its rows.
#define BOOST_TEST_MODULE reconcile
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ledger/reconcile.hpp"

using namespace settle::ledger;
using settle::protocol::txn_kind;

namespace {

using ids = std::vector<std::string>;
using rows = std::vector<txn_row>;

txn_row bet(std::string id, int64_t amount = 100, const char* currency = "EUR") {
  return {std::move(id), txn_kind::bet, amount, pack_currency(currency)};
}
txn_row win(std::string id, int64_t amount = 100, const char* currency = "EUR") {
  return {std::move(id), txn_kind::win, amount, pack_currency(currency)};
}
txn_row rollback(std::string id, int64_t amount = 100) {
  return {std::move(id), txn_kind::rollback, amount, pack_currency("EUR")};
}

/// The report fed one row per chunk: each row its own add_report() call.
reconcile_result one_row_chunks(const rows& engine, const rows& report, size_t max_listed) {
  reconciler r{engine};
  for (const auto& row : report)
    r.add_report({row});
  return r.finish(max_listed);
}

reconcile_result in_one_chunk(const rows& engine, const rows& report,
                              size_t max_listed = default_max_listed) {
  reconciler r{engine};
  r.add_report(report);
  return r.finish(max_listed);
}

struct row {
  const char* rule;
  rows engine{}, report{};
  uint64_t matched = 0;
  ids missing_in_engine{}, missing_in_report{}, mismatched{}, duplicate_in_report{};
};

const row cases[] = {
    {.rule = "equal rows match", .engine = {bet("b1"), win("w1"), rollback("r1")},
     .report = {rollback("r1"), bet("b1"), win("w1")}, .matched = 3},
    {.rule = "a reported id the engine lacks", .engine = {bet("b1")},
     .report = {bet("b1"), bet("b2")}, .matched = 1, .missing_in_engine = {"b2"}},
    {.rule = "an engine id never reported", .engine = {bet("b1"), win("w1")},
     .report = {bet("b1")}, .matched = 1, .missing_in_report = {"w1"}},
    {.rule = "same id, another kind", .engine = {bet("t1")}, .report = {win("t1")},
     .mismatched = {"t1"}},
    {.rule = "same id, another amount", .engine = {bet("t1", 100)}, .report = {bet("t1", 101)},
     .mismatched = {"t1"}},
    {.rule = "same id, another currency", .engine = {bet("t1", 100, "EUR")},
     .report = {bet("t1", 100, "USD")}, .mismatched = {"t1"}},
    {.rule = "a kind no period holds is compared as it is, not asserted",
     .engine = {bet("t1")}, .report = {{"t1", txn_kind::deposit, 100, pack_currency("EUR")}},
     .mismatched = {"t1"}},
    {.rule = "an empty report: every engine id is missing in it",
     .engine = {bet("b2"), bet("b1")}, .missing_in_report = {"b1", "b2"}},
    {.rule = "an empty engine period: every reported id is missing in it",
     .report = {bet("b2"), bet("b1")}, .missing_in_engine = {"b1", "b2"}},
    {.rule = "both empty: nothing differs"},
    {.rule = "a repeated equal row: matched and a duplicate", .engine = {bet("b1")},
     .report = {bet("b1"), bet("b1")}, .matched = 1, .duplicate_in_report = {"b1"}},
    {.rule = "judged by the first row: a differing repeat leaves it matched",
     .engine = {bet("b1", 100)}, .report = {bet("b1", 100), bet("b1", 999)}, .matched = 1,
     .duplicate_in_report = {"b1"}},
    {.rule = "judged by the first row: an equal repeat leaves it mismatched",
     .engine = {bet("b1", 100)}, .report = {bet("b1", 999), bet("b1", 100)},
     .mismatched = {"b1"}, .duplicate_in_report = {"b1"}},
    {.rule = "a repeated id the engine lacks is listed once in each",
     .report = {bet("x1"), win("x1")}, .missing_in_engine = {"x1"},
     .duplicate_in_report = {"x1"}},
    {.rule = "three rows of one id are one duplicate id", .engine = {bet("b1")},
     .report = {bet("b1"), bet("b1"), bet("b1")}, .matched = 1,
     .duplicate_in_report = {"b1"}},
    {.rule = "ids are listed bytewise: upper case first, bytes >= 0x80 last",
     .engine = {bet("b"), bet("\xc3\xa9"), bet("B"), bet("a"), bet("ab")},
     .missing_in_report = {"B", "a", "ab", "b", "\xc3\xa9"}},
    {.rule = "every difference at once",
     .engine = {bet("m1"), bet("k1"), bet("a1"), bet("c1"), win("u1")},
     .report = {bet("m1"), win("k1"), bet("a1", 7), bet("c1", 100, "GBP"), bet("z1"),
                bet("m1")},
     .matched = 1, .missing_in_engine = {"z1"}, .missing_in_report = {"u1"},
     .mismatched = {"a1", "c1", "k1"}, .duplicate_in_report = {"m1"}},
};

void check_answer(const row& t, const reconcile_result& r) {
  BOOST_TEST(r.matched == t.matched);
  BOOST_TEST(r.missing_in_engine == t.missing_in_engine, boost::test_tools::per_element());
  BOOST_TEST(r.missing_in_report == t.missing_in_report, boost::test_tools::per_element());
  BOOST_TEST(r.mismatched == t.mismatched, boost::test_tools::per_element());
  BOOST_TEST(r.duplicate_in_report == t.duplicate_in_report, boost::test_tools::per_element());
  // Under the limit the counts are the lists' sizes.
  BOOST_TEST(r.missing_in_engine_count == t.missing_in_engine.size());
  BOOST_TEST(r.missing_in_report_count == t.missing_in_report.size());
  BOOST_TEST(r.mismatched_count == t.mismatched.size());
  BOOST_TEST(r.duplicate_in_report_count == t.duplicate_in_report.size());
  BOOST_TEST(r.differs() == (r.matched != t.engine.size() || !t.duplicate_in_report.empty() ||
                             !t.missing_in_engine.empty()));
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_rule_of_reconcile) {
  for (const auto& t : cases) {
    BOOST_TEST_CONTEXT(t.rule) {
      const auto whole = in_one_chunk(t.engine, t.report);
      check_answer(t, whole);
      BOOST_TEST((one_row_chunks(t.engine, t.report, default_max_listed) == whole));
      auto engine_reversed = t.engine;
      std::reverse(engine_reversed.begin(), engine_reversed.end());
      BOOST_TEST((in_one_chunk(engine_reversed, t.report) == whole));
    }
  }
}

namespace {

/// "t0000", "t0001", ...: ids whose bytewise order is their number's.
std::string numbered(size_t i) {
  std::string digits = std::to_string(i);
  return "t" + std::string(5 - digits.size(), '0') + digits;
}

/// `n` numbered ids, shuffled so the listing has to sort them.
rows numbered_bets(size_t n, int64_t amount = 100) {
  rows out;
  for (size_t i = 0; i < n; ++i)
    out.push_back(bet(numbered(i), amount));
  std::shuffle(out.begin(), out.end(), std::mt19937{42});
  return out;
}

ids first_numbered(size_t n) {
  ids out;
  for (size_t i = 0; i < n; ++i)
    out.push_back(numbered(i));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(at_most_1000_ids_listed_the_smallest_and_the_full_count) {
  for (size_t n : {size_t{999}, size_t{1000}, size_t{1001}, size_t{2500}}) {
    BOOST_TEST_CONTEXT(n << " of each difference") {
      const auto listed = first_numbered(std::min<size_t>(n, 1000));
      const auto unknown = in_one_chunk({}, numbered_bets(n));
      BOOST_TEST(unknown.missing_in_engine == listed, boost::test_tools::per_element());
      BOOST_TEST(unknown.missing_in_engine_count == n);
      const auto unreported = in_one_chunk(numbered_bets(n), {});
      BOOST_TEST(unreported.missing_in_report == listed, boost::test_tools::per_element());
      BOOST_TEST(unreported.missing_in_report_count == n);
      const auto mismatched = in_one_chunk(numbered_bets(n, 100), numbered_bets(n, 200));
      BOOST_TEST(mismatched.mismatched == listed, boost::test_tools::per_element());
      BOOST_TEST(mismatched.mismatched_count == n);
      auto twice = numbered_bets(n);
      const auto once = twice;
      twice.insert(twice.end(), once.begin(), once.end());
      const auto duplicated = in_one_chunk(once, twice);
      BOOST_TEST(duplicated.duplicate_in_report == listed, boost::test_tools::per_element());
      BOOST_TEST(duplicated.duplicate_in_report_count == n);
      BOOST_TEST(duplicated.matched == n);
    }
  }
}

BOOST_AUTO_TEST_CASE(max_listed_is_the_callers) {
  const auto r = in_one_chunk(numbered_bets(10), {}, 3);
  BOOST_TEST(r.missing_in_report == first_numbered(3), boost::test_tools::per_element());
  BOOST_TEST(r.missing_in_report_count == 10u);
  const auto none = in_one_chunk(numbered_bets(10), {}, 0);
  BOOST_TEST(none.missing_in_report.empty());
  BOOST_TEST(none.missing_in_report_count == 10u);
  BOOST_TEST(none.differs());
}

namespace {

/// A period of `n` rows and a report of it with every kind of difference, ~1% each, in a
/// random order: what a partner's real report looks like.
struct period {
  rows engine, report;
  explicit period(size_t n) {
    std::mt19937 rng{7};
    const txn_kind kinds[] = {txn_kind::bet, txn_kind::win, txn_kind::rollback};
    for (size_t i = 0; i < n; ++i) {
      txn_row row{"id-" + std::to_string(i), kinds[i % 3], static_cast<int64_t>(1 + i % 997),
                  pack_currency(i % 2 ? "EUR" : "USD")};
      engine.push_back(row);
      switch (rng() % 100) {
        case 0: break;  // never reported
        case 1: row.amount += 1; break;
        case 2: row.kind = txn_kind::bet == row.kind ? txn_kind::win : txn_kind::bet; break;
        case 3: row.currency = pack_currency("GBP"); break;
        case 4: report.push_back(row); break;  // reported twice
        case 5: report.push_back({"only-" + std::to_string(i), row.kind, 5, row.currency}); break;
        default: break;
      }
      if (rng() % 100 != 0)
        report.push_back(row);
    }
    std::shuffle(engine.begin(), engine.end(), rng);
    std::shuffle(report.begin(), report.end(), rng);
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(chunked_input_equals_one_chunk) {
  const period p{20'000};
  const auto whole = in_one_chunk(p.engine, p.report);
  BOOST_TEST(whole.matched > 0u);
  BOOST_TEST(whole.missing_in_engine_count > 0u);
  BOOST_TEST(whole.missing_in_report_count > 0u);
  BOOST_TEST(whole.mismatched_count > 0u);
  BOOST_TEST(whole.duplicate_in_report_count > 0u);
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{1000}, size_t{19'999}}) {
    BOOST_TEST_CONTEXT("chunks of " << chunk) {
      reconciler r{p.engine};
      for (size_t at = 0; at < p.report.size(); at += chunk) {
        const auto stop = std::min(p.report.size(), at + chunk);
        r.add_report(rows(p.report.begin() + static_cast<std::ptrdiff_t>(at),
                          p.report.begin() + static_cast<std::ptrdiff_t>(stop)));
      }
      BOOST_TEST(r.report_rows() == p.report.size());
      BOOST_TEST((r.finish() == whole));
    }
  }
}

BOOST_AUTO_TEST_CASE(finish_leaves_the_reconciler_as_it_was) {
  reconciler r{{bet("b1"), bet("b2")}};
  r.add_report({bet("b1")});
  const auto first = r.finish();
  BOOST_TEST((r.finish() == first));
  BOOST_TEST(first.missing_in_report == ids{"b2"}, boost::test_tools::per_element());
  r.add_report({bet("b2")});  // the rest of the report, after a look at the answer so far
  const auto done = r.finish();
  BOOST_TEST(done.matched == 2u);
  BOOST_TEST(!done.differs());
  BOOST_TEST(r.engine_rows() == 2u);
  BOOST_TEST(r.report_rows() == 2u);
}
