// The [[alerts]] rules as a state machine over samples (metrics/alert_rules): each kind's
// value over its window, firing above the threshold and resolving by itself, from tables.
#define BOOST_TEST_MODULE alert_rules
#include <boost/test/unit_test.hpp>

#include "metrics/alert_rules.hpp"

using namespace settle::metrics;

namespace {

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
  alert_book book{{{"errors", alert_rule_kind::error_rate, 2.0, 5}}};
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
  alert_book book{{{"p99", alert_rule_kind::p99_ms, 4.0, 10},
                   {"journal", alert_rule_kind::journal_unavailable, 0, 60},
                   {"dropped", alert_rule_kind::subscribers_dropped, 0, 10}}};
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
                 alert_rule_kind::journal_unavailable, alert_rule_kind::subscribers_dropped})
    BOOST_CHECK(alert_rule_kind_of(to_string(k)) == k);
  BOOST_CHECK(!alert_rule_kind_of("cpu"));
}
