// Where an [[alerts]] alert goes besides the log (app/alerting): an `alert` event to every
// connection subscribed with `alerts: true` (docs/protocol.md), and the webhook when
// [alert_webhook] url is set (http/webhook_sender), with its counters on /metrics.
#pragma once

#include <memory>

#include "actors/routing.hpp"
#include "config/engine_config.hpp"
#include "http/webhook_sender.hpp"
#include "metrics/alert_rules.hpp"
#include "metrics/engine_metrics.hpp"

namespace settle::app {

class alert_outlets {
public:
  alert_outlets(const config::engine_config& cfg, std::shared_ptr<const actors::routing> routes,
                std::shared_ptr<metrics::engine_metrics> metrics);

  /// Publishes and posts one transition (the alerting thread calls it).
  void send(const metrics::alert_transition& t);

  /// The JSON the webhook posts: {name, state, value, threshold, at, labels, source}.
  static std::string webhook_json(const metrics::alert_transition& t, int64_t at_unix_ms);

private:
  std::shared_ptr<const actors::routing> routes_;
  std::shared_ptr<http::webhook_sender> webhook_;  // null: none configured
};

}  // namespace settle::app
