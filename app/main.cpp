// settled: the settlement engine. Loads configuration, starts the actor layer and the TCP
// gateway, prints where it listens, and runs until SIGINT or SIGTERM.
#include <csignal>
#include <filesystem>
#include <future>
#include <iostream>
#include <optional>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "actors/engine.hpp"
#include "actors/settlement_answers.hpp"
#include "app/alert_outlets.hpp"
#include "app/alerting.hpp"
#include "app/observability.hpp"
#include "config/engine_config.hpp"
#include "gateway/session.hpp"
#include "base/wall_clock.hpp"
#include "persistence/durable_store.hpp"
#include "persistence/settlement_store.hpp"

// jemalloc's options (read at start-up when it is the allocator; ignored otherwise): huge
// pages for the id store's tables and the accounts, and purging in a background thread rather
// than in the I/O thread. Measured: p99 at half of peak 37 ms -> 14 ms (docs/performance.md).
extern "C" {
// NOLINTNEXTLINE: the symbol name is jemalloc's interface
const char* malloc_conf = "thp:always,metadata_thp:auto,background_thread:true";
}

namespace {

namespace config = settle::config;

volatile std::sig_atomic_t stop_requested = 0;

void on_signal(int) {
  stop_requested = 1;
}

/// The configuration from flags, file and environment, validated. Returns the exit code when
/// the program should not run (--help, a bad value), nothing when it should.
std::optional<int> load_config(int argc, char** argv, config::engine_config& cfg) {
  try {
    int exit_code = 0;
    if (!config::parse_command_line(argc, argv, cfg, exit_code))
      return exit_code;
    config::validate(cfg);
    std::filesystem::create_directories(cfg.data_dir);
  } catch (const std::exception& e) {
    std::cerr << "settled: " << e.what() << "\n";
    return 2;
  }
  return std::nullopt;
}

void start_logging(const config::engine_config& cfg) {
  // Logs go to stderr: stdout carries only the "listening on" line that scripts read.
  spdlog::set_default_logger(spdlog::stderr_color_mt("settled"));
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));
  if (cfg.tokens.empty())
    spdlog::warn("no tokens configured: every request will be refused (set SETTLE_ADMIN_TOKEN "
                 "or add [[auth.tokens]])");
}

settle::ledger::history_limits history_limits_from(const config::engine_config& cfg) {
  settle::ledger::history_limits h;
  h.retention_ms = static_cast<int64_t>(cfg.history_retention_s) * 1000;
  h.max_bytes = cfg.history_max_bytes;
  return h;
}

settle::actors::engine_options engine_options_from(const config::engine_config& cfg) {
  settle::actors::engine_options o;
  o.shards = cfg.shards;
  o.shard.max_amount = cfg.max_amount;
  o.shard.id_retention_s = static_cast<int64_t>(cfg.id_retention_s);
  o.shard.history = history_limits_from(cfg);
  o.shard.partner_flush_interval_us = cfg.partner_flush_interval_us;
  o.shard.max_pending = cfg.max_shard_queue;
  o.events.max_subscriptions = cfg.events_max_subscriptions;
  o.events.max_subscriptions_per_connection = cfg.events_max_subscriptions_per_connection;
  o.events.flush_interval_us = cfg.events_flush_interval_us;
  o.partner_event_interval_ms = cfg.events_partner_interval_ms;
  o.max_queued_events = cfg.events_max_queued;
  o.settlement.tick_ms = cfg.settlement_tick_ms;
  o.settlement.max_reconciles = cfg.settlement_max_reconciles;
  o.settlement.reconcile_idle_s = cfg.settlement_reconcile_idle_s;
  return o;
}

/// Where the durable side finds Redis: its own under the data directory, or the configured one.
void redis_from(const config::engine_config& cfg, settle::persistence::durable_store_options& o) {
  o.embedded = cfg.redis_address.empty();
  if (o.embedded) {
    o.server.dir = (std::filesystem::path(cfg.data_dir) / "redis").string();
    o.server.appendfsync = cfg.redis_appendfsync;
    o.server.executable = cfg.redis_executable;
    o.server.maxmemory_bytes = cfg.redis_maxmemory_bytes;
    return;
  }
  config::redis_endpoint ep;
  std::string why;
  if (!config::parse_redis_address(cfg.redis_address, ep, why))
    throw std::runtime_error("redis.address: " + why);
  o.address.unix_socket = ep.unix_socket;
  o.address.host = ep.host;
  o.address.port = ep.port;
}

