#include "config/engine_config.hpp"

#include <cstdlib>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>

#include <CLI/CLI.hpp>
#include <toml.hpp>

#include "protocol/codec.hpp"

namespace settle::config {

namespace {

[[noreturn]] void bad(const std::string& key, const std::string& why) {
  throw std::runtime_error("config: " + key + ": " + why);
}

/// "HOST:PORT" (the last ':' separates the port, so the host may not be empty).
void parse_listen(const std::string& key, const std::string& text, engine_config& out) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    bad(key, "expected HOST:PORT, got '" + text + "'");
  auto port_text = text.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos)
    bad(key, "bad port in '" + text + "'");
  auto port = std::stoul(port_text);
  if (port > 65535)
    bad(key, "port out of range in '" + text + "'");
  out.listen_host = text.substr(0, colon);
  out.listen_port = static_cast<uint16_t>(port);
}

/// "TOKEN:ROLE[:PARTNER]" of --token.
token_entry parse_token_spec(const std::string& spec) {
  auto first = spec.find(':');
  if (first == std::string::npos || first == 0)
    bad("--token", "expected TOKEN:ROLE[:PARTNER], got '" + spec + "'");
  token_entry t;
  t.token = spec.substr(0, first);
  auto rest = spec.substr(first + 1);
  auto second = rest.find(':');
  auto role_text = rest.substr(0, second);
  if (!protocol::parse(role_text, t.granted_role))
    bad("--token", "unknown role '" + role_text + "' (admin, partner, viewer)");
  if (second != std::string::npos)
    t.partner = rest.substr(second + 1);
  if (t.granted_role == protocol::role::partner && t.partner.empty())
    bad("--token", "a partner token needs a partner: TOKEN:partner:PARTNER");
  if (t.granted_role != protocol::role::partner && second != std::string::npos)
    bad("--token", "only partner tokens name a partner, got '" + spec + "'");
  return t;
}

/// Reads an integer key of a table into `out`, type- and range-checked.
template <class Int>
void read_int(const toml::table& tab, const std::string& section, const std::string& key,
              Int& out) {
  auto it = tab.find(key);
  if (it == tab.end())
    return;
  if (!it->second.is_integer())
    bad(section + "." + key, std::string{"expected an integer, got "} +
                                 toml::stringize(it->second.type()));
  auto v = it->second.as_integer();
  if (v < static_cast<int64_t>(std::numeric_limits<Int>::min()) ||
      (v > 0 && static_cast<uint64_t>(v) > static_cast<uint64_t>(std::numeric_limits<Int>::max())))
    bad(section + "." + key, std::to_string(v) + " is out of range");
  out = static_cast<Int>(v);
}

/// Reads a boolean key into `out`, type-checked.
void read_bool(const toml::table& tab, const std::string& section, const std::string& key,
               bool& out) {
  auto it = tab.find(key);
  if (it == tab.end())
    return;
  if (!it->second.is_boolean())
    bad(section + "." + key, std::string{"expected true or false, got "} +
                                 toml::stringize(it->second.type()));
  out = it->second.as_boolean();
}

/// Reads a string key; returns false when absent.
bool read_string(const toml::table& tab, const std::string& section, const std::string& key,
                 std::string& out) {
  auto it = tab.find(key);
  if (it == tab.end())
    return false;
  if (!it->second.is_string())
    bad(section + "." + key, std::string{"expected a string, got "} +
                                 toml::stringize(it->second.type()));
  out = it->second.as_string().str;
  return true;
}

void check_keys(const toml::table& tab, const std::string& section,
                const std::set<std::string>& known) {
  for (const auto& [k, v] : tab)
    if (!known.contains(k)) {
      std::string names;
      for (const auto& n : known)
        names += (names.empty() ? "" : ", ") + n;
      bad(section.empty() ? k : section + "." + k, "unknown key (known here: " + names + ")");
    }
}

