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

void parse_listen(const std::string& text, engine_config& out) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    bad("listen", "expected HOST:PORT, got '" + text + "'");
  unsigned long port = 0;
  try {
    size_t used = 0;
    port = std::stoul(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1)
      throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    bad("listen", "bad port in '" + text + "'");
  }
  if (port > 65535)
    bad("listen", "port out of range in '" + text + "'");
  out.listen_host = text.substr(0, colon);
  out.listen_port = static_cast<uint16_t>(port);
}

token_entry parse_token_spec(const std::string& spec) {
  // TOKEN:ROLE[:PARTNER]
  auto first = spec.find(':');
  if (first == std::string::npos || first == 0)
    bad("token", "expected TOKEN:ROLE[:PARTNER], got '" + spec + "'");
  token_entry t;
  t.token = spec.substr(0, first);
  auto rest = spec.substr(first + 1);
  auto second = rest.find(':');
  auto role_text = rest.substr(0, second);
  if (!protocol::parse(role_text, t.granted_role))
    bad("token", "unknown role '" + role_text + "' (admin, partner, viewer)");
  if (second != std::string::npos)
    t.partner = rest.substr(second + 1);
  return t;
}

/// Reads an integer key of a table into `out`, range-checked.
template <class Int>
void read_int(const toml::table& tab, const std::string& section, const std::string& key,
              Int& out) {
  auto it = tab.find(key);
  if (it == tab.end())
    return;
  if (!it->second.is_integer())
    bad(section + "." + key, "expected an integer");
  auto v = it->second.as_integer();
  if (v < static_cast<int64_t>(std::numeric_limits<Int>::min()) ||
      (v > 0 && static_cast<uint64_t>(v) > static_cast<uint64_t>(std::numeric_limits<Int>::max())))
    bad(section + "." + key, "out of range");
  out = static_cast<Int>(v);
}

void read_string(const toml::table& tab, const std::string& section, const std::string& key,
                 std::string& out) {
  auto it = tab.find(key);
  if (it == tab.end())
    return;
  if (!it->second.is_string())
    bad(section + "." + key, "expected a string");
  out = it->second.as_string().str;
}

void check_keys(const toml::table& tab, const std::string& section,
                const std::set<std::string>& known) {
  for (const auto& [k, v] : tab)
    if (!known.contains(k))
      bad(section.empty() ? k : section + "." + k, "unknown key");
}

const toml::table& section(const toml::table& root, const std::string& name) {
  static const toml::table empty;
  auto it = root.find(name);
  if (it == root.end())
    return empty;
  if (!it->second.is_table())
    bad(name, "expected a table");
  return it->second.as_table();
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
  const auto& root = root_value.as_table();
  check_keys(root, "", {"server", "engine", "auth", "log"});

  const auto& server = section(root, "server");
  check_keys(server, "server",
             {"listen", "data_dir", "max_frame_bytes", "max_connections",
              "max_in_flight_per_connection"});
  std::string listen;
  read_string(server, "server", "listen", listen);
  if (!listen.empty())
    parse_listen(listen, cfg);
  read_string(server, "server", "data_dir", cfg.data_dir);
  read_int(server, "server", "max_frame_bytes", cfg.max_frame_bytes);
  read_int(server, "server", "max_connections", cfg.max_connections);
  read_int(server, "server", "max_in_flight_per_connection", cfg.max_in_flight_per_connection);

  const auto& eng = section(root, "engine");
  check_keys(eng, "engine",
             {"account_shards", "ledger_shards", "worker_threads", "max_amount", "id_retention_s",
              "account_idle_ms", "partner_flush_interval_us", "max_shard_queue"});
  read_int(eng, "engine", "account_shards", cfg.account_shards);
  read_int(eng, "engine", "ledger_shards", cfg.ledger_shards);
  read_int(eng, "engine", "worker_threads", cfg.worker_threads);
  read_int(eng, "engine", "max_amount", cfg.max_amount);
  read_int(eng, "engine", "id_retention_s", cfg.id_retention_s);
  read_int(eng, "engine", "account_idle_ms", cfg.account_idle_ms);
  read_int(eng, "engine", "partner_flush_interval_us", cfg.partner_flush_interval_us);
  read_int(eng, "engine", "max_shard_queue", cfg.max_shard_queue);

  const auto& log = section(root, "log");
  check_keys(log, "log", {"level"});
  read_string(log, "log", "level", cfg.log_level);

  const auto& auth = section(root, "auth");
  check_keys(auth, "auth", {"tokens"});
  if (auto it = auth.find("tokens"); it != auth.end()) {
    if (!it->second.is_array())
      bad("auth.tokens", "expected an array of tables ([[auth.tokens]])");
    for (const auto& entry : it->second.as_array()) {
      if (!entry.is_table())
        bad("auth.tokens", "expected tables");
      const auto& t = entry.as_table();
      check_keys(t, "auth.tokens", {"token", "role", "partner"});
      token_entry tok;
      std::string role_text;
      read_string(t, "auth.tokens", "token", tok.token);
      read_string(t, "auth.tokens", "role", role_text);
      read_string(t, "auth.tokens", "partner", tok.partner);
      if (!protocol::parse(role_text, tok.granted_role))
        bad("auth.tokens.role", "unknown role '" + role_text + "' (admin, partner, viewer)");
      cfg.tokens.push_back(std::move(tok));
    }
  }
  return cfg;
}

