#include "http/routes.hpp"

#include "http/metrics_text.hpp"

namespace settle::http {

router engine_routes(std::shared_ptr<const metrics::engine_metrics> m, bool journal_on) {
  return [m = std::move(m), journal_on](const std::string& method,
                                        const std::string& target) -> reply {
    const std::string path = target.substr(0, target.find('?'));
    if (path != "/metrics" && path != "/healthz" && path != "/readyz")
      return {404, "text/plain; charset=utf-8", "no such page: " + path + "\n"};
    if (method != "GET" && method != "HEAD")
      return {405, "text/plain; charset=utf-8", "only GET and HEAD are served\n"};
    if (path == "/metrics")
      return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_text(*m)};
    if (path == "/healthz")
      return {200, "text/plain; charset=utf-8", "ok\n"};
    if (!m->ready.load())
      return {503, "text/plain; charset=utf-8", "not ready: recovering\n"};
    if (journal_on && !m->journal_healthy.load())
      return {503, "text/plain; charset=utf-8",
              "not ready: the journal's last round trip to Redis failed\n"};
    return {200, "text/plain; charset=utf-8", "ready\n"};
  };
}

}  // namespace settle::http
