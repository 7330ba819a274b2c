// The [[alerts]] rules as a state machine over samples (metrics/alert_rules): each kind's
// value over its window, firing above the threshold and resolving by itself, from tables.
#define BOOST_TEST_MODULE alert_rules
#include <boost/test/unit_test.hpp>

#include "metrics/alert_rules.hpp"

using namespace settle::metrics;

namespace {

alert_rule rule(const char* name, alert_rule_kind kind, double threshold, uint32_t window_s) {
  alert_rule r;
  r.name = name;
  r.kind = kind;
  r.threshold = threshold;
  r.window_s = window_s;
  return r;
}

alert_sample at(int64_t s, uint64_t errors, bool healthy = true, uint64_t dropped = 0,
                std::vector<uint64_t> buckets = {}) {
  alert_sample x;
  x.at_ms = s * 1000;
  x.txn_errors = errors;
  x.journal_healthy = healthy;
  x.subscribers_dropped = dropped;
  x.txn_duration_buckets = std::move(buckets);
  x.txn_bounds_us = {1000, 5000, 10000};
  return x;
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_error_rate_fires_above_its_threshold_and_resolves_itself) {
  alert_book book{{rule("errors", alert_rule_kind::error_rate, 2.0, 5)}};
  // Step by step (the window is 5 s: from the oldest sample no older than 5 s).
  auto t = book.step(at(0, 0));
  BOOST_CHECK(t.empty());
  BOOST_CHECK_EQUAL(book.value(0), 0);
  t = book.step(at(1, 2));
  BOOST_CHECK(t.empty());
  BOOST_CHECK_EQUAL(book.value(0), 2);  // 2 errors in 1 s: not above 2
  t = book.step(at(2, 10));
  BOOST_REQUIRE_EQUAL(t.size(), 1u);
  BOOST_CHECK(t[0].firing);
  BOOST_CHECK_EQUAL(t[0].name, "errors");
  BOOST_CHECK_EQUAL(t[0].value, 5);  // 10 in 2 s
  BOOST_CHECK_EQUAL(t[0].threshold, 2);
  BOOST_CHECK(book.step(at(3, 10)).empty());  // 10 in 3 s: still firing
  BOOST_CHECK(book.firing(0));
  // 10 errors over 0..5, then none: at 7 the window is 2..7, 0 new errors since 2.
  t = book.step(at(7, 10));
  BOOST_REQUIRE_EQUAL(t.size(), 1u);
  BOOST_CHECK(!t[0].firing);
  BOOST_CHECK_EQUAL(book.value(0), 0);
}

BOOST_AUTO_TEST_CASE(each_kind_and_its_value) {
  alert_book book{{rule("p99", alert_rule_kind::p99_ms, 4.0, 10),
                   rule("journal", alert_rule_kind::journal_unavailable, 0, 60),
                   rule("dropped", alert_rule_kind::subscribers_dropped, 0, 10)}};
  book.step(at(0, 0, true, 0, {0, 0, 0, 0}));
  // 100 answers: 98 under 1 ms, 2 under 5 ms: p99 = 5 ms > 4; the journal fails; one dropped.
  auto t = book.step(at(1, 0, false, 1, {98, 2, 0, 0}));
  BOOST_CHECK_EQUAL(t.size(), 3u);
  BOOST_CHECK_EQUAL(book.value(0), 5);
  BOOST_CHECK_EQUAL(book.value(1), 1);
  BOOST_CHECK_EQUAL(book.value(2), 1);
  // 1000 more under 1 ms: p99 of the window is 1 ms; the journal is back: both resolve; the
  // drop is still in the window.
  t = book.step(at(2, 0, true, 1, {1098, 2, 0, 0}));
  BOOST_CHECK_EQUAL(t.size(), 2u);
  BOOST_CHECK_EQUAL(book.value(0), 1);
  BOOST_CHECK(book.firing(2));
  // Past the 10 s window the drop is forgotten.
  t = book.step(at(12, 0, true, 1, {1098, 2, 0, 0}));
  BOOST_REQUIRE_EQUAL(t.size(), 1u);
  BOOST_CHECK_EQUAL(t[0].name, "dropped");
  BOOST_CHECK(!t[0].firing);
}

BOOST_AUTO_TEST_CASE(p99_at_the_bucket_edges) {
  struct row {
    std::vector<uint64_t> before, after;
    double p99_ms;
    const char* why;
  };
  const std::vector<row> table{
      {{0, 0, 0, 0}, {0, 0, 0, 0}, 0, "nothing added"},
      {{0, 0, 0, 0}, {99, 1, 0, 0}, 1, "99 of 100 in the first bucket"},
      {{0, 0, 0, 0}, {98, 2, 0, 0}, 5, "98 of 100: the second"},
      {{5, 0, 0, 0}, {5, 0, 0, 1}, 10, "past every bound: the largest bound"},
      {{10, 10, 0, 0}, {10, 10, 3, 0}, 10, "only what was added counts"},
  };
  for (const auto& r : table) {
    auto a = at(0, 0, true, 0, r.before), b = at(1, 0, true, 0, r.after);
    BOOST_TEST_CONTEXT(r.why) { BOOST_CHECK_EQUAL(p99_ms_between(a, b), r.p99_ms); }
  }
}

BOOST_AUTO_TEST_CASE(rule_names) {
  for (auto k : {alert_rule_kind::error_rate, alert_rule_kind::p99_ms,
                 alert_rule_kind::journal_unavailable, alert_rule_kind::subscribers_dropped,
                 alert_rule_kind::credit_low, alert_rule_kind::win_rate_shift,
                 alert_rule_kind::ggr_shift})
    BOOST_CHECK(alert_rule_kind_of(to_string(k)) == k);
  BOOST_CHECK(!alert_rule_kind_of("cpu"));
}

namespace {

/// A sample at `s` seconds with acme's EUR flow so far (and the suppliers below credit).
alert_sample flow_at(int64_t s, int64_t bets, int64_t wins, int64_t credit_low = 0) {
  alert_sample x = at(s, 0);
  x.credit_alerts_firing = credit_low;
  x.flows = {{flow_key("acme", "EUR"), {bets, wins, 0}}};
  return x;
}

alert_rule partner_rule(const char* name, alert_rule_kind k, double threshold) {
  alert_rule r = rule(name, k, threshold, 10);
  r.partner = "acme";
  r.currency = "EUR";
  r.baseline_s = 100;
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(credit_low_counts_the_suppliers_below_their_credit_alert) {
  alert_book book{{rule("credit", alert_rule_kind::credit_low, 0, 60)}};
  book.step(flow_at(0, 0, 0));
  auto t = book.step(flow_at(1, 0, 0, 2));
  BOOST_REQUIRE_EQUAL(t.size(), 1u);
  BOOST_CHECK(t[0].firing);
  BOOST_CHECK_EQUAL(t[0].value, 2);
  BOOST_CHECK(t[0].labels == (std::vector<std::pair<std::string, std::string>>{
                                 {"rule", "credit_low"}}));
  t = book.step(flow_at(2, 0, 0, 0));
  BOOST_REQUIRE_EQUAL(t.size(), 1u);
  BOOST_CHECK(!t[0].firing);
}

BOOST_AUTO_TEST_CASE(a_partners_win_rate_and_ggr_against_their_baseline) {
  // Baseline 100 s, window 10 s. For 100 s acme takes 100 a second and pays back 50 (win
  // rate 0.5, GGR 50/s); then for 10 s it pays back 90 of each 100 (0.9, 10/s).
  alert_book book{{partner_rule("win", alert_rule_kind::win_rate_shift, 0.3),
                   partner_rule("ggr", alert_rule_kind::ggr_shift, 0.5)}};
  struct row {
    int64_t s, bets, wins;
    bool win_firing, ggr_firing;
  };
  std::vector<row> table;
  for (int64_t s = 0; s <= 100; s += 10)
    table.push_back({s, 100 * s, 50 * s, false, false});  // steady: nothing moves
  for (int64_t s = 101; s <= 110; ++s)
    table.push_back({s, 100 * s, 5000 + 90 * (s - 100), false, false});
  table.back().win_firing = table.back().ggr_firing = true;
  for (const auto& r : table) {
    book.step(flow_at(r.s, r.bets, r.wins));
    if (r.s < 110)
      continue;  // the window holds only the new traffic at 110
    BOOST_TEST(book.firing(0) == r.win_firing, "win rate at " << r.s << ": " << book.value(0));
    BOOST_TEST(book.firing(1) == r.ggr_firing, "GGR at " << r.s << ": " << book.value(1));
  }
  // Window (100..110 s): 900 / 1000 = 0.9; baseline (10..110 s): 5400 / 10000 = 0.54.
  BOOST_TEST(book.value(0) == 0.9 - 0.54, boost::test_tools::tolerance(1e-9));
  // GGR: 10/s in the window against (10000 - 5400) / 100 = 46/s: a change of 0.78.
  const double base = 46.0;
  BOOST_TEST(book.value(1) == (base - 10.0) / base, boost::test_tools::tolerance(1e-9));
  // Without traffic in the window, no win-rate alert (nothing to compare).
  alert_book quiet{{partner_rule("win", alert_rule_kind::win_rate_shift, 0.1)}};
  quiet.step(flow_at(0, 0, 0));
  quiet.step(flow_at(50, 100, 50));
  quiet.step(flow_at(100, 100, 50));
  BOOST_CHECK_EQUAL(quiet.value(0), 0);
  const auto labels = labels_of(partner_rule("win", alert_rule_kind::win_rate_shift, 0.1));
  BOOST_CHECK(labels == (std::vector<std::pair<std::string, std::string>>{
                            {"rule", "win_rate_shift"}, {"partner", "acme"}, {"currency", "EUR"}}));
}
