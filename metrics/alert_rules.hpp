// Threshold alerts over the engine's own counters ([[alerts]] in the TOML file,
// docs/operations.md): each rule looks at what changed over its window (a second's samples)
// and fires while its value is above its threshold, resolving itself when it no longer is.
// Pure: samples come in with their time; the caller (app/alerting.cpp) reads the counters,
// logs and publishes the transitions.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace settle::metrics {

enum class alert_rule_kind : uint8_t {
  error_rate,           // transactions answered with an error code, per second
  p99_ms,               // the p99 of txn answers over the window, milliseconds
  journal_unavailable,  // 1 while the journal's round trips fail (threshold 0)
  subscribers_dropped,  // subscribers cut off for reading too slowly, over the window
  credit_low,           // suppliers whose credit is below their contract's credit_alert
  win_rate_shift,       // |wins/bets over the window - over the baseline| of one partner
                        // and currency (0.1: ten percentage points)
  ggr_shift,            // |GGR per second over the window - over the baseline| / |over the
                        // baseline| (at least 1 minor unit per second) of one partner and
                        // currency (0.5: half of the baseline)
};
/// The rules that look at one partner's traffic (`partner`, `currency`, `baseline_s`).
constexpr bool is_partner_rule(alert_rule_kind k) {
  return k == alert_rule_kind::win_rate_shift || k == alert_rule_kind::ggr_shift;
}
std::optional<alert_rule_kind> alert_rule_kind_of(std::string_view name);
std::string_view to_string(alert_rule_kind k);

struct alert_rule {
  std::string name;  // unique; the alert's name on /metrics, in the log and events
  alert_rule_kind kind = alert_rule_kind::error_rate;
  double threshold = 0;   // fires while the value is above it
  uint32_t window_s = 60;  // the value is over this many seconds (1..3600)
  // partner rules: whose traffic, and the longer window it is compared with (ending now)
  std::string partner, currency;
  uint32_t baseline_s = 3600;  // window_s < baseline_s <= 86400
};

/// One partner's applied bets, wins and rollbacks in one currency since start (sums).
struct partner_flow {
  int64_t bets = 0, wins = 0, rollbacks = 0;
};

/// The key of a partner's flow in a sample: partner, a NUL, currency.
std::string flow_key(std::string_view partner, std::string_view currency);

/// What the counters held at one instant (all monotonic but journal_healthy).
struct alert_sample {
  int64_t at_ms = 0;
  uint64_t txn_errors = 0;                // every transaction answered with an error code
  std::vector<uint64_t> txn_duration_buckets;  // per bucket (not cumulative), +Inf last
  std::vector<uint64_t> txn_bounds_us;         // the buckets' upper bounds
  bool journal_healthy = true;
  uint64_t subscribers_dropped = 0;
  int64_t credit_alerts_firing = 0;
  std::vector<std::pair<std::string, partner_flow>> flows;  // flow_key -> flow, sorted
};

struct alert_transition {
  std::string name;
  bool firing = false;  // true: raised, false: resolved
  double value = 0, threshold = 0;
  int64_t at_ms = 0;
  std::vector<std::pair<std::string, std::string>> labels;  // rule (and partner, currency)
};

/// The labels of `r`'s alerts: rule, and partner and currency for partner rules.
std::vector<std::pair<std::string, std::string>> labels_of(const alert_rule& r);

/// The state of every rule: feed it a sample a second.
class alert_book {
public:
  explicit alert_book(std::vector<alert_rule> rules);
  /// Adds `s` and returns what changed (rules that started or stopped firing).
  std::vector<alert_transition> step(alert_sample s);

  const std::vector<alert_rule>& rules() const { return rules_; }
  bool firing(size_t rule) const { return firing_.at(rule); }
  double value(size_t rule) const { return values_.at(rule); }

private:
  double value_of(const alert_rule& r) const;
  /// The newest sample at or before `span_s` before the newest (the oldest while filling).
  const alert_sample& back_by(uint32_t span_s) const;
  std::vector<alert_rule> rules_;
  std::vector<bool> firing_;
  std::vector<double> values_;
  std::deque<alert_sample> window_;  // oldest first, spanning the longest window
  uint32_t longest_s_ = 1;
};

/// The p99 (in ms) of what was added to `later` since `earlier` (per-bucket counts), the upper
/// bound of the bucket it falls in; 0 when nothing was added; the largest bound when it falls
/// past every bound.
double p99_ms_between(const alert_sample& earlier, const alert_sample& later);

}  // namespace settle::metrics