bool parse_command_line(int argc, char** argv, engine_config& out, int& exit_code) {
  CLI::App app{"settled: real-time settlement engine (protocol v1 over TCP)", "settled"};
  engine_config defaults;
  std::string config_path, listen, log_level;
  std::vector<std::string> token_specs;
  app.add_option("--config", config_path, "TOML configuration file (see config/settled.example.toml)");
  // Flags are parsed into optionals so that only the ones given override the file.
  std::optional<std::string> data_dir;
  std::optional<uint32_t> max_frame_bytes, max_connections, max_in_flight, account_shards,
      ledger_shards, worker_threads, account_idle_ms, flush_us, max_shard_queue;
  std::optional<int64_t> max_amount;
  std::optional<uint64_t> retention_s;
  auto dflt = [](auto v) { return " (default " + std::to_string(v) + ")"; };
  app.add_option("--listen", listen, "HOST:PORT to listen on (default 127.0.0.1:7400; port 0 picks one)");
  app.add_option("--data-dir", data_dir, "data directory (default ./data)");
  app.add_option("--max-frame-bytes", max_frame_bytes, "largest accepted frame" + dflt(defaults.max_frame_bytes));
  app.add_option("--max-connections", max_connections, "concurrent connections" + dflt(defaults.max_connections));
  app.add_option("--max-in-flight", max_in_flight, "requests in flight per connection" + dflt(defaults.max_in_flight_per_connection));
  app.add_option("--account-shards", account_shards, "account directories" + dflt(defaults.account_shards));
  app.add_option("--ledger-shards", ledger_shards, "idempotency shards" + dflt(defaults.ledger_shards));
  app.add_option("--worker-threads", worker_threads, "CAF worker threads, 0 = cores" + dflt(defaults.worker_threads));
  app.add_option("--max-amount", max_amount, "largest amount of one transaction, minor units" + dflt(defaults.max_amount));
  app.add_option("--id-retention-s", retention_s, "how long transaction ids are remembered" + dflt(defaults.id_retention_s));
  app.add_option("--account-idle-ms", account_idle_ms, "idle time before an account actor is passivated" + dflt(defaults.account_idle_ms));
  app.add_option("--partner-flush-interval-us", flush_us, "how often partner totals are pushed" + dflt(defaults.partner_flush_interval_us));
  app.add_option("--max-shard-queue", max_shard_queue, "transactions in flight per ledger shard" + dflt(defaults.max_shard_queue));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error (default info)");
  app.add_option("--token", token_specs, "add a token: TOKEN:ROLE[:PARTNER] (repeatable)");
  app.footer("Environment: SETTLE_ADMIN_TOKEN, when set, adds one admin token.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    exit_code = app.exit(e);
    return false;
  }
  out = load_file(config_path);
  if (!listen.empty())
    parse_listen(listen, out);
  if (data_dir) out.data_dir = *data_dir;
  if (max_frame_bytes) out.max_frame_bytes = *max_frame_bytes;
  if (max_connections) out.max_connections = *max_connections;
  if (max_in_flight) out.max_in_flight_per_connection = *max_in_flight;
  if (account_shards) out.account_shards = *account_shards;
  if (ledger_shards) out.ledger_shards = *ledger_shards;
  if (worker_threads) out.worker_threads = *worker_threads;
  if (max_amount) out.max_amount = *max_amount;
  if (retention_s) out.id_retention_s = *retention_s;
  if (account_idle_ms) out.account_idle_ms = *account_idle_ms;
  if (flush_us) out.partner_flush_interval_us = *flush_us;
  if (max_shard_queue) out.max_shard_queue = *max_shard_queue;
  if (!log_level.empty()) out.log_level = log_level;
  for (const auto& spec : token_specs)
    out.tokens.push_back(parse_token_spec(spec));
  if (const char* admin = std::getenv("SETTLE_ADMIN_TOKEN"); admin != nullptr && *admin != '\0') {
    token_entry t;
    t.token = admin;
    t.granted_role = protocol::role::admin;
    out.tokens.push_back(std::move(t));
  }
  return true;
}

void validate(const engine_config& c) {
  auto range = [](const char* key, uint64_t v, uint64_t lo, uint64_t hi) {
    if (v < lo || v > hi)
      bad(key, std::to_string(v) + " is outside [" + std::to_string(lo) + ", " +
                   std::to_string(hi) + "]");
  };
  range("max_frame_bytes", c.max_frame_bytes, 64, 64u << 20);
  range("max_connections", c.max_connections, 1, 1'000'000);
  range("max_in_flight_per_connection", c.max_in_flight_per_connection, 1, 1'000'000);
  range("account_shards", c.account_shards, 1, 1024);
  range("ledger_shards", c.ledger_shards, 1, 1024);
  range("worker_threads", c.worker_threads, 0, 256);
  range("account_idle_ms", c.account_idle_ms, 1, 86'400'000);
  range("partner_flush_interval_us", c.partner_flush_interval_us, 1, 10'000'000);
  range("max_shard_queue", c.max_shard_queue, 1, 100'000'000);
  if (c.max_amount <= 0)
    bad("max_amount", "must be positive");
  if (c.id_retention_s == 0)
    bad("id_retention_s", "must be positive");
  static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (!levels.contains(c.log_level))
    bad("log.level", "unknown level '" + c.log_level + "'");
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