/// The durable side's options from the configuration.
settle::persistence::durable_store_options store_options_from(
    const config::engine_config& cfg, std::shared_ptr<settle::metrics::engine_metrics> metrics) {
  settle::persistence::durable_store_options o;
  o.journal.metrics = std::move(metrics);
  redis_from(cfg, o);
  o.shards = cfg.shards;
  o.journal.max_batch_records = cfg.journal_max_batch_records;
  o.journal.max_batch_delay_us = cfg.journal_max_batch_delay_us;
  o.journal.deadline_ms = cfg.journal_deadline_ms;
  o.journal.max_queued_records = cfg.journal_max_queued_records;
  // The durable store hands it on to recovery and to the snapshots' trimming as well.
  o.journal.stream_prefix = cfg.journal_stream_prefix;
  o.address.timeout_ms = std::max<uint32_t>(cfg.journal_deadline_ms, 5000);
  o.snapshot_interval_s = cfg.snapshot_interval_s;
  o.id_retention_s = static_cast<int64_t>(cfg.id_retention_s);
  o.history = history_limits_from(cfg);
  o.stop_at_last_good = cfg.recover_to_last_good_batch;
  o.publish_events = cfg.events_redis_publish;
  o.log = [](const std::string& line) { spdlog::info("{}", line); };
  return o;
}

settle::gateway::gateway_options gateway_options_from(const config::engine_config& cfg) {
  settle::gateway::gateway_options gw;
  gw.max_frame_bytes = cfg.max_frame_bytes;
  gw.max_in_flight_per_connection = cfg.max_in_flight_per_connection;
  gw.max_connections = cfg.max_connections;
  gw.subscribers.buffer_bytes = cfg.subscriber_buffer_bytes;
  gw.subscribers.max_conflated = cfg.subscriber_max_conflated;
  gw.subscribers.max_lag_ms = cfg.subscriber_max_lag_ms;
  return gw;
}

/// The recovered image as the actors' starting state.
settle::actors::engine_seed seed_from(settle::persistence::durable_image img) {
  settle::actors::engine_seed seed;
  seed.accounts = std::move(img.accounts);
  seed.ids = std::move(img.ids);
  seed.clearing = std::move(img.clearing);
  seed.partner_spill = std::move(img.partner_spill);
  return seed;
}

/// Recovery: nothing is served until the state is known to be right. Null when the journal
/// is off. Throws when recovery fails.
std::unique_ptr<settle::persistence::durable_store> open_store(
    const config::engine_config& cfg, settle::actors::engine_seed& seed,
    std::shared_ptr<settle::metrics::engine_metrics> metrics) {
  if (!cfg.journal_enabled) {
    spdlog::warn("journal off: nothing is durable, a restart starts empty");
    return nullptr;
  }
  auto store = std::make_unique<settle::persistence::durable_store>(
      store_options_from(cfg, std::move(metrics)));
  seed = seed_from(store->take_image());
  seed.history = store->load_history();
  return store;
}

/// Partner settlement's store, its state folded from the settlement stream (into
/// seed.settlement) and the open periods' totals read from the journal (seed.settlement_live).
/// Null when the journal is off. Throws when the stream does not fold.
std::shared_ptr<settle::persistence::settlement_store> open_settlement(
    const config::engine_config& cfg, settle::persistence::durable_store* store,
    settle::actors::engine_seed& seed) {
  if (!store)
    return nullptr;
  settle::persistence::redis_settlement_options o;
  o.stream_prefix = cfg.journal_stream_prefix;
  o.shards = cfg.shards;
  std::shared_ptr<settle::persistence::settlement_store> out =
      settle::persistence::make_redis_settlement_store(store->address(), o);
  seed.settlement = settle::persistence::load_settlement(*out);
  for (const auto& p : cfg.partners)
    settle::actors::apply_configured_contract(seed.settlement, *out, p.partner, p.terms,
                                              settle::wall_clock_ms());
  // Before any traffic: what the open periods hold so far (consumed supplier credit too).
  auto live = settle::ledger::live_collector(seed.settlement);
  if (!live.windows().empty())
    out->scan(live);
  seed.settlement_live = settle::ledger::live_from(seed.settlement, live);
  return out;
}

