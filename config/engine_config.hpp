// Engine configuration: defaults, TOML file, command-line overrides (in that order). The
// settings themselves (keys, flags, units, ranges, help) are one table: config/settings.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "persistence/journal_stream.hpp"  // only its constexpr default prefix: no linking
#include "metrics/alert_rules.hpp"
#include "protocol/messages.hpp"
#include "protocol/settlement.hpp"

namespace settle::config {

/// One access token and what it may do.
struct token_entry {
  std::string token;
  protocol::role granted_role = protocol::role::viewer;
  std::string partner;  // only for role::partner
  std::string name;     // who, in the audit stream ("" = token_name's default)
};

/// The name the audit stream records for `t`: its configured name, else its role (and
/// partner) and 8 hex digits of a hash of the token, so two tokens of one role differ and
/// the token itself is never written down.
std::string token_name(const token_entry& t);

/// One [[partners]] entry: a contract as contract_set takes it. At start the engine sets it
/// (a new revision) unless the partner's newest contract already has these terms.
struct partner_contract {
  std::string partner;
  protocol::contract_terms terms;
};

/// At most this many [[alerts]] rules.
inline constexpr size_t max_alert_rules = 100;

/// Everything `settled` can be told. Units are in the names.
struct engine_config {
  // [server]
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 7400;
  std::string data_dir = "./data";
  uint32_t max_frame_bytes = 1u << 20;
  uint32_t max_connections = 1024;
  uint32_t max_in_flight_per_connection = 4096;
  // [http]
  std::string http_listen;  // "" = no HTTP listener
  uint32_t http_max_connections = 64;
  uint32_t http_idle_timeout_ms = 10'000;
  uint32_t http_max_request_bytes = 16 * 1024;
  std::string http_web_dir;  // "" = the source tree's web/
  // [alert_webhook]
  std::string alert_webhook_url;  // "" = none
  uint32_t alert_webhook_max_queue = 1000;
  uint32_t alert_webhook_timeout_ms = 2000;
  uint32_t alert_webhook_max_attempts = 5;
  uint32_t alert_webhook_retry_ms = 500;
  // [engine]
  uint32_t shards = 1;               // ledger shards (accounts hashed by id), also the
                                     // number of journal streams: fixed once data exists
  uint32_t worker_threads = 1;       // CAF worker threads (clearing, registry, snapshots)
  int64_t max_amount = 1'000'000'000'000;  // largest amount of one transaction, minor units
  uint64_t id_retention_s = 7 * 24 * 3600; // how long transaction ids are remembered
  uint64_t history_retention_s = 30 * 24 * 3600;  // how long account history is kept (the
                                                  // journal is kept as long for it)
  uint64_t history_max_bytes = uint64_t{1} << 30;  // history log per ledger shard
  uint32_t partner_flush_interval_us = 1000;  // ledger shards push partner deltas this often
  uint32_t max_shard_queue = 100000;  // answers waiting for the journal in one shard before
                                      // `overloaded`
  int64_t clock_offset_ms = 0;  // shifts the engine's wall clock (tests of settlement
                                // boundaries; 0 in production)
  // [settlement] (docs/settlement.md)
  uint32_t settlement_tick_ms = 1000;  // due closes and supplier credit looked at this often
  uint32_t settlement_max_reconciles = 16;  // chunked reconciles open at once
  uint32_t settlement_reconcile_idle_s = 600;  // an unfinished chunked reconcile is dropped
  // [journal]
  bool journal_enabled = true;             // false: in-memory only, nothing survives a restart
  uint32_t journal_max_batch_records = 4096;  // records per Redis round trip, at most
  uint32_t journal_max_batch_delay_us = 0;    // a round trip waits this long for more; 0:
                                              // at once (what queues meanwhile goes next)
  uint32_t journal_deadline_ms = 1000;     // Redis slower than this: answer `unavailable`
  uint32_t journal_max_queued_records = 100'000;  // records waiting for Redis, at most
  uint32_t snapshot_interval_s = 300;      // 0: only on demand (admin op `snapshot`)
  bool recover_to_last_good_batch = false; // a damaged journal is cut instead of refused
  std::string journal_stream_prefix{persistence::default_journal_stream_prefix};  // stream
                                           // keys <prefix><shard>; recovery and snapshots too
  // [redis]
  std::string redis_address;               // "" embedded; "unix:/path" or "HOST:PORT"
  std::string redis_appendfsync = "everysec";  // embedded Redis: always | everysec | no
  std::string redis_executable = "redis-server";  // embedded Redis
  uint64_t redis_maxmemory_bytes = 0;      // embedded Redis; 0: no limit
  // [events] (subscriptions; docs/protocol.md)
  bool events_redis_publish = true;         // also PUBLISH every journaled batch to Redis
  uint32_t events_max_subscriptions = 10'000;             // in the whole engine
  uint32_t events_max_subscriptions_per_connection = 64;
  uint32_t events_flush_interval_us = 1000;  // a subscriber gets its events this often
  uint32_t events_partner_interval_ms = 100; // partner totals events at most this often
  uint32_t events_max_queued = 1'000'000;    // events on their way to the publisher; beyond
                                             // it every stream is closed (never the engine)
  uint32_t subscriber_buffer_bytes = 1u << 20;  // unread by one subscriber, then conflated
  uint32_t subscriber_max_conflated = 10'000;   // accounts conflated, then disconnected
  uint32_t subscriber_max_lag_ms = 5'000;       // behind this long, then disconnected
  // [auth]
  std::vector<token_entry> tokens;
  // [[partners]]
  std::vector<partner_contract> partners;
  // [[alerts]] (docs/operations.md)
  std::vector<metrics::alert_rule> alerts;
  // [log]
  std::string log_level = "info";
};

/// Loads `path` (TOML) over the defaults. Throws std::runtime_error naming the key on a bad
/// value. An empty path loads nothing.
engine_config load_file(const std::string& path);

/// Parses command-line flags of `settled` (including --config FILE, which is loaded first,
/// then every other flag overrides it) and SETTLE_ADMIN_TOKEN from the environment.
/// Returns false if the program should exit (--help or --print-settings-markdown printed, or a
/// malformed flag); `exit_code` says how.
bool parse_command_line(int argc, char** argv, engine_config& out, int& exit_code);

/// Where an external Redis is.
struct redis_endpoint {
  std::string unix_socket;  // set for "unix:/path"
  std::string host;
  uint16_t port = 0;
};

/// Parses "HOST:PORT" (the last ':' separates the port; the host may not be empty) into
/// listen_host and listen_port. Throws std::runtime_error("config: `where`: why").
void parse_listen(const std::string& where, const std::string& text, engine_config& out);

/// Parses [redis] address: "unix:/path" or "HOST:PORT". False with `why` when malformed.
bool parse_redis_address(const std::string& text, redis_endpoint& out, std::string& why);

/// Throws std::runtime_error when a value is out of range (e.g. zero shards): the ranges and
/// allowed values of the settings table, then the tokens.
void validate(const engine_config&);

}  // namespace settle::config
