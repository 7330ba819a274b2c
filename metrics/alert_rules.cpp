#include "metrics/alert_rules.hpp"

#include <algorithm>

namespace settle::metrics {

namespace {

constexpr std::pair<alert_rule_kind, std::string_view> kind_names[] = {
    {alert_rule_kind::error_rate, "error_rate"},
    {alert_rule_kind::p99_ms, "p99_ms"},
    {alert_rule_kind::journal_unavailable, "journal_unavailable"},
    {alert_rule_kind::subscribers_dropped, "subscribers_dropped"},
};

}  // namespace

std::optional<alert_rule_kind> alert_rule_kind_of(std::string_view name) {
  for (const auto& [k, n] : kind_names)
    if (n == name)
      return k;
  return std::nullopt;
}

std::string_view to_string(alert_rule_kind k) {
  for (const auto& [kind, n] : kind_names)
    if (kind == k)
      return n;
  return "?";
}

alert_book::alert_book(std::vector<alert_rule> rules)
    : rules_(std::move(rules)), firing_(rules_.size(), false), values_(rules_.size(), 0) {
  for (const auto& r : rules_)
    longest_s_ = std::max(longest_s_, r.window_s);
}

double p99_ms_between(const alert_sample& earlier, const alert_sample& later) {
  const auto& now = later.txn_duration_buckets;
  uint64_t total = 0;
  std::vector<uint64_t> added(now.size(), 0);
  for (size_t i = 0; i < now.size(); ++i) {
    const uint64_t before = i < earlier.txn_duration_buckets.size() ? earlier.txn_duration_buckets[i] : 0;
    added[i] = now[i] >= before ? now[i] - before : 0;
    total += added[i];
  }
  if (total == 0 || later.txn_bounds_us.empty())
    return 0;
  uint64_t seen = 0;
  for (size_t i = 0; i < added.size(); ++i) {
    seen += added[i];
    // The smallest bucket holding 99% of what was added (integer: seen/total >= 0.99).
    if (seen * 100 >= total * 99)
      return static_cast<double>(later.txn_bounds_us[std::min(i, later.txn_bounds_us.size() - 1)]) /
             1000.0;
  }
  return static_cast<double>(later.txn_bounds_us.back()) / 1000.0;
}

double alert_book::value_of(const alert_rule& r) const {
  const alert_sample& newest = window_.back();
  // The newest sample at or before the window's start (samples are about a second apart, so
  // one exactly window_s back may be a little older); the oldest while the window fills.
  const alert_sample* oldest = &window_.front();
  for (const auto& s : window_)
    if (newest.at_ms - s.at_ms >= static_cast<int64_t>(r.window_s) * 1000)
      oldest = &s;
  const double seconds = static_cast<double>(newest.at_ms - oldest->at_ms) / 1000.0;
  switch (r.kind) {
    case alert_rule_kind::error_rate:
      return seconds > 0 ? static_cast<double>(newest.txn_errors - oldest->txn_errors) / seconds : 0;
    case alert_rule_kind::p99_ms: return p99_ms_between(*oldest, newest);
    case alert_rule_kind::journal_unavailable: return newest.journal_healthy ? 0 : 1;
    case alert_rule_kind::subscribers_dropped:
      return static_cast<double>(newest.subscribers_dropped - oldest->subscribers_dropped);
  }
  return 0;
}

std::vector<alert_transition> alert_book::step(alert_sample s) {
  const int64_t at = s.at_ms;
  window_.push_back(std::move(s));
  while (window_.size() > 1 &&
         at - window_[1].at_ms >= static_cast<int64_t>(longest_s_) * 1000)
    window_.pop_front();  // keeps one sample at (or before) the longest window's start
  std::vector<alert_transition> out;
  for (size_t i = 0; i < rules_.size(); ++i) {
    values_[i] = value_of(rules_[i]);
    const bool now_firing = values_[i] > rules_[i].threshold;
    if (now_firing != firing_[i])
      out.push_back({rules_[i].name, now_firing, values_[i], rules_[i].threshold, at});
    firing_[i] = now_firing;
  }
  return out;
}

}  // namespace settle::metrics
