// What settled's HTTP listener serves (docs/operations.md): GET /metrics (Prometheus text),
// /healthz (the process is alive) and /readyz (recovered, and the journal's last round trip
// landed). Anything else is 404, another method than GET or HEAD 405.
#pragma once

#include <memory>

#include "http/listener.hpp"
#include "metrics/engine_metrics.hpp"

namespace settle::http {

/// `journal_on`: readiness also needs a healthy journal (off: in memory only, never needed).
router engine_routes(std::shared_ptr<const metrics::engine_metrics> m, bool journal_on);

}  // namespace settle::http
