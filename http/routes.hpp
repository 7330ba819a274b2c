// What settled's HTTP listener serves (docs/operations.md): GET /metrics (Prometheus text),
// /healthz (the process is alive), /readyz (recovered, and the journal's last round trip
// landed) and the dashboard's files (/, web/). Anything else is 404, another method than GET
// or HEAD 405.
#pragma once

#include <memory>

#include "http/listener.hpp"
#include "metrics/engine_metrics.hpp"

namespace settle::http {

/// `journal_on`: readiness also needs a healthy journal (off: in memory only, never needed).
/// `web_dir`: where the dashboard's files are (http/static_files.hpp).
router engine_routes(std::shared_ptr<const metrics::engine_metrics> m, bool journal_on,
                     std::string web_dir);

}  // namespace settle::http
