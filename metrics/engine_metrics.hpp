// The engine's counters for /metrics (docs/operations.md lists them): written where things
// happen (sessions count what they answer, the journal writer its round trips, shards their
// accounts), read by the HTTP listener's thread. Plain atomics, relaxed: a reader sees each
// value exactly, not all of them at one instant. No clock, no I/O.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/alert_rules.hpp"
#include "metrics/histogram.hpp"
#include "protocol/messages.hpp"

namespace settle::metrics {

inline constexpr size_t txn_kinds = 6;  // protocol::txn_kind
inline constexpr size_t op_kinds = static_cast<size_t>(protocol::last_op_kind) + 1;
/// A transaction's result: applied, duplicate, noop (txn_status), then every error code but
/// `none` (3 + code - 1).
inline constexpr size_t txn_results = 3 + static_cast<size_t>(protocol::last_error_code);

inline size_t result_index(protocol::txn_status status, protocol::error_code error) {
  return error == protocol::error_code::none ? static_cast<size_t>(status)
                                             : 2 + static_cast<size_t>(error);
}
/// The label of result index `i` ("applied", ..., "insufficient_funds", ...).
std::string_view result_label(size_t i);

// Request durations in microseconds: 50 us .. 10 s.
inline constexpr std::array<uint64_t, 14> duration_bounds_us{
    50, 100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000,
    1'000'000, 10'000'000};
// Journal round trips in microseconds: 50 us .. 5 s.
inline constexpr std::array<uint64_t, 12> journal_write_bounds_us{
    50, 100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 100'000, 1'000'000, 5'000'000};
// Records per journal round trip: 1 .. 65536.
inline constexpr std::array<uint64_t, 10> batch_records_bounds{1,   4,    16,   64,    256,
                                                               1024, 4096, 16384, 65536, 262144};

using duration_histogram = atomic_histogram<duration_bounds_us.size()>;

/// A value read when /metrics is asked (a queue's depth, a count another part keeps). `read`
/// must be thread-safe.
struct scraped_value {
  std::string name;  // the metric ("settle_queue_depth")
  std::string label_name, label_value;  // one label, or both empty
  std::string help;
  bool counter = false;  // a counter (name ends in _total), else a gauge
  std::function<double()> read;
};

struct engine_metrics {
  // Every transaction answered, by kind and result (sessions).
  std::array<std::array<std::atomic<uint64_t>, txn_results>, txn_kinds> transactions{};
  // Every request answered, by op: from its frame read to its answer written (sessions).
  std::array<duration_histogram, op_kinds> request_duration_us = make_durations();
  // Journal round trips (the writer thread).
  atomic_histogram<batch_records_bounds.size()> journal_batch_records{batch_records_bounds};
  atomic_histogram<journal_write_bounds_us.size()> journal_write_us{journal_write_bounds_us};
  std::atomic<uint64_t> redis_errors{0};  // failed or unanswered Redis round trips, any client
  std::atomic<bool> journal_healthy{true};  // the journal's last round trip landed
  std::atomic<int64_t> accounts{0};       // accounts held by the shards
  std::atomic<int64_t> subscribers{0};    // live subscriptions
  std::atomic<int64_t> credit_alerts_firing{0};  // suppliers below credit_alert (settlement)
  std::atomic<int64_t> rule_alerts_firing{0};    // [[alerts]] rules firing (app/alerting)
  std::atomic<uint64_t> subscribers_dropped{0};  // subscriber streams the engine closed
  std::atomic<bool> ready{false};         // recovered and serving

  /// Read at each scrape (queue depths and the like).
  void add_scraped(scraped_value v) {
    std::lock_guard lock{scraped_mutex_};
    scraped_.push_back(std::move(v));
  }
  std::vector<scraped_value> scraped() const {
    std::lock_guard lock{scraped_mutex_};
    return scraped_;
  }

  /// The partner flows (flow_key) the [[alerts]] partner rules follow: set once, before any
  /// traffic. Nothing else is kept, so an engine without such rules pays one load per delta.
  void follow_flows(const std::vector<std::string>& keys) {
    std::lock_guard lock{flows_mutex_};
    for (const auto& k : keys)
      flows_.emplace(k, partner_flow{});
    flows_followed_.store(!flows_.empty(), std::memory_order_release);
  }
  /// Adds one partner's applied amounts in one currency (partner settlement's deltas).
  void add_flow(const std::string& key, int64_t bets, int64_t wins, int64_t rollbacks) {
    if (!flows_followed_.load(std::memory_order_acquire))
      return;
    std::lock_guard lock{flows_mutex_};
    auto it = flows_.find(key);
    if (it == flows_.end())
      return;
    it->second.bets += bets;
    it->second.wins += wins;
    it->second.rollbacks += rollbacks;
  }
  bool follows_flows() const { return flows_followed_.load(std::memory_order_acquire); }
  /// The followed flows, sorted by key.
  std::vector<std::pair<std::string, partner_flow>> flows() const {
    std::lock_guard lock{flows_mutex_};
    return {flows_.begin(), flows_.end()};
  }

  /// Counts one answered transaction.
  void count_txn(protocol::txn_kind kind, protocol::txn_status status, protocol::error_code error,
                 uint64_t n = 1) {
    transactions[static_cast<size_t>(kind)][result_index(status, error)].fetch_add(
        n, std::memory_order_relaxed);
  }

private:
  static std::array<duration_histogram, op_kinds> make_durations() {
    return make_durations(std::make_index_sequence<op_kinds>{});
  }
  template <size_t... I>
  static std::array<duration_histogram, op_kinds> make_durations(std::index_sequence<I...>) {
    return {((void)I, duration_histogram{duration_bounds_us})...};
  }
  mutable std::mutex scraped_mutex_;
  std::vector<scraped_value> scraped_;
  std::atomic<bool> flows_followed_{false};
  mutable std::mutex flows_mutex_;
  std::map<std::string, partner_flow> flows_;
};

}  // namespace settle::metrics
