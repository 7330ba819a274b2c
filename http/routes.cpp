#include "http/routes.hpp"

#include "http/metrics_text.hpp"
#include "http/static_files.hpp"

namespace settle::http {

router engine_routes(std::shared_ptr<const metrics::engine_metrics> m, bool journal_on,
                     std::string web_dir) {
  return [m = std::move(m), journal_on, web_dir = std::move(web_dir)](
             const std::string& method, const std::string& target) -> reply {
    const std::string path = target.substr(0, target.find('?'));
    const bool ours = path == "/metrics" || path == "/healthz" || path == "/readyz";
    auto page = ours ? std::nullopt : static_file(web_dir, path);
    if (!ours && !page)
      return {404, "text/plain; charset=utf-8", "no such page: " + path + "\n"};
    if (method != "GET" && method != "HEAD")
      return {405, "text/plain; charset=utf-8", "only GET and HEAD are served\n"};
    if (page)
      return std::move(*page);
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