void configure_actor_system(caf::actor_system_config& sys_cfg, const config::engine_config& cfg) {
  sys_cfg.load<caf::io::middleman>();
  // The hot path (sessions, ledger shards) runs on CAF's I/O thread; the worker threads only
  // carry the clearing, registry and snapshot actors. Work sharing lets idle workers sleep on
  // a condition variable, where work stealing polls and naps every 50 us: on two cores that
  // polling took CPU from the I/O thread, the journal writer and Redis (docs/performance.md).
  sys_cfg.set("scheduler.policy", caf::atom("sharing"));
  sys_cfg.set("scheduler.max-threads", static_cast<size_t>(cfg.worker_threads));
  // One read per socket per loop turn: CAF's default of up to 50 ends every turn with a read
  // that finds nothing (a wasted syscall per socket per turn); what is left is read next turn.
  sys_cfg.set("middleman.max-consecutive-reads", size_t{1});
}

/// The engine's journal, snapshots and Redis event feed, when there is a durable store.
void attach_store(settle::actors::engine_options& eng_opts,
                  settle::persistence::durable_store* store,
                  std::shared_ptr<settle::persistence::settlement_store> settlement) {
  if (!store)
    return;
  eng_opts.settlement.store = std::move(settlement);
  // Never trimmed: snapshots trim only the journal's shard streams.
  eng_opts.audit = settle::persistence::make_redis_audit_store(
      store->address(), store->journal_stream_prefix() + "audit");
  eng_opts.log = [](const std::string& line) { spdlog::warn("{}", line); };
  eng_opts.settlement.journal_hold = store->journal_hold();
  eng_opts.journal = store->writer();
  eng_opts.snapshot = [store](auto done) { store->request_snapshot(std::move(done)); };
  if (auto redis_events = store->event_publisher()) {
    // Redis followers get every partner's totals, followed on TCP or not.
    eng_opts.publish_all_partners = true;
    eng_opts.events.partner_feed = [redis_events](std::vector<settle::protocol::event> e) {
      redis_events->partner_totals(std::move(e));
    };
  }
}

using gateway_ptr = std::shared_ptr<settle::gateway::gateway_context>;

/// Binds inside the broker (its doorman belongs to it) and reports the port back here.
caf::expected<uint16_t> start_listener(caf::actor_system& sys, const config::engine_config& cfg,
                                       gateway_ptr ctx, caf::actor& listener) {
  std::promise<caf::expected<uint16_t>> bound;
  auto bound_future = bound.get_future();
  // ctx is passed as an argument, not captured: CAF 0.17 dereferences a null argument pack
  // when a functor broker is spawned without arguments (UBSan reports it).
  listener = sys.middleman().spawn_broker(
      [&bound, host = cfg.listen_host, port = cfg.listen_port](caf::io::broker* self,
                                                                gateway_ptr ctx) {
        auto res = self->add_tcp_doorman(port, host.c_str(), true);
        if (!res) {
          bound.set_value(res.error());
          self->quit();
          return caf::behavior{};
        }
        bound.set_value(res->second);
        return settle::gateway::acceptor(self, ctx);
      },
      std::move(ctx));
  return bound_future.get();
}