const toml::table& section(const toml::table& root, const std::string& name) {
  static const toml::table empty;
  auto it = root.find(name);
  if (it == root.end())
    return empty;
  if (!it->second.is_table())
    bad(name, "expected a table ([" + name + "])");
  return it->second.as_table();
}

void read_tokens(const toml::table& auth, engine_config& cfg) {
  auto it = auth.find("tokens");
  if (it == auth.end())
    return;
  if (!it->second.is_array())
    bad("auth.tokens", "expected an array of tables ([[auth.tokens]])");
  size_t index = 0;
  for (const auto& entry : it->second.as_array()) {
    const auto name = "auth.tokens[" + std::to_string(index++) + "]";
    if (!entry.is_table())
      bad(name, "expected a table with token, role and (for partners) partner");
    const auto& t = entry.as_table();
    check_keys(t, name, {"token", "role", "partner"});
    token_entry tok;
    std::string role_text;
    if (!read_string(t, name, "token", tok.token))
      bad(name + ".token", "missing");
    if (!read_string(t, name, "role", role_text))
      bad(name + ".role", "missing");
    if (!protocol::parse(role_text, tok.granted_role))
      bad(name + ".role", "unknown role '" + role_text + "' (admin, partner, viewer)");
    bool has_partner = read_string(t, name, "partner", tok.partner);
    if (tok.granted_role == protocol::role::partner && !has_partner)
      bad(name + ".partner", "missing (required for role \"partner\")");
    if (tok.granted_role != protocol::role::partner && has_partner)
      bad(name + ".partner", "only partner tokens name a partner");
    if (has_partner && !protocol::valid_partner_id(tok.partner))
      bad(name + ".partner", "invalid partner id '" + tok.partner +
                                 "': expected 1..64 bytes of [A-Za-z0-9._-]");
    cfg.tokens.push_back(std::move(tok));
  }
}

}  // namespace

