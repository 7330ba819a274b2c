#include "config/settings.hpp"
#include "config/webhook_url.hpp"

#include <limits>

namespace settle::config {

namespace {

constexpr int64_t int64_max = std::numeric_limits<int64_t>::max();

std::string non_empty(const std::string& v) {
  return v.empty() ? "empty" : "";
}

std::string non_empty_host(const std::string& v) {
  return v.empty() ? "empty host" : "";
}

std::string redis_address_why_not(const std::string& v) {
  redis_endpoint ep;
  std::string why;
  return v.empty() || parse_redis_address(v, ep, why) ? "" : why;
}

/// Stream keys are PREFIX + shard; other tools type them in redis-cli, so plain characters.
std::string stream_prefix_why_not(const std::string& v) {
  if (v.empty() || v.size() > 64)
    return "expected 1..64 bytes, got " + std::to_string(v.size());
  for (char ch : v) {
    bool alnum = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
    if (!alnum && std::string_view{":._-"}.find(ch) == std::string_view::npos)
      return "invalid character in '" + v + "': expected [A-Za-z0-9:._-]";
  }
  return "";
}

/// "" (off) or HOST:PORT with a numeric port (0: a free one).
std::string http_listen_why_not(const std::string& v) {
  if (v.empty())
    return "";
  const auto colon = v.rfind(':');
  const auto port = colon == std::string::npos ? std::string{} : v.substr(colon + 1);
  if (colon == 0 || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535)
    return "expected HOST:PORT, got '" + v + "'";
  return "";
}

std::vector<setting> http_rows() {
  return {
      {.section = "http", .key = "listen", .flag = "--http", .member = &engine_config::http_listen,
       .rule = {http_listen_why_not, "HOST:PORT or empty"},
       .help = "HOST:PORT of the HTTP listener (/metrics, /healthz, /readyz); port 0 picks a "
               "free one",
       .empty_means = "off"},
      {.section = "http", .key = "max_connections", .flag = "--http-max-connections",
       .member = &engine_config::http_max_connections, .unit = "connections", .min = 1,
       .max = 100'000, .help = "HTTP connections open at once (more: answered 503 and closed)"},
      {.section = "http", .key = "idle_timeout_ms", .flag = "--http-idle-timeout-ms",
       .member = &engine_config::http_idle_timeout_ms, .unit = "ms", .min = 100,
       .max = 3'600'000,
       .help = "an HTTP client slower than this to send a request or take an answer is cut off"},
      {.section = "http", .key = "max_request_bytes", .flag = "--http-max-request-bytes",
       .member = &engine_config::http_max_request_bytes, .unit = "bytes", .min = 1024,
       .max = 1 << 20, .help = "largest HTTP request header (and body) accepted (more: 413)"},
      {.section = "http", .key = "web_dir", .flag = "--http-web-dir",
       .member = &engine_config::http_web_dir,
       .help = "the dashboard's files (index.html, app.js, style.css, node_modules/uplot)",
       .empty_means = "the source tree's web/"},
  };
}

/// "" (off) or http://HOST[:PORT][/PATH].
std::string webhook_url_why_not(const std::string& v) {
  webhook_url u;
  std::string why;
  return v.empty() || parse_webhook_url(v, u, why) ? "" : why;
}

std::vector<setting> webhook_rows() {
  return {
      {.section = "alert_webhook", .key = "url", .flag = "--alert-webhook-url",
       .member = &engine_config::alert_webhook_url,
       .rule = {webhook_url_why_not, "http://HOST[:PORT][/PATH] or empty"},
       .help = "POST every [[alerts]] alert that fires or resolves here, as JSON",
       .empty_means = "no webhook"},
      {.section = "alert_webhook", .key = "max_queue", .flag = "--alert-webhook-max-queue",
       .member = &engine_config::alert_webhook_max_queue, .unit = "alerts", .min = 1,
       .max = 100'000, .help = "alerts waiting to be posted; beyond it the newest are dropped"},
      {.section = "alert_webhook", .key = "timeout_ms", .flag = "--alert-webhook-timeout-ms",
       .member = &engine_config::alert_webhook_timeout_ms, .unit = "ms", .min = 100,
       .max = 60'000, .help = "one POST (connect, send, answer) takes at most this long"},
      {.section = "alert_webhook", .key = "max_attempts", .flag = "--alert-webhook-max-attempts",
       .member = &engine_config::alert_webhook_max_attempts, .unit = "attempts", .min = 1,
       .max = 100, .help = "POSTs of one alert before it is given up (logged, counted)"},
      {.section = "alert_webhook", .key = "retry_ms", .flag = "--alert-webhook-retry-ms",
       .member = &engine_config::alert_webhook_retry_ms, .unit = "ms", .min = 10,
       .max = 600'000, .help = "the wait before the first retry, doubled for each next one"},
  };
}

std::vector<setting> server_rows() {
  return {
      {.section = "server", .key = "listen", .flag = "--listen",
       .member = &engine_config::listen_host, .rule = {non_empty_host, "HOST:PORT"},
       .help = "HOST:PORT to listen on; port 0 picks a free one",
       .form = setting_form::host_port},
      {.section = "server", .key = "data_dir", .flag = "--data-dir",
       .member = &engine_config::data_dir, .rule = {non_empty, "not empty"},
       .help = "data directory (created if missing; the embedded Redis lives in its redis/)"},
      {.section = "server", .key = "max_frame_bytes", .flag = "--max-frame-bytes",
       .member = &engine_config::max_frame_bytes, .unit = "bytes", .min = 64,
       .max = 64 << 20, .help = "largest accepted frame body"},
      {.section = "server", .key = "max_connections", .flag = "--max-connections",
       .member = &engine_config::max_connections, .unit = "connections", .min = 1,
       .max = 1'000'000, .help = "concurrent client connections"},
      {.section = "server", .key = "max_in_flight_per_connection", .flag = "--max-in-flight",
       .member = &engine_config::max_in_flight_per_connection, .unit = "requests", .min = 1,
       .max = 1'000'000, .help = "unanswered requests per connection"},
  };
}

std::vector<setting> engine_rows() {
  return {
      {.section = "engine", .key = "shards", .flag = "--shards",
       .member = &engine_config::shards, .unit = "shards", .min = 1, .max = 1024,
       .help = "ledger shards (accounts hashed by id; each its own journal stream, so fixed "
               "once data exists)"},
      {.section = "engine", .key = "worker_threads", .flag = "--worker-threads",
       .member = &engine_config::worker_threads, .unit = "threads", .min = 1, .max = 1024,
       .help = "CAF worker threads for the clearing, registry and snapshot actors"},
      {.section = "engine", .key = "max_amount", .flag = "--max-amount",
       .member = &engine_config::max_amount, .unit = "minor units", .min = 1,
       .max = int64_max, .help = "largest amount of one transaction"},
      // At most int64's largest: the engine counts it in signed seconds.
      {.section = "engine", .key = "id_retention_s", .flag = "--id-retention-s",
       .member = &engine_config::id_retention_s, .unit = "s", .min = 1, .max = int64_max,
       .help = "how long transaction ids are remembered"},
      {.section = "engine", .key = "history_retention_s", .flag = "--history-retention-s",
       .member = &engine_config::history_retention_s, .unit = "s", .min = 0,
       .max = 100LL * 365 * 24 * 3600,
       .help = "how long account history (the `history` op) is kept; the journal is kept as "
               "long, whatever the snapshots (0: no history)"},
      {.section = "engine", .key = "history_max_bytes", .flag = "--history-max-bytes",
       .member = &engine_config::history_max_bytes, .unit = "bytes", .min = 1 << 20,
       .max = int64_t{1} << 40,
       .help = "memory for account history per ledger shard (1 MiB blocks); beyond it the "
               "oldest changes go first"},
      {.section = "engine", .key = "partner_flush_interval_us",
       .flag = "--partner-flush-interval-us",
       .member = &engine_config::partner_flush_interval_us, .unit = "us", .min = 1,
       .max = 10'000'000, .help = "how often ledger shards push partner totals"},
      {.section = "engine", .key = "max_shard_queue", .flag = "--max-shard-queue",
       .member = &engine_config::max_shard_queue, .unit = "answers", .min = 1,
       .max = 100'000'000,
       .help = "answers waiting for the journal in one ledger shard before `overloaded`"},
      {.section = "engine", .key = "clock_offset_ms", .flag = "--clock-offset-ms",
       .member = &engine_config::clock_offset_ms, .unit = "ms",
       .min = 0, .max = 100LL * 365 * 24 * 3600 * 1000,
       .help = "moves the engine's wall clock forward (journal stamps, period closes); for "
               "tests of settlement boundaries, 0 in production"},
      {.section = "settlement", .key = "tick_ms", .flag = "--settlement-tick-ms",
       .member = &engine_config::settlement_tick_ms, .unit = "ms", .min = 10, .max = 60'000,
       .help = "how often due period closes and supplier credit are looked at"},
      {.section = "settlement", .key = "max_reconciles", .flag = "--settlement-max-reconciles",
       .member = &engine_config::settlement_max_reconciles, .unit = "reconciles", .min = 1,
       .max = 1000, .help = "chunked reconciles open at once (more: `overloaded`)"},
      {.section = "settlement", .key = "reconcile_idle_s",
       .flag = "--settlement-reconcile-idle-s",
       .member = &engine_config::settlement_reconcile_idle_s, .unit = "s", .min = 1,
       .max = 86'400, .help = "an unfinished chunked reconcile is dropped after this long idle"},
  };
}

std::vector<setting> journal_rows() {
  return {
      {.section = "journal", .key = "enabled", .flag = "--journal",
       .member = &engine_config::journal_enabled,
       .help = "on: every change is journaled in Redis before it is acknowledged; off: in "
               "memory only, nothing survives a restart"},
      {.section = "journal", .key = "max_batch_records", .flag = "--journal-max-batch-records",
       .member = &engine_config::journal_max_batch_records, .unit = "records", .min = 1,
       .max = 1'000'000, .help = "records written in one Redis round trip, at most"},
      {.section = "journal", .key = "max_batch_delay_us", .flag = "--journal-max-batch-delay-us",
       .member = &engine_config::journal_max_batch_delay_us, .unit = "us", .min = 0,
       .max = 1'000'000,
       .help = "a round trip leaves once its first record waited this long (0: at once)"},
      {.section = "journal", .key = "deadline_ms", .flag = "--journal-deadline-ms",
       .member = &engine_config::journal_deadline_ms, .unit = "ms", .min = 1, .max = 600'000,
       .help = "Redis slower than this counts as failed: answer `unavailable`"},
      {.section = "journal", .key = "max_queued_records", .flag = "--journal-max-queued-records",
       .member = &engine_config::journal_max_queued_records, .unit = "records", .min = 1,
       .max = 100'000'000, .help = "records waiting for Redis before new changes are refused"},
      {.section = "journal", .key = "snapshot_interval_s", .flag = "--snapshot-interval-s",
       .member = &engine_config::snapshot_interval_s, .unit = "s", .min = 0,
       .max = 30 * 86'400, .help = "time between snapshots (0: only on demand)"},
      {.section = "journal", .key = "recover_to_last_good_batch",
       .flag = "--recover-to-last-good-batch", .member = &engine_config::recover_to_last_good_batch,
       .help = "start on a damaged journal by cutting it at the last good batch (what is cut "
               "is logged) instead of refusing to start",
       .form = setting_form::presence},
      {.section = "journal", .key = "stream_prefix", .flag = "--journal-stream-prefix",
       .member = &engine_config::journal_stream_prefix,
       .rule = {stream_prefix_why_not, "1..64 bytes of A-Z a-z 0-9 : . _ -"},
       .help = "the journal's Redis stream keys are this prefix and the shard number "
               "(recovery and snapshots use it too)"},
  };
}

std::vector<setting> redis_rows() {
  return {
      {.section = "redis", .key = "address", .flag = "--redis",
       .member = &engine_config::redis_address,
       .rule = {redis_address_why_not, "unix:/path/to/socket, HOST:PORT or empty"},
       .help = "Redis to use; empty: start an embedded redis-server under the data directory",
       .empty_means = "embedded"},
      {.section = "redis", .key = "appendfsync", .flag = "--redis-appendfsync",
       .member = &engine_config::redis_appendfsync, .allowed = {"always", "everysec", "no"},
       .help = "embedded Redis: when its AOF is fsynced"},
      {.section = "redis", .key = "executable", .flag = "--redis-executable",
       .member = &engine_config::redis_executable,
       .help = "embedded Redis: the redis-server program"},
      {.section = "redis", .key = "maxmemory_bytes", .flag = "--redis-maxmemory-bytes",
       .member = &engine_config::redis_maxmemory_bytes, .unit = "bytes", .min = 0,
       .max = int64_max, .help = "embedded Redis: memory limit (0: none)"},
  };
}

std::vector<setting> events_rows() {
  return {
      {.section = "events", .key = "redis_publish", .flag = "--events-redis-publish",
       .member = &engine_config::events_redis_publish,
       .help = "also PUBLISH every journaled batch to Redis (settle:events:SHARD, "
               "settle:events:partners)"},
      {.section = "events", .key = "max_subscriptions", .flag = "--events-max-subscriptions",
       .member = &engine_config::events_max_subscriptions, .unit = "subscriptions", .min = 0,
       .max = 10'000'000, .help = "subscriptions in the whole engine (0: subscribing is refused)"},
      {.section = "events", .key = "max_subscriptions_per_connection",
       .flag = "--events-max-subscriptions-per-connection",
       .member = &engine_config::events_max_subscriptions_per_connection,
       .unit = "subscriptions", .min = 1, .max = 1'000'000,
       .help = "subscriptions of one connection"},
      {.section = "events", .key = "flush_interval_us", .flag = "--events-flush-interval-us",
       .member = &engine_config::events_flush_interval_us, .unit = "us", .min = 1,
       .max = 10'000'000, .help = "a subscriber's events are written at most this often"},
      {.section = "events", .key = "partner_interval_ms", .flag = "--events-partner-interval-ms",
       .member = &engine_config::events_partner_interval_ms, .unit = "ms", .min = 1,
       .max = 3'600'000, .help = "partner totals events, at most this often per partner"},
      {.section = "events", .key = "max_queued_events", .flag = "--events-max-queued-events",
       .member = &engine_config::events_max_queued, .unit = "events", .min = 1,
       .max = 1'000'000'000,
       .help = "events on their way to the publisher; beyond it every stream is closed"},
      {.section = "events", .key = "subscriber_buffer_bytes",
       .flag = "--events-subscriber-buffer-bytes",
       .member = &engine_config::subscriber_buffer_bytes,
       .unit = "bytes", .min = 1024, .max = 1 << 30,
       .help = "unread by one subscriber, then its events are conflated per account"},
      {.section = "events", .key = "subscriber_max_conflated",
       .flag = "--events-subscriber-max-conflated",
       .member = &engine_config::subscriber_max_conflated, .unit = "accounts", .min = 1,
       .max = 100'000'000, .help = "accounts conflated for one subscriber, then it is closed"},
      {.section = "events", .key = "subscriber_max_lag_ms",
       .flag = "--events-subscriber-max-lag-ms", .member = &engine_config::subscriber_max_lag_ms,
       .unit = "ms", .min = 1, .max = 3'600'000,
       .help = "a subscriber behind this long is closed"},
  };
}

std::vector<setting> log_rows() {
  return {
      {.section = "log", .key = "level", .flag = "--log-level", .member = &engine_config::log_level,
       .allowed = {"trace", "debug", "info", "warn", "error", "critical", "off"},
       .help = "log level (logs go to stderr)"},
  };
}

std::string quoted(const std::string& v) {
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '"' || ch == '\\')
      out += '\\';
    out += ch;
  }
  return out + "\"";
}

}  // namespace

std::string setting::name() const {
  return std::string{section} + "." + std::string{key};
}

bool setting::is_integer() const {
  return !std::holds_alternative<bool engine_config::*>(member) &&
         !std::holds_alternative<std::string engine_config::*>(member);
}

const std::vector<setting>& settings() {
  static const std::vector<setting> all = [] {
    std::vector<setting> rows;
    for (auto part : {server_rows(), engine_rows(), journal_rows(), redis_rows(), events_rows(),
                      http_rows(), webhook_rows(), log_rows()})
      rows.insert(rows.end(), part.begin(), part.end());
    return rows;
  }();
  return all;
}

std::string flag_text(const setting& s, const engine_config& c) {
  if (s.form == setting_form::host_port)
    return c.listen_host + ":" + std::to_string(c.listen_port);
  return std::visit(
      [&](auto ptr) -> std::string {
        using T = member_type<decltype(ptr)>;
        if constexpr (std::is_same_v<T, bool>)
          return c.*ptr ? "on" : "off";
        else if constexpr (std::is_same_v<T, std::string>)
          return c.*ptr;
        else
          return std::to_string(c.*ptr);
      },
      s.member);
}

std::string toml_text(const setting& s, const engine_config& c) {
  if (s.is_integer())
    return flag_text(s, c);
  if (const auto* b = std::get_if<bool engine_config::*>(&s.member))
    return c.**b ? "true" : "false";
  return quoted(flag_text(s, c));
}

std::string range_text(const setting& s) {
  if (s.is_integer())
    return std::to_string(s.min) + ".." + std::to_string(s.max);
  if (s.form == setting_form::presence)
    return "no value";
  if (std::holds_alternative<bool engine_config::*>(s.member))
    return "on, off";
  std::string out;
  for (auto v : s.allowed)
    out += (out.empty() ? "" : ", ") + std::string{v};
  return out.empty() ? std::string{s.rule.text} : out;
}

std::string help_text(const setting& s) {
  std::string unit{s.unit}, range = range_text(s), out{s.help};
  if (!unit.empty() || !range.empty())
    out += " [" + unit + (unit.empty() || range.empty() ? "" : ", ") + range + "]";
  return out + " ([" + std::string{s.section} + "] " + std::string{s.key} + ")";
}

}  // namespace settle::config