/// Runs until SIGINT or SIGTERM, then stops the listener, its sessions and the engine.
void run_until_signal(const caf::actor& listener, const gateway_ptr& ctx,
                      settle::actors::engine& eng, settle::metrics::engine_metrics& metrics) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  while (!stop_requested)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  spdlog::info("stopping");
  metrics.ready.store(false);  // /readyz: no longer taking traffic
  caf::anon_send_exit(listener, caf::exit_reason::user_shutdown);
  // Let the sessions close their connections before the engine's actors go away: a broker
  // still running when the middleman stops is never released (LeakSanitizer), and with
  // hundreds of subscribers that takes longer than a fixed pause.
  for (int waited_ms = 0; ctx->live_connections.load() > 0 && waited_ms < 5000; waited_ms += 10)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  eng.shutdown();
  // Sessions are linked to the listener, so they end with it and close their connections;
  // the actor system's destructor then waits for the remaining actors.
}

/// The actor system, the engine and the gateway, from start to stop. Returns the exit code.
int serve(const config::engine_config& cfg, settle::persistence::durable_store* store,
          std::shared_ptr<settle::persistence::settlement_store> settlement,
          settle::actors::engine_seed seed, std::shared_ptr<settle::metrics::engine_metrics> metrics,
          settle::http::listener* http) {
  caf::actor_system_config sys_cfg;
  configure_actor_system(sys_cfg, cfg);
  caf::actor_system sys{sys_cfg};
  auto eng_opts = engine_options_from(cfg);
  attach_store(eng_opts, store, std::move(settlement));
  eng_opts.metrics = metrics;
  settle::actors::engine eng{sys, eng_opts, std::move(seed)};
  settle::app::add_queue_gauges(*metrics, eng.shared_routes(),
                                store ? store->writer() : nullptr);
  if (store)
    store->start_snapshots();
  auto ctx = std::make_shared<settle::gateway::gateway_context>(
      eng.shared_routes(), gateway_options_from(cfg), settle::gateway::token_table{cfg.tokens});
  ctx->metrics = metrics;
  // Its first sample is taken here, before any client can be answered.
  settle::app::alert_outlets outlets{cfg, eng.shared_routes(), metrics};
  settle::app::alerting alerts{cfg.alerts, metrics,
                               [&outlets](const auto& t) { outlets.send(t); }};
  caf::actor listener;
  auto port = start_listener(sys, cfg, ctx, listener);
  if (!port) {
    std::cerr << "settled: cannot listen on " << cfg.listen_host << ":" << cfg.listen_port << ": "
              << sys.render(port.error()) << "\n";
    eng.shutdown();
    return 1;
  }
  std::cout << "settled listening on " << cfg.listen_host << ":" << *port << std::endl;
  if (http)
    http->set_engine_port(*port);  // /ws bridges to it from now on
  if (http)
    std::cout << "settled http on " << cfg.http_listen.substr(0, cfg.http_listen.rfind(':'))
              << ":" << http->port() << std::endl;
  metrics->ready.store(true);  // /readyz: recovered and serving
  spdlog::info("{} ledger shards, max_frame_bytes {}, max in flight {}", cfg.shards,
               cfg.max_frame_bytes, cfg.max_in_flight_per_connection);
  run_until_signal(listener, ctx, eng, *metrics);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  config::engine_config cfg;
  if (auto exit_code = load_config(argc, argv, cfg))
    return *exit_code;
  start_logging(cfg);
  // Hiredis writes to sockets Redis may have closed: an error return, not a crash.
  std::signal(SIGPIPE, SIG_IGN);
  // Declared before the actor system (in serve), so it outlives every actor that journals
  // through it.
  std::unique_ptr<settle::persistence::durable_store> store;
  std::shared_ptr<settle::persistence::settlement_store> settlement;
  settle::actors::engine_seed seed;
  settle::wall_clock_offset_ms().store(cfg.clock_offset_ms);
  auto metrics = std::make_shared<settle::metrics::engine_metrics>();
  // Before recovery, so /readyz says "recovering" meanwhile; stopped after everything else.
  std::unique_ptr<settle::http::listener> http;
  try {
    http = settle::app::start_http(cfg, metrics);
    store = open_store(cfg, seed, metrics);
    settlement = open_settlement(cfg, store.get(), seed);
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    std::cerr << "settled: " << e.what() << "\n";
    return 1;
  }
  return serve(cfg, store.get(), std::move(settlement), std::move(seed), std::move(metrics),
               http.get());
}