engine_config load_file(const std::string& path) {
  engine_config cfg;
  if (path.empty())
    return cfg;
  toml::value root_value;
  try {
    root_value = toml::parse(path);
  } catch (const std::exception& e) {
    throw std::runtime_error("config: cannot read " + path + ": " + e.what());
  }
  try {
    const auto& root = root_value.as_table();
    check_keys(root, "", {"server", "engine", "journal", "redis", "events", "auth", "log"});

    const auto& server = section(root, "server");
    check_keys(server, "server",
               {"listen", "data_dir", "max_frame_bytes", "max_connections",
                "max_in_flight_per_connection"});
    std::string listen;
    if (read_string(server, "server", "listen", listen))
      parse_listen("server.listen", listen, cfg);
    read_string(server, "server", "data_dir", cfg.data_dir);
    read_int(server, "server", "max_frame_bytes", cfg.max_frame_bytes);
    read_int(server, "server", "max_connections", cfg.max_connections);
    read_int(server, "server", "max_in_flight_per_connection", cfg.max_in_flight_per_connection);

    const auto& eng = section(root, "engine");
    check_keys(eng, "engine",
               {"shards", "worker_threads", "max_amount", "id_retention_s",
                "partner_flush_interval_us", "max_shard_queue"});
    read_int(eng, "engine", "shards", cfg.shards);
    read_int(eng, "engine", "worker_threads", cfg.worker_threads);
    read_int(eng, "engine", "max_amount", cfg.max_amount);
    read_int(eng, "engine", "id_retention_s", cfg.id_retention_s);
    read_int(eng, "engine", "partner_flush_interval_us", cfg.partner_flush_interval_us);
    read_int(eng, "engine", "max_shard_queue", cfg.max_shard_queue);

    const auto& journal = section(root, "journal");
    check_keys(journal, "journal",
               {"enabled", "max_batch_records", "max_batch_delay_us", "deadline_ms",
                "max_queued_records", "snapshot_interval_s", "recover_to_last_good_batch"});
    read_bool(journal, "journal", "enabled", cfg.journal_enabled);
    read_int(journal, "journal", "max_batch_records", cfg.journal_max_batch_records);
    read_int(journal, "journal", "max_batch_delay_us", cfg.journal_max_batch_delay_us);
    read_int(journal, "journal", "deadline_ms", cfg.journal_deadline_ms);
    read_int(journal, "journal", "max_queued_records", cfg.journal_max_queued_records);
    read_int(journal, "journal", "snapshot_interval_s", cfg.snapshot_interval_s);
    read_bool(journal, "journal", "recover_to_last_good_batch", cfg.recover_to_last_good_batch);

    const auto& redis = section(root, "redis");
    check_keys(redis, "redis", {"address", "appendfsync", "executable", "maxmemory_bytes"});
    read_string(redis, "redis", "address", cfg.redis_address);
    read_string(redis, "redis", "appendfsync", cfg.redis_appendfsync);
    read_string(redis, "redis", "executable", cfg.redis_executable);
    read_int(redis, "redis", "maxmemory_bytes", cfg.redis_maxmemory_bytes);

    const auto& events = section(root, "events");
    check_keys(events, "events",
               {"redis_publish", "max_subscriptions", "max_subscriptions_per_connection",
                "flush_interval_us", "partner_interval_ms", "max_queued_events",
                "subscriber_buffer_bytes", "subscriber_max_conflated",
                "subscriber_max_lag_ms"});
    read_bool(events, "events", "redis_publish", cfg.events_redis_publish);
    read_int(events, "events", "max_subscriptions", cfg.events_max_subscriptions);
    read_int(events, "events", "max_subscriptions_per_connection",
             cfg.events_max_subscriptions_per_connection);
    read_int(events, "events", "flush_interval_us", cfg.events_flush_interval_us);
    read_int(events, "events", "partner_interval_ms", cfg.events_partner_interval_ms);
    read_int(events, "events", "max_queued_events", cfg.events_max_queued);
    read_int(events, "events", "subscriber_buffer_bytes", cfg.subscriber_buffer_bytes);
    read_int(events, "events", "subscriber_max_conflated", cfg.subscriber_max_conflated);
    read_int(events, "events", "subscriber_max_lag_ms", cfg.subscriber_max_lag_ms);

    const auto& log = section(root, "log");
    check_keys(log, "log", {"level"});
    read_string(log, "log", "level", cfg.log_level);

    const auto& auth = section(root, "auth");
    check_keys(auth, "auth", {"tokens"});
    read_tokens(auth, cfg);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string{e.what()} + " (in " + path + ")");
  }
  return cfg;
}

bool parse_redis_address(const std::string& text, redis_endpoint& out, std::string& why) {
  out = redis_endpoint{};
  if (text.rfind("unix:", 0) == 0) {
    out.unix_socket = text.substr(5);
    if (out.unix_socket.empty()) {
      why = "expected unix:/path/to/socket, got '" + text + "'";
      return false;
    }
    return true;
  }
  auto colon = text.rfind(':');
  auto port_text = colon == std::string::npos ? std::string{} : text.substr(colon + 1);
  if (colon == std::string::npos || colon == 0 || port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port_text) == 0 || std::stoul(port_text) > 65535) {
    why = "expected unix:/path or HOST:PORT, got '" + text + "'";
    return false;
  }
  out.host = text.substr(0, colon);
  out.port = static_cast<uint16_t>(std::stoul(port_text));
  return true;
}

