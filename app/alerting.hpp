// The [[alerts]] rules at work (metrics/alert_rules.hpp): once a second a thread of its own
// samples the engine's counters, steps the rules, logs every alert that fires or resolves,
// and shows each rule on /metrics (settle_alert_firing, settle_alert_value and
// settle_alert_threshold, labelled by name) and in settle_alerts_firing.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "metrics/alert_rules.hpp"
#include "metrics/engine_metrics.hpp"

namespace settle::app {

/// Where each transition goes besides the log: the streams' `alert` event and the webhook.
/// Called on the alerting thread.
using alert_sink = std::function<void(const metrics::alert_transition&)>;

class alerting {
public:
  alerting(std::vector<metrics::alert_rule> rules, std::shared_ptr<metrics::engine_metrics> m,
           alert_sink sink = {}, uint32_t interval_ms = 1000);
  ~alerting();
  alerting(const alerting&) = delete;
  alerting& operator=(const alerting&) = delete;

  /// What the counters hold now, as a rule sample.
  static metrics::alert_sample sample(const metrics::engine_metrics& m, int64_t at_ms);

private:
  struct shown;  // per rule, what /metrics reads
  void run();

  metrics::alert_book book_;
  std::shared_ptr<metrics::engine_metrics> metrics_;
  std::shared_ptr<std::vector<shown>> shown_;
  alert_sink sink_;
  uint32_t interval_ms_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace settle::app
