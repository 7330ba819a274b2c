#include "app/observability.hpp"

#include "http/routes.hpp"

namespace settle::app {

std::unique_ptr<http::listener> start_http(const config::engine_config& cfg,
                                           std::shared_ptr<metrics::engine_metrics> m) {
  if (cfg.http_listen.empty())
    return nullptr;
  http::listener_options o;
  const auto colon = cfg.http_listen.rfind(':');
  o.host = cfg.http_listen.substr(0, colon);
  o.port = static_cast<uint16_t>(std::stoul(cfg.http_listen.substr(colon + 1)));
  o.max_connections = cfg.http_max_connections;
  o.idle_timeout_ms = cfg.http_idle_timeout_ms;
  o.max_request_bytes = cfg.http_max_request_bytes;
  // /ws connects to the engine's own TCP listener; a wildcard listens on loopback too.
  o.engine_host = cfg.listen_host == "0.0.0.0" ? "127.0.0.1" : cfg.listen_host;
  // The dashboard's files: the source tree's web/ unless http.web_dir names another.
  std::string web_dir = cfg.http_web_dir.empty() ? std::string{SETTLE_WEB_DIR} : cfg.http_web_dir;
  return std::make_unique<http::listener>(
      o, http::engine_routes(std::move(m), cfg.journal_enabled, std::move(web_dir)));
}

void add_queue_gauges(metrics::engine_metrics& m, std::shared_ptr<const actors::routing> routes,
                      std::shared_ptr<persistence::redis_journal_writer> journal) {
  // The gate, not the routes: the metrics outlive the actor system, and actor handles must
  // not. The writer weakly: it holds the metrics itself.
  const std::string help = "Items waiting in one of the engine's queues";
  std::shared_ptr<const actors::event_gate> gate = routes->events;
  m.add_scraped({"settle_queue_depth", "queue", "events", help, false, [gate] {
                 return gate->queued.load(std::memory_order_relaxed);
               }});
  if (journal)
    m.add_scraped({"settle_queue_depth", "queue", "journal_records", help, false,
                   [weak = std::weak_ptr<persistence::redis_journal_writer>(journal)] {
                     auto w = weak.lock();
                     return w ? static_cast<int64_t>(w->queued_records()) : int64_t{0};
                   }});
  m.add_scraped({"settle_events_dropped_total", "", "",
               "Events refused because the publisher fell behind (every stream was closed)",
               true, [gate] {
                 return static_cast<int64_t>(gate->dropped.load(std::memory_order_relaxed));
               }});
}

}  // namespace settle::app