bool parse_command_line(int argc, char** argv, engine_config& out, int& exit_code) {
  CLI::App app{"settled: real-time settlement engine (protocol v1 over TCP)", "settled"};
  const engine_config d;  // the defaults, shown in --help
  auto num = [](auto v) { return std::to_string(v); };
  std::string config_path;
  // Flags are parsed into optionals so that only the ones given override the file.
  std::optional<std::string> listen, data_dir, log_level;
  std::optional<uint32_t> max_frame_bytes, max_connections, max_in_flight, shards,
      worker_threads, flush_us, max_shard_queue;
  std::optional<int64_t> max_amount;
  std::optional<uint64_t> retention_s, redis_maxmemory;
  std::optional<std::string> journal_mode, redis_address, appendfsync, redis_executable;
  std::optional<uint32_t> batch_records, batch_delay_us, deadline_ms, max_queued, snapshot_s;
  bool recover_to_last_good = false;
  std::vector<std::string> token_specs;
  app.add_option("--config", config_path,
                 "TOML file loaded first; the other flags override it "
                 "(see config/settled.example.toml; default: none, built-in defaults)");
  app.add_option("--listen", listen, "HOST:PORT to listen on; port 0 picks a free one "
                                     "([server] listen)")
      ->default_str(d.listen_host + ":" + num(d.listen_port));
  app.add_option("--data-dir", data_dir, "data directory ([server] data_dir)")
      ->default_str(d.data_dir);
  app.add_option("--max-frame-bytes", max_frame_bytes,
                 "largest accepted frame body, bytes, 64..67108864 ([server] max_frame_bytes)")
      ->default_str(num(d.max_frame_bytes));
  app.add_option("--max-connections", max_connections,
                 "concurrent client connections ([server] max_connections)")
      ->default_str(num(d.max_connections));
  app.add_option("--max-in-flight", max_in_flight,
                 "unanswered requests per connection ([server] max_in_flight_per_connection)")
      ->default_str(num(d.max_in_flight_per_connection));
  app.add_option("--shards", shards,
                 "ledger shards (accounts hashed by id; each its own journal stream), "
                 "1..1024 "
                 "([engine] shards)")
      ->default_str(num(d.shards));
  app.add_option("--worker-threads", worker_threads,
                 "CAF worker threads for the clearing, registry and snapshot actors, 1..1024 "
                 "([engine] worker_threads)")
      ->default_str(num(d.worker_threads));
  app.add_option("--max-amount", max_amount,
                 "largest amount of one transaction, minor units ([engine] max_amount)")
      ->default_str(num(d.max_amount));
  app.add_option("--id-retention-s", retention_s,
                 "how long transaction ids are remembered, seconds ([engine] id_retention_s)")
      ->default_str(num(d.id_retention_s));
  app.add_option("--partner-flush-interval-us", flush_us,
                 "how often ledger shards push partner totals, microseconds "
                 "([engine] partner_flush_interval_us)")
      ->default_str(num(d.partner_flush_interval_us));
  app.add_option("--max-shard-queue", max_shard_queue,
                 "answers waiting for the journal in one ledger shard before `overloaded` "
                 "([engine] max_shard_queue)")
      ->default_str(num(d.max_shard_queue));
  app.add_option("--journal", journal_mode,
                 "on: every change is journaled in Redis before it is acknowledged; off: "
                 "in memory only, nothing survives a restart ([journal] enabled)")
      ->check(CLI::IsMember({"on", "off"}))
      ->default_str(d.journal_enabled ? "on" : "off");
  app.add_option("--journal-max-batch-records", batch_records,
                 "records written in one Redis round trip, at most "
                 "([journal] max_batch_records)")
      ->default_str(num(d.journal_max_batch_records));
  app.add_option("--journal-max-batch-delay-us", batch_delay_us,
                 "a round trip leaves once its first record waited this long, microseconds "
                 "([journal] max_batch_delay_us)")
      ->default_str(num(d.journal_max_batch_delay_us));
  app.add_option("--journal-deadline-ms", deadline_ms,
                 "Redis slower than this counts as failed: answer `unavailable`, "
                 "milliseconds ([journal] deadline_ms)")
      ->default_str(num(d.journal_deadline_ms));
  app.add_option("--journal-max-queued-records", max_queued,
                 "records waiting for Redis before new changes are refused "
                 "([journal] max_queued_records)")
      ->default_str(num(d.journal_max_queued_records));
  app.add_option("--snapshot-interval-s", snapshot_s,
                 "seconds between snapshots (0: only on demand) ([journal] snapshot_interval_s)")
      ->default_str(num(d.snapshot_interval_s));
  app.add_flag("--recover-to-last-good-batch", recover_to_last_good,
               "start on a damaged journal by cutting it at the last good batch (what is cut "
               "is logged) instead of refusing to start ([journal] recover_to_last_good_batch)");
  app.add_option("--redis", redis_address,
                 "Redis to use, unix:/path/to/socket or HOST:PORT; empty: start an embedded "
                 "redis-server under the data directory ([redis] address)")
      ->default_str("embedded");
  app.add_option("--redis-appendfsync", appendfsync,
                 "embedded Redis: always, everysec or no ([redis] appendfsync)")
      ->default_str(d.redis_appendfsync);
  app.add_option("--redis-executable", redis_executable,
                 "embedded Redis: the redis-server program ([redis] executable)")
      ->default_str(d.redis_executable);
  app.add_option("--redis-maxmemory-bytes", redis_maxmemory,
                 "embedded Redis: memory limit, 0 = none ([redis] maxmemory_bytes)")
      ->default_str(num(d.redis_maxmemory_bytes));
  app.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error, critical, off ([log] level)")
      ->default_str(d.log_level);
  app.add_option("--token", token_specs,
                 "adds a token, TOKEN:ROLE[:PARTNER] with ROLE admin, partner (PARTNER "
                 "required) or viewer; repeatable, added to [[auth.tokens]] (default: none)");
  app.footer("Environment: SETTLE_ADMIN_TOKEN, when set and not empty, adds one admin token.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    exit_code = app.exit(e) == 0 ? 0 : 2;
    return false;
  }
  out = load_file(config_path);
  if (listen) parse_listen("--listen", *listen, out);
  if (data_dir) out.data_dir = *data_dir;
  if (max_frame_bytes) out.max_frame_bytes = *max_frame_bytes;
  if (max_connections) out.max_connections = *max_connections;
  if (max_in_flight) out.max_in_flight_per_connection = *max_in_flight;
  if (shards) out.shards = *shards;
  if (worker_threads) out.worker_threads = *worker_threads;
  if (max_amount) out.max_amount = *max_amount;
  if (retention_s) out.id_retention_s = *retention_s;
  if (flush_us) out.partner_flush_interval_us = *flush_us;
  if (max_shard_queue) out.max_shard_queue = *max_shard_queue;
  if (journal_mode) out.journal_enabled = *journal_mode == "on";
  if (batch_records) out.journal_max_batch_records = *batch_records;
  if (batch_delay_us) out.journal_max_batch_delay_us = *batch_delay_us;
  if (deadline_ms) out.journal_deadline_ms = *deadline_ms;
  if (max_queued) out.journal_max_queued_records = *max_queued;
  if (snapshot_s) out.snapshot_interval_s = *snapshot_s;
  if (recover_to_last_good) out.recover_to_last_good_batch = true;
  if (redis_address) out.redis_address = *redis_address;
  if (appendfsync) out.redis_appendfsync = *appendfsync;
  if (redis_executable) out.redis_executable = *redis_executable;
  if (redis_maxmemory) out.redis_maxmemory_bytes = *redis_maxmemory;
  if (log_level) out.log_level = *log_level;
  for (const auto& spec : token_specs)
    out.tokens.push_back(parse_token_spec(spec));
  if (const char* admin = std::getenv("SETTLE_ADMIN_TOKEN"); admin != nullptr && *admin != '\0') {
    token_entry t;
    t.token = admin;
    t.granted_role = protocol::role::admin;
    out.tokens.push_back(std::move(t));
  }
  exit_code = 0;
  return true;
}

