// /metrics: the engine's counters (metrics/engine_metrics.hpp) in the Prometheus text
// exposition format, serialized by prometheus-cpp (Debian's prometheus-cpp-dev). Every metric
// is listed in docs/operations.md.
#pragma once

#include <string>

#include "metrics/engine_metrics.hpp"

namespace settle::http {

/// The text of one scrape. Reads atomics and the registered gauges; thread-safe.
std::string metrics_text(const metrics::engine_metrics& m);

/// The process's resident and virtual memory in bytes (from /proc/self/statm; 0 if unreadable).
struct process_memory {
  uint64_t resident_bytes = 0, virtual_bytes = 0;
};
process_memory read_process_memory();

}  // namespace settle::http
