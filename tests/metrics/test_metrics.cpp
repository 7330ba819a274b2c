// The counters behind /metrics (metrics/) and their Prometheus text (http/metrics_text): bucket
// edges, cumulative buckets and +Inf, units converted to seconds, result labels, and the
// values other parts register.
#define BOOST_TEST_MODULE metrics
#include <boost/test/unit_test.hpp>

#include <string>

#include "http/metrics_text.hpp"
#include "metrics/engine_metrics.hpp"

using namespace settle;
using protocol::error_code;
using protocol::txn_kind;
using protocol::txn_status;

BOOST_AUTO_TEST_CASE(a_value_lands_in_the_first_bucket_that_holds_it) {
  metrics::atomic_histogram<3> h{{10, 100, 1000}};
  struct row {
    uint64_t value;
    size_t bucket;
  };
  const row table[] = {{0, 0}, {10, 0}, {11, 1}, {100, 1}, {101, 2}, {1000, 2}, {1001, 3},
                       {UINT32_MAX, 3}};
  for (const auto& r : table) {
    metrics::atomic_histogram<3> one{{10, 100, 1000}};
    one.observe(r.value);
    const auto s = one.snapshot();
    BOOST_TEST_CONTEXT("value " << r.value) {
      BOOST_CHECK_EQUAL(s.counts[r.bucket], 1u);
      BOOST_CHECK_EQUAL(s.count(), 1u);
      BOOST_CHECK_EQUAL(s.sum, r.value);
    }
  }
  h.observe(50, 4);  // four at once
  BOOST_CHECK_EQUAL(h.snapshot().counts[1], 4u);
  BOOST_CHECK_EQUAL(h.snapshot().sum, 200u);
}

BOOST_AUTO_TEST_CASE(results_are_labelled_by_outcome_then_error_code) {
  BOOST_CHECK_EQUAL(metrics::result_label(metrics::result_index(txn_status::applied, error_code::none)),
                    "applied");
  BOOST_CHECK_EQUAL(metrics::result_label(metrics::result_index(txn_status::duplicate, error_code::none)),
                    "duplicate");
  BOOST_CHECK_EQUAL(metrics::result_label(metrics::result_index(txn_status::noop, error_code::none)),
                    "noop");
  // Every error code has its own index, past the three outcomes, within the table.
  for (int e = 1; e <= static_cast<int>(protocol::last_error_code); ++e) {
    const auto code = static_cast<error_code>(e);
    const size_t i = metrics::result_index(txn_status::applied, code);
    BOOST_CHECK_LT(i, metrics::txn_results);
    BOOST_CHECK_EQUAL(metrics::result_label(i), protocol::to_string(code));
  }
}

BOOST_AUTO_TEST_CASE(the_page_in_prometheus_text_format) {
  metrics::engine_metrics m;
  m.count_txn(txn_kind::bet, txn_status::applied, error_code::none, 3);
  m.count_txn(txn_kind::bet, txn_status::applied, error_code::insufficient_funds);
  m.request_duration_us[static_cast<size_t>(protocol::op_kind::txn)].observe(40);     // <= 50 us
  m.request_duration_us[static_cast<size_t>(protocol::op_kind::txn)].observe(20'000);  // <= 25 ms
  m.journal_batch_records.observe(7);
  m.accounts = 12;
  m.add_scraped({"settle_queue_depth", "queue", "events", "queued", false, [] { return 5; }});
  m.add_scraped({"settle_events_dropped_total", "", "", "dropped", true, [] { return 2; }});
  const std::string page = http::metrics_text(m);
  for (const char* line : {
           "# TYPE settle_transactions_total counter",
           "settle_transactions_total{kind=\"bet\",result=\"applied\"} 3",
           "settle_transactions_total{kind=\"bet\",result=\"insufficient_funds\"} 1",
           "settle_transactions_total{kind=\"win\",result=\"applied\"} 0",
           "# TYPE settle_request_duration_seconds histogram",
           "settle_request_duration_seconds_bucket{op=\"txn\",le=\"5e-05\"} 1",
           "settle_request_duration_seconds_bucket{op=\"txn\",le=\"0.025\"} 2",
           "settle_request_duration_seconds_bucket{op=\"txn\",le=\"+Inf\"} 2",
           "settle_request_duration_seconds_count{op=\"txn\"} 2",
           "settle_request_duration_seconds_sum{op=\"txn\"} 0.02004",
           "settle_journal_batch_records_bucket{le=\"16\"} 1",
           "settle_accounts 12",
           "settle_queue_depth{queue=\"events\"} 5",
           "# TYPE settle_events_dropped_total counter",
           "settle_events_dropped_total 2",
           "# TYPE process_resident_memory_bytes gauge",
       })
    BOOST_TEST(page.find(std::string{line} + "\n") != std::string::npos,
               "no line '" << line << "' in\n" << page);
  // Ops never asked and errors never seen stay off the page.
  BOOST_CHECK(page.find("op=\"open\"") == std::string::npos);
  BOOST_CHECK(page.find("result=\"forbidden\"") == std::string::npos);
  BOOST_CHECK_GT(http::read_process_memory().resident_bytes, 0u);
}