void validate(const engine_config& c) {
  auto range = [](const char* key, uint64_t v, uint64_t lo, uint64_t hi) {
    if (v < lo || v > hi)
      bad(key, std::to_string(v) + " is outside [" + std::to_string(lo) + ", " +
                   std::to_string(hi) + "]");
  };
  if (c.listen_host.empty())
    bad("listen", "empty host");
  range("max_frame_bytes", c.max_frame_bytes, 64, 64u << 20);
  range("max_connections", c.max_connections, 1, 1'000'000);
  range("max_in_flight_per_connection", c.max_in_flight_per_connection, 1, 1'000'000);
  range("shards", c.shards, 1, 1024);
  range("worker_threads", c.worker_threads, 1, 1024);
  range("partner_flush_interval_us", c.partner_flush_interval_us, 1, 10'000'000);
  range("max_shard_queue", c.max_shard_queue, 1, 100'000'000);
  range("journal.max_batch_records", c.journal_max_batch_records, 1, 1'000'000);
  range("journal.max_batch_delay_us", c.journal_max_batch_delay_us, 0, 1'000'000);
  range("journal.deadline_ms", c.journal_deadline_ms, 1, 600'000);
  range("journal.max_queued_records", c.journal_max_queued_records, 1, 100'000'000);
  range("journal.snapshot_interval_s", c.snapshot_interval_s, 0, 30 * 86'400);
  range("events.max_subscriptions", c.events_max_subscriptions, 0, 10'000'000);
  range("events.max_subscriptions_per_connection", c.events_max_subscriptions_per_connection, 1,
        1'000'000);
  range("events.flush_interval_us", c.events_flush_interval_us, 1, 10'000'000);
  range("events.partner_interval_ms", c.events_partner_interval_ms, 1, 3'600'000);
  range("events.max_queued_events", c.events_max_queued, 1, 1'000'000'000);
  range("events.subscriber_buffer_bytes", c.subscriber_buffer_bytes, 1024, 1u << 30);
  range("events.subscriber_max_conflated", c.subscriber_max_conflated, 1, 100'000'000);
  range("events.subscriber_max_lag_ms", c.subscriber_max_lag_ms, 1, 3'600'000);
  static const std::set<std::string> fsync_modes{"always", "everysec", "no"};
  if (!fsync_modes.contains(c.redis_appendfsync))
    bad("redis.appendfsync", "unknown mode '" + c.redis_appendfsync +
                                 "' (always, everysec, no)");
  if (!c.redis_address.empty()) {
    redis_endpoint ep;
    std::string why;
    if (!parse_redis_address(c.redis_address, ep, why))
      bad("redis.address", why);
  }
  if (c.max_amount <= 0)
    bad("max_amount", std::to_string(c.max_amount) + " is not positive");
  if (c.id_retention_s == 0)
    bad("id_retention_s", "must be positive");
  if (c.data_dir.empty())
    bad("data_dir", "empty");
  static const std::set<std::string> levels{"trace", "debug", "info", "warn",
                                            "error", "critical", "off"};
  if (!levels.contains(c.log_level))
    bad("log.level", "unknown level '" + c.log_level +
                         "' (trace, debug, info, warn, error, critical, off)");
  std::set<std::string> seen;
  for (const auto& t : c.tokens) {
    if (t.token.empty() || t.token.size() > 256)
      bad("token", "tokens are 1..256 bytes");
    if (!seen.insert(t.token).second)
      bad("token", "a token is configured twice");
    if (t.granted_role == protocol::role::partner && !protocol::valid_partner_id(t.partner))
      bad("token", "a partner token needs a valid partner id, got '" + t.partner + "'");
    if (t.granted_role != protocol::role::partner && !t.partner.empty())
      bad("token", "only partner tokens name a partner");
  }
}

}  // namespace settle::config
