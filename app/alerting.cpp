#include "app/alerting.hpp"

#include <atomic>
#include <chrono>

#include <spdlog/spdlog.h>

namespace settle::app {

struct alerting::shown {
  std::atomic<bool> firing{false};
  std::atomic<double> value{0};
};

namespace {

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

metrics::alert_sample alerting::sample(const metrics::engine_metrics& m, int64_t at_ms) {
  metrics::alert_sample s;
  s.at_ms = at_ms;
  for (const auto& by_kind : m.transactions)
    for (size_t r = 3; r < metrics::txn_results; ++r)  // past applied, duplicate, noop
      s.txn_errors += by_kind[r].load(std::memory_order_relaxed);
  s.txn_duration_buckets =
      m.request_duration_us[static_cast<size_t>(protocol::op_kind::txn)].snapshot().counts;
  s.txn_bounds_us.assign(metrics::duration_bounds_us.begin(), metrics::duration_bounds_us.end());
  s.journal_healthy = m.journal_healthy.load(std::memory_order_relaxed);
  s.subscribers_dropped = m.subscribers_dropped.load(std::memory_order_relaxed);
  s.credit_alerts_firing = m.credit_alerts_firing.load(std::memory_order_relaxed);
  if (m.follows_flows())
    s.flows = m.flows();
  return s;
}

alerting::alerting(std::vector<metrics::alert_rule> rules,
                   std::shared_ptr<metrics::engine_metrics> m, alert_sink sink,
                   uint32_t interval_ms)
    : book_(std::move(rules)),
      metrics_(std::move(m)),
      shown_(std::make_shared<std::vector<shown>>(book_.rules().size())),
      sink_(std::move(sink)),
      interval_ms_(interval_ms) {
  std::vector<std::string> flows;
  for (const auto& r : book_.rules())
    if (metrics::is_partner_rule(r.kind))
      flows.push_back(metrics::flow_key(r.partner, r.currency));
  metrics_->follow_flows(flows);
  for (size_t i = 0; i < book_.rules().size(); ++i) {
    const auto& r = book_.rules()[i];
    auto& one = (*shown_)[i];
    auto keep = shown_;  // the scraped values may outlive this object
    metrics_->add_scraped({"settle_alert_firing", "name", r.name,
                           "1 while the [[alerts]] rule is firing", false,
                           [keep, &one] { return one.firing.load() ? 1.0 : 0.0; }});
    metrics_->add_scraped({"settle_alert_value", "name", r.name,
                           "The rule's value at its last evaluation", false,
                           [keep, &one] { return one.value.load(); }});
    metrics_->add_scraped({"settle_alert_threshold", "name", r.name,
                           "The rule's threshold (fires above it)", false,
                           [t = r.threshold] { return t; }});
  }
  if (book_.rules().empty())
    return;
  book_.step(sample(*metrics_, steady_ms()));  // the baseline: what came before is not counted
  thread_ = std::thread([this] { run(); });
}

alerting::~alerting() {
  {
    std::lock_guard lock{mutex_};
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void alerting::run() {
  std::unique_lock lock{mutex_};
  while (!wake_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stop_; })) {
    for (const auto& t : book_.step(sample(*metrics_, steady_ms()))) {
      if (t.firing)
        spdlog::warn("alert {} firing: value {} above threshold {}", t.name, t.value, t.threshold);
      else
        spdlog::info("alert {} resolved: value {} (threshold {})", t.name, t.value, t.threshold);
      if (sink_)
        sink_(t);
    }
    int64_t firing = 0;
    for (size_t i = 0; i < book_.rules().size(); ++i) {
      (*shown_)[i].firing.store(book_.firing(i));
      (*shown_)[i].value.store(book_.value(i));
      firing += book_.firing(i);
    }
    metrics_->rule_alerts_firing.store(firing, std::memory_order_relaxed);
  }
}

}  // namespace settle::app
