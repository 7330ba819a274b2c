#include "metrics/alert_rules.hpp"

#include <algorithm>
#include <cmath>

namespace settle::metrics {

namespace {

constexpr std::pair<alert_rule_kind, std::string_view> kind_names[] = {
    {alert_rule_kind::error_rate, "error_rate"},
    {alert_rule_kind::p99_ms, "p99_ms"},
    {alert_rule_kind::journal_unavailable, "journal_unavailable"},
    {alert_rule_kind::subscribers_dropped, "subscribers_dropped"},
    {alert_rule_kind::credit_low, "credit_low"},
    {alert_rule_kind::win_rate_shift, "win_rate_shift"},
    {alert_rule_kind::ggr_shift, "ggr_shift"},
};

partner_flow flow_in(const alert_sample& s, const std::string& key) {
  auto it = std::lower_bound(s.flows.begin(), s.flows.end(), key,
                             [](const auto& f, const std::string& k) { return f.first < k; });
  return it != s.flows.end() && it->first == key ? it->second : partner_flow{};
}

/// What was added to a flow from `earlier` to `later`.
partner_flow flow_between(const alert_sample& earlier, const alert_sample& later,
                          const std::string& key) {
  const auto a = flow_in(earlier, key), b = flow_in(later, key);
  return {b.bets - a.bets, b.wins - a.wins, b.rollbacks - a.rollbacks};
}

double win_rate(const partner_flow& f) {
  return f.bets > 0 ? static_cast<double>(f.wins) / static_cast<double>(f.bets) : 0;
}

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

std::string flow_key(std::string_view partner, std::string_view currency) {
  std::string k{partner};
  k.push_back('\0');
  k.append(currency);
  return k;
}

std::vector<std::pair<std::string, std::string>> labels_of(const alert_rule& r) {
  std::vector<std::pair<std::string, std::string>> out{{"rule", std::string{to_string(r.kind)}}};
  if (is_partner_rule(r.kind)) {
    out.emplace_back("partner", r.partner);
    out.emplace_back("currency", r.currency);
  }
  return out;
}

alert_book::alert_book(std::vector<alert_rule> rules)
    : rules_(std::move(rules)), firing_(rules_.size(), false), values_(rules_.size(), 0) {
  for (const auto& r : rules_)
    longest_s_ = std::max({longest_s_, r.window_s, is_partner_rule(r.kind) ? r.baseline_s : 0u});
}

const alert_sample& alert_book::back_by(uint32_t span_s) const {
  const alert_sample& newest = window_.back();
  // Samples are about a second apart, so the one exactly span_s back may be a little older.
  const alert_sample* oldest = &window_.front();
  for (const auto& s : window_)
    if (newest.at_ms - s.at_ms >= static_cast<int64_t>(span_s) * 1000)
      oldest = &s;
  return *oldest;
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
  const alert_sample* oldest = &back_by(r.window_s);
  const double seconds = static_cast<double>(newest.at_ms - oldest->at_ms) / 1000.0;
  if (is_partner_rule(r.kind)) {
    const auto key = flow_key(r.partner, r.currency);
    const alert_sample& base = back_by(r.baseline_s);
    const double base_seconds = static_cast<double>(newest.at_ms - base.at_ms) / 1000.0;
    const auto now = flow_between(*oldest, newest, key), before = flow_between(base, newest, key);
    if (seconds <= 0 || base_seconds <= seconds)
      return 0;  // no baseline longer than the window yet
    if (r.kind == alert_rule_kind::win_rate_shift)
      return now.bets > 0 ? std::abs(win_rate(now) - win_rate(before)) : 0;
    const double g_now = static_cast<double>(now.bets - now.wins - now.rollbacks) / seconds;
    const double g_base =
        static_cast<double>(before.bets - before.wins - before.rollbacks) / base_seconds;
    return std::abs(g_now - g_base) / std::max(std::abs(g_base), 1.0);
  }
  switch (r.kind) {
    case alert_rule_kind::error_rate:
      return seconds > 0 ? static_cast<double>(newest.txn_errors - oldest->txn_errors) / seconds : 0;
    case alert_rule_kind::p99_ms: return p99_ms_between(*oldest, newest);
    case alert_rule_kind::journal_unavailable: return newest.journal_healthy ? 0 : 1;
    case alert_rule_kind::subscribers_dropped:
      return static_cast<double>(newest.subscribers_dropped - oldest->subscribers_dropped);
    case alert_rule_kind::credit_low: return static_cast<double>(newest.credit_alerts_firing);
    case alert_rule_kind::win_rate_shift:
    case alert_rule_kind::ggr_shift: break;  // above
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
      out.push_back({rules_[i].name, now_firing, values_[i], rules_[i].threshold, at,
                     labels_of(rules_[i])});
    firing_[i] = now_firing;
  }
  return out;
}

}  // namespace settle::metrics
