#include "app/alert_outlets.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/messages.hpp"
#include "base/wall_clock.hpp"
#include "config/webhook_url.hpp"

namespace settle::app {

alert_outlets::alert_outlets(const config::engine_config& cfg,
                             std::shared_ptr<const actors::routing> routes,
                             std::shared_ptr<metrics::engine_metrics> metrics)
    : routes_(std::move(routes)) {
  if (cfg.alert_webhook_url.empty())
    return;
  config::webhook_url url;
  std::string why;
  if (!config::parse_webhook_url(cfg.alert_webhook_url, url, why))
    throw std::runtime_error("alert_webhook.url: " + why);  // validate() refused it already
  http::webhook_options o;
  o.host = url.host;
  o.port = url.port;
  o.target = url.target;
  o.max_queue = cfg.alert_webhook_max_queue;
  o.timeout_ms = cfg.alert_webhook_timeout_ms;
  o.max_attempts = cfg.alert_webhook_max_attempts;
  o.retry_ms = cfg.alert_webhook_retry_ms;
  o.log = [](const std::string& line) { spdlog::warn("{}", line); };
  webhook_ = std::make_shared<http::webhook_sender>(std::move(o));
  auto counter = [&](const char* result, const char* help, uint64_t (http::webhook_sender::*f)()
                                                              const) {
    metrics->add_scraped({"settle_alert_webhook_posts_total", "result", result, help, true,
                          [w = webhook_, f] { return static_cast<double>(((*w).*f)()); }});
  };
  counter("sent", "Alerts the webhook received (2xx)", &http::webhook_sender::sent);
  counter("failed", "Alerts given up after max_attempts", &http::webhook_sender::failed);
  counter("dropped", "Alerts dropped: max_queue were waiting", &http::webhook_sender::dropped);
}

std::string alert_outlets::webhook_json(const metrics::alert_transition& t, int64_t at_unix_ms) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& [k, v] : t.labels)
    labels[k] = v;
  return nlohmann::json{{"event", "alert"},
                        {"name", t.name},
                        {"state", t.firing ? "firing" : "resolved"},
                        {"value", t.value},
                        {"threshold", t.threshold},
                        {"at", at_unix_ms},
                        {"labels", labels},
                        {"source", "settled"}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void alert_outlets::send(const metrics::alert_transition& t) {
  const int64_t at = wall_clock_ms();
  if (webhook_)
    webhook_->post(webhook_json(t, at));
  protocol::event e;
  e.kind = protocol::event_kind::alert;
  e.at_unix_ms = at;
  e.name = t.name;
  e.state = t.firing ? "firing" : "resolved";
  e.value = t.value;
  e.threshold = t.threshold;
  e.labels = t.labels;
  actors::event_batch batch;
  batch.events.push_back(std::move(e));
  if (routes_->events->admit(1))  // counted like every event on its way to the publisher
    caf::anon_send(routes_->publisher, std::move(batch));
}

}  // namespace settle::app
