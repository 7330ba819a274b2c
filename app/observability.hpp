// settled's /metrics side: the HTTP listener (started before recovery, so /readyz answers
// "recovering" meanwhile) and the gauges read at each scrape.
#pragma once

#include <memory>

#include "actors/routing.hpp"
#include "config/engine_config.hpp"
#include "http/listener.hpp"
#include "metrics/engine_metrics.hpp"
#include "persistence/durable_store.hpp"

namespace settle::app {

/// The HTTP listener of `cfg.http_listen`, or null when that is empty. Throws
/// std::runtime_error when it cannot listen.
std::unique_ptr<http::listener> start_http(const config::engine_config& cfg,
                                           std::shared_ptr<metrics::engine_metrics> m);

/// What /metrics reads from other parts at each scrape: the queue depths (events on their
/// way to the publisher, records waiting for the journal, with a store) and dropped events.
void add_queue_gauges(metrics::engine_metrics& m, std::shared_ptr<const actors::routing> routes,
                      std::shared_ptr<persistence::redis_journal_writer> journal);

}  // namespace settle::app
