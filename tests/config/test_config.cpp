// Configuration: defaults, the shipped example file, flag overrides, environment, errors.
#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>

#include "config/engine_config.hpp"
#include "tests/config/test_helpers.hpp"

using namespace settle::config;
using namespace settle::config_test;
using settle::protocol::role;

namespace {

/// The error message load_file throws for `toml`, or "" when it loads.
std::string load_error(const std::string& toml) {
  temp_file f{toml};
  try {
    load_file(f.path());
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

void expect_load_error(const std::string& toml, const std::string& mention) {
  auto msg = load_error(toml);
  BOOST_CHECK_MESSAGE(!msg.empty(), "no error for:\n" << toml);
  BOOST_CHECK_MESSAGE(msg.find(mention) != std::string::npos,
                      "error '" << msg << "' does not mention '" << mention << "'");
}

std::string validate_error(const engine_config& c) {
  try {
    validate(c);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

void expect_invalid(const engine_config& c, const std::string& mention) {
  auto msg = validate_error(c);
  BOOST_CHECK_MESSAGE(!msg.empty(), "validate accepted a config that should mention " << mention);
  BOOST_CHECK_MESSAGE(msg.find(mention) != std::string::npos,
                      "error '" << msg << "' does not mention '" << mention << "'");
}

}  // namespace

BOOST_AUTO_TEST_CASE(defaults) {
  engine_config c;
  BOOST_CHECK_NO_THROW(validate(c));
  BOOST_CHECK_EQUAL(c.listen_host, "127.0.0.1");
  BOOST_CHECK_EQUAL(c.listen_port, 7400);
  BOOST_CHECK_EQUAL(c.data_dir, "./data");
  BOOST_CHECK_EQUAL(c.max_frame_bytes, 1u << 20);
  BOOST_CHECK_EQUAL(c.max_connections, 1024u);
  BOOST_CHECK_EQUAL(c.max_in_flight_per_connection, 4096u);
  BOOST_CHECK_EQUAL(c.shards, 1u);
  BOOST_CHECK_EQUAL(c.worker_threads, 1u);
  BOOST_CHECK_EQUAL(c.max_amount, 1'000'000'000'000);
  BOOST_CHECK_EQUAL(c.id_retention_s, 7u * 24 * 3600);
  BOOST_CHECK_EQUAL(c.partner_flush_interval_us, 1000u);
  BOOST_CHECK_EQUAL(c.max_shard_queue, 100000u);
  BOOST_CHECK_EQUAL(c.log_level, "info");
  BOOST_CHECK(c.tokens.empty());

  // No flags, no file, no environment: the same defaults.
  scoped_env no_admin{"SETTLE_ADMIN_TOKEN", nullptr};
  engine_config parsed;
  int code = -1;
  BOOST_REQUIRE(parse({}, parsed, &code));
  BOOST_CHECK_EQUAL(code, 0);
  BOOST_CHECK_EQUAL(parsed.listen_port, 7400);
  BOOST_CHECK_EQUAL(parsed.max_shard_queue, 100000u);
  BOOST_CHECK(parsed.tokens.empty());
  BOOST_CHECK(load_file("").tokens.empty());
}

BOOST_AUTO_TEST_CASE(shipped_example_file_loads_and_is_valid) {
  auto c = load_file(SETTLE_EXAMPLE_CONFIG);
  BOOST_CHECK_NO_THROW(validate(c));
  // It documents the defaults.
  engine_config d;
  BOOST_CHECK_EQUAL(c.listen_host, d.listen_host);
  BOOST_CHECK_EQUAL(c.listen_port, d.listen_port);
  BOOST_CHECK_EQUAL(c.data_dir, d.data_dir);
  BOOST_CHECK_EQUAL(c.max_frame_bytes, d.max_frame_bytes);
  BOOST_CHECK_EQUAL(c.max_connections, d.max_connections);
  BOOST_CHECK_EQUAL(c.max_in_flight_per_connection, d.max_in_flight_per_connection);
  BOOST_CHECK_EQUAL(c.shards, d.shards);
  BOOST_CHECK_EQUAL(c.worker_threads, d.worker_threads);
  BOOST_CHECK_EQUAL(c.max_amount, d.max_amount);
  BOOST_CHECK_EQUAL(c.id_retention_s, d.id_retention_s);
  BOOST_CHECK_EQUAL(c.partner_flush_interval_us, d.partner_flush_interval_us);
  BOOST_CHECK_EQUAL(c.max_shard_queue, d.max_shard_queue);
  BOOST_CHECK_EQUAL(c.log_level, d.log_level);
  BOOST_CHECK_EQUAL(c.journal_enabled, d.journal_enabled);
  BOOST_CHECK_EQUAL(c.journal_max_batch_records, d.journal_max_batch_records);
  BOOST_CHECK_EQUAL(c.journal_max_batch_delay_us, d.journal_max_batch_delay_us);
  BOOST_CHECK_EQUAL(c.journal_deadline_ms, d.journal_deadline_ms);
  BOOST_CHECK_EQUAL(c.journal_max_queued_records, d.journal_max_queued_records);
  BOOST_CHECK_EQUAL(c.snapshot_interval_s, d.snapshot_interval_s);
  BOOST_CHECK_EQUAL(c.recover_to_last_good_batch, d.recover_to_last_good_batch);
  BOOST_CHECK_EQUAL(c.redis_address, d.redis_address);
  BOOST_CHECK_EQUAL(c.redis_appendfsync, d.redis_appendfsync);
  BOOST_CHECK_EQUAL(c.redis_executable, d.redis_executable);
  BOOST_CHECK_EQUAL(c.redis_maxmemory_bytes, d.redis_maxmemory_bytes);
  BOOST_CHECK_EQUAL(c.journal_stream_prefix, d.journal_stream_prefix);
  // One admin, one partner (acme), one viewer.
  BOOST_REQUIRE_EQUAL(c.tokens.size(), 3u);
  BOOST_CHECK(c.tokens[0].granted_role == role::admin);
  BOOST_CHECK(c.tokens[0].partner.empty());
  BOOST_CHECK(c.tokens[1].granted_role == role::partner);
  BOOST_CHECK_EQUAL(c.tokens[1].partner, "acme");
  BOOST_CHECK(c.tokens[2].granted_role == role::viewer);
  for (const auto& t : c.tokens)
    BOOST_CHECK_MESSAGE(t.token.find("example") != std::string::npos,
                        "example tokens should look like examples: " << t.token);
}

BOOST_AUTO_TEST_CASE(file_sets_every_key) {
  temp_file f{R"(
[server]
listen = "0.0.0.0:9100"
data_dir = "/var/lib/settle"
max_frame_bytes = 4096
max_connections = 10
max_in_flight_per_connection = 7

[engine]
shards = 3
worker_threads = 2
max_amount = 123456
id_retention_s = 60
partner_flush_interval_us = 500
max_shard_queue = 99

[log]
level = "debug"

[[auth.tokens]]
token = "a"
role = "admin"
name = "ops.alice"

[[auth.tokens]]
token = "p"
role = "partner"
partner = "beta"
)"};
  auto c = load_file(f.path());
  BOOST_CHECK_NO_THROW(validate(c));
  BOOST_CHECK_EQUAL(c.listen_host, "0.0.0.0");
  BOOST_CHECK_EQUAL(c.listen_port, 9100);
  BOOST_CHECK_EQUAL(c.data_dir, "/var/lib/settle");
  BOOST_CHECK_EQUAL(c.max_frame_bytes, 4096u);
  BOOST_CHECK_EQUAL(c.max_connections, 10u);
  BOOST_CHECK_EQUAL(c.max_in_flight_per_connection, 7u);
  BOOST_CHECK_EQUAL(c.shards, 3u);
  BOOST_CHECK_EQUAL(c.worker_threads, 2u);
  BOOST_CHECK_EQUAL(c.max_amount, 123456);
  BOOST_CHECK_EQUAL(c.id_retention_s, 60u);
  BOOST_CHECK_EQUAL(c.partner_flush_interval_us, 500u);
  BOOST_CHECK_EQUAL(c.max_shard_queue, 99u);
  BOOST_CHECK_EQUAL(c.log_level, "debug");
  BOOST_REQUIRE_EQUAL(c.tokens.size(), 2u);
  BOOST_CHECK_EQUAL(c.tokens[1].token, "p");
  BOOST_CHECK(c.tokens[1].granted_role == role::partner);
  BOOST_CHECK_EQUAL(c.tokens[1].partner, "beta");
  // Names: the configured one, else the role (and partner) and a tag of the token.
  BOOST_CHECK_EQUAL(token_name(c.tokens[0]), "ops.alice");
  const auto unnamed = token_name(c.tokens[1]);
  BOOST_CHECK_EQUAL(unnamed.substr(0, 13), "partner:beta-");
  BOOST_CHECK_EQUAL(unnamed.size(), 21u);
  BOOST_CHECK_EQUAL(unnamed, token_name(c.tokens[1]));  // stable
  auto other = c.tokens[1];
  other.token = "q";
  BOOST_CHECK_NE(token_name(other), unnamed);
}

BOOST_AUTO_TEST_CASE(flags_override_the_file) {
  scoped_env no_admin{"SETTLE_ADMIN_TOKEN", nullptr};
  temp_file f{"[server]\nlisten = \"127.0.0.1:9000\"\nmax_frame_bytes = 2048\n"
              "data_dir = \"/from/file\"\n"
              "[engine]\nshards = 3\nworker_threads = 4\n"
              "[log]\nlevel = \"error\"\n"
              "[[auth.tokens]]\ntoken = \"file-admin\"\nrole = \"admin\"\n"};
  engine_config c;
  BOOST_REQUIRE(parse({"--config", f.path(), "--max-frame-bytes", "4096", "--listen",
                       "127.0.0.1:0", "--shards", "16", "--token", "p:partner:acme",
                       "--token", "v:viewer", "--log-level", "warn", "--data-dir", "/from/flag",
                       "--max-connections", "5", "--max-in-flight", "6", "--worker-threads", "1",
                       "--max-amount", "1000000", "--id-retention-s", "30",
                       "--partner-flush-interval-us", "50", "--max-shard-queue", "60"},
                      c));
  BOOST_CHECK_EQUAL(c.max_frame_bytes, 4096u);  // flag beats file
  BOOST_CHECK_EQUAL(c.listen_port, 0);
  BOOST_CHECK_EQUAL(c.shards, 16u);
  BOOST_CHECK_EQUAL(c.log_level, "warn");
  BOOST_CHECK_EQUAL(c.data_dir, "/from/flag");
  BOOST_CHECK_EQUAL(c.max_connections, 5u);
  BOOST_CHECK_EQUAL(c.max_in_flight_per_connection, 6u);
  BOOST_CHECK_EQUAL(c.worker_threads, 1u);
  BOOST_CHECK_EQUAL(c.max_amount, 1'000'000);
  BOOST_CHECK_EQUAL(c.id_retention_s, 30u);
  BOOST_CHECK_EQUAL(c.partner_flush_interval_us, 50u);
  BOOST_CHECK_EQUAL(c.max_shard_queue, 60u);
  // --token adds to the file's tokens.
  BOOST_REQUIRE_EQUAL(c.tokens.size(), 3u);
  BOOST_CHECK_EQUAL(c.tokens[0].token, "file-admin");
  BOOST_CHECK_EQUAL(c.tokens[1].token, "p");
  BOOST_CHECK(c.tokens[1].granted_role == role::partner);
  BOOST_CHECK_EQUAL(c.tokens[1].partner, "acme");
  BOOST_CHECK(c.tokens[2].granted_role == role::viewer);
  BOOST_CHECK_NO_THROW(validate(c));

  // Without the flags, the file's values stand.
  engine_config file_only;
  BOOST_REQUIRE(parse({"--config", f.path()}, file_only));
  BOOST_CHECK_EQUAL(file_only.max_frame_bytes, 2048u);
  BOOST_CHECK_EQUAL(file_only.listen_port, 9000);
  BOOST_CHECK_EQUAL(file_only.data_dir, "/from/file");
  BOOST_CHECK_EQUAL(file_only.shards, 3u);
  BOOST_CHECK_EQUAL(file_only.worker_threads, 4u);
  BOOST_CHECK_EQUAL(file_only.log_level, "error");
}

BOOST_AUTO_TEST_CASE(environment_adds_an_admin_token) {
  {
    scoped_env admin{"SETTLE_ADMIN_TOKEN", "from-env"};
    engine_config c;
    BOOST_REQUIRE(parse({"--token", "v:viewer"}, c));
    BOOST_REQUIRE_EQUAL(c.tokens.size(), 2u);
    BOOST_CHECK_EQUAL(c.tokens[1].token, "from-env");
    BOOST_CHECK(c.tokens[1].granted_role == role::admin);
    BOOST_CHECK(c.tokens[1].partner.empty());
    BOOST_CHECK_NO_THROW(validate(c));
  }
  {
    scoped_env empty{"SETTLE_ADMIN_TOKEN", ""};  // set but empty: ignored
    engine_config c;
    BOOST_REQUIRE(parse({}, c));
    BOOST_CHECK(c.tokens.empty());
  }
  {
    scoped_env twice{"SETTLE_ADMIN_TOKEN", "same"};  // also given as a flag: a duplicate
    engine_config c;
    BOOST_REQUIRE(parse({"--token", "same:viewer"}, c));
    BOOST_CHECK_THROW(validate(c), std::runtime_error);
  }
}

BOOST_AUTO_TEST_CASE(help_lists_every_flag_with_its_default) {
  capture_stdout out;
  engine_config c;
  int code = -1;
  BOOST_CHECK(!parse({"--help"}, c, &code));
  BOOST_CHECK_EQUAL(code, 0);
  auto text = out.text();
  for (const char* flag :
       {"--config", "--listen", "--data-dir", "--max-frame-bytes", "--max-connections",
        "--max-in-flight", "--shards", "--worker-threads",
        "--max-amount", "--id-retention-s", "--partner-flush-interval-us",
        "--max-shard-queue", "--log-level", "--token", "SETTLE_ADMIN_TOKEN"})
    BOOST_CHECK_MESSAGE(text.find(flag) != std::string::npos, "--help does not mention " << flag);
  for (const char* dflt : {"127.0.0.1:7400", "./data", "1048576", "1024", "4096", "1000000000000",
                           "604800", "1000", "100000", "info"})
    BOOST_CHECK_MESSAGE(text.find(dflt) != std::string::npos, "--help does not show " << dflt);
}

BOOST_AUTO_TEST_CASE(bad_flags) {
  auto refused = [](std::vector<std::string> args) {
    engine_config c;
    int code = 0;
    bool ok = parse(std::move(args), c, &code);
    return !ok && code != 0;
  };
  BOOST_CHECK(refused({"--no-such-flag"}));
  BOOST_CHECK(refused({"--max-frame-bytes", "big"}));
  BOOST_CHECK(refused({"--max-frame-bytes", "-1"}));
  BOOST_CHECK(refused({"--shards", "5000000000"}));
  BOOST_CHECK(refused({"--max-amount"}));

  auto throws = [](std::vector<std::string> args, const std::string& mention) {
    engine_config c;
    try {
      parse(std::move(args), c);
      validate(c);
    } catch (const std::runtime_error& e) {
      BOOST_CHECK_MESSAGE(std::string{e.what()}.find(mention) != std::string::npos, e.what());
      return;
    }
    BOOST_ERROR("no error; expected one mentioning " << mention);
  };
  throws({"--token", "t:king"}, "role");
  throws({"--token", "t:partner"}, "partner");
  throws({"--token", "t:partner:bad:id"}, "partner");
  throws({"--token", "t:admin:acme"}, "partner");
  throws({"--token", "nocolon"}, "token");
  throws({"--listen", "127.0.0.1"}, "listen");
  throws({"--listen", "127.0.0.1:70000"}, "listen");
  throws({"--listen", "127.0.0.1:x"}, "listen");
  throws({"--listen", ":7400"}, "listen");
  throws({"--config", "/nonexistent/settled.toml"}, "/nonexistent/settled.toml");
  throws({"--shards", "0"}, "shards");
  throws({"--max-in-flight", "0"}, "max_in_flight");
  throws({"--log-level", "loud"}, "level");
}

BOOST_AUTO_TEST_CASE(bad_files_name_the_key) {
  // Unknown keys (typos) anywhere.
  expect_load_error("[server]\nmax_frame_byte = 10\n", "server.max_frame_byte");
  expect_load_error("[engine]\nledger_shard = 10\n", "engine.ledger_shard");
  expect_load_error("[log]\nlevl = \"info\"\n", "log.levl");
  expect_load_error("[bogus]\n", "bogus");
  expect_load_error("listen = \"127.0.0.1:1\"\n", "listen");
  expect_load_error("[[auth.tokens]]\ntoken = \"x\"\nrole = \"admin\"\nparnter = \"acme\"\n",
                    "parnter");
  // Wrong types.
  expect_load_error("[server]\nmax_frame_bytes = \"big\"\n", "server.max_frame_bytes");
  expect_load_error("[server]\nlisten = 7400\n", "server.listen");
  expect_load_error("[server]\ndata_dir = true\n", "server.data_dir");
  expect_load_error("[engine]\nmax_amount = 1.5\n", "engine.max_amount");
  expect_load_error("[log]\nlevel = 3\n", "log.level");
  expect_load_error("server = 1\n", "server");
  expect_load_error("[auth]\ntokens = \"x\"\n", "auth.tokens");
  expect_load_error("[[auth.tokens]]\ntoken = 5\nrole = \"admin\"\n", "token");
  // Out of the type's range.
  expect_load_error("[engine]\nshards = -1\n", "engine.shards");
  expect_load_error("[server]\nmax_frame_bytes = 5000000000\n", "server.max_frame_bytes");
  // Bad values.
  expect_load_error("[server]\nlisten = \"nohost\"\n", "listen");
  expect_load_error("[[auth.tokens]]\ntoken = \"x\"\nrole = \"king\"\n", "role");
  expect_load_error("[[auth.tokens]]\ntoken = \"x\"\n", "role");
  expect_load_error("[[auth.tokens]]\nrole = \"admin\"\n", "token");
  expect_load_error("[[auth.tokens]]\ntoken = \"x\"\nrole = \"partner\"\n", "partner");
  expect_load_error("[[auth.tokens]]\ntoken = \"x\"\nrole = \"partner\"\npartner = \"a:b\"\n",
                    "partner");
  expect_load_error("[[auth.tokens]]\ntoken = \"x\"\nrole = \"viewer\"\npartner = \"acme\"\n",
                    "partner");
  // Not TOML at all, and a missing file.
  BOOST_CHECK(!load_error("[server\n").empty());
  BOOST_CHECK_THROW(load_file("/nonexistent/settled.toml"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(validation_limits) {
  auto with = [](auto change) {
    engine_config c;
    change(c);
    return c;
  };
  expect_invalid(with([](auto& c) { c.shards = 0; }), "shards");
  expect_invalid(with([](auto& c) { c.shards = 1025; }), "shards");
  expect_invalid(with([](auto& c) { c.max_frame_bytes = 63; }), "max_frame_bytes");
  expect_invalid(with([](auto& c) { c.max_frame_bytes = (64u << 20) + 1; }), "max_frame_bytes");
  expect_invalid(with([](auto& c) { c.max_in_flight_per_connection = 0; }), "max_in_flight");
  expect_invalid(with([](auto& c) { c.max_connections = 0; }), "max_connections");
  expect_invalid(with([](auto& c) { c.max_amount = 0; }), "max_amount");
  expect_invalid(with([](auto& c) { c.max_amount = -5; }), "max_amount");
  expect_invalid(with([](auto& c) { c.log_level = "loud"; }), "level");
  // Partner tokens name a valid partner id; tokens are unique.
  expect_invalid(with([](auto& c) { c.tokens.push_back({"t", role::partner, "", ""}); }), "partner");
  expect_invalid(with([](auto& c) { c.tokens.push_back({"t", role::partner, "a:b", ""}); }),
                 "partner");
  expect_invalid(with([](auto& c) {
                   c.tokens.push_back({"t", role::admin, "", ""});
                   c.tokens.push_back({"t", role::viewer, "", ""});
                 }),
                 "twice");
  expect_invalid(with([](auto& c) { c.tokens.push_back({"", role::admin, "", ""}); }), "token");
  expect_invalid(with([](auto& c) { c.tokens.push_back({"t", role::admin, "", "ops team"}); }),
                 "name");

  // The edges themselves are fine.
  auto edges = with([](auto& c) {
    c.shards = 1;
    c.max_frame_bytes = 64;
    c.max_in_flight_per_connection = 1;
    c.max_connections = 1;
    c.max_amount = 1;
    c.tokens.push_back({"p", role::partner, "acme", ""});
    c.tokens.push_back({"q", role::partner, "acme", ""});  // two tokens for one partner is fine
    c.tokens.push_back({"r", role::admin, "", "ops.alice"});
  });
  BOOST_CHECK_NO_THROW(validate(edges));
  edges.shards = 1024;
  edges.max_frame_bytes = 64u << 20;
  BOOST_CHECK_NO_THROW(validate(edges));
}

BOOST_AUTO_TEST_CASE(journal_and_redis_keys_from_file_and_flags) {
  scoped_env no_admin{"SETTLE_ADMIN_TOKEN", nullptr};
  temp_file f{"[journal]\nenabled = false\nmax_batch_records = 64\nmax_batch_delay_us = 50\n"
              "deadline_ms = 250\nmax_queued_records = 1000\nsnapshot_interval_s = 0\n"
              "recover_to_last_good_batch = true\n"
              "[redis]\naddress = \"unix:/run/redis.sock\"\nappendfsync = \"always\"\n"
              "executable = \"/usr/bin/redis-server\"\nmaxmemory_bytes = 1048576\n"};
  auto c = load_file(f.path());
  BOOST_CHECK_NO_THROW(validate(c));
  BOOST_CHECK(!c.journal_enabled);
  BOOST_CHECK_EQUAL(c.journal_max_batch_records, 64u);
  BOOST_CHECK_EQUAL(c.journal_max_batch_delay_us, 50u);
  BOOST_CHECK_EQUAL(c.journal_deadline_ms, 250u);
  BOOST_CHECK_EQUAL(c.journal_max_queued_records, 1000u);
  BOOST_CHECK_EQUAL(c.snapshot_interval_s, 0u);
  BOOST_CHECK(c.recover_to_last_good_batch);
  BOOST_CHECK_EQUAL(c.redis_address, "unix:/run/redis.sock");
  BOOST_CHECK_EQUAL(c.redis_appendfsync, "always");
  BOOST_CHECK_EQUAL(c.redis_executable, "/usr/bin/redis-server");
  BOOST_CHECK_EQUAL(c.redis_maxmemory_bytes, 1048576u);

  engine_config g;
  BOOST_REQUIRE(parse({"--config", f.path(), "--journal", "on", "--redis", "127.0.0.1:6380",
                       "--redis-appendfsync", "no", "--journal-deadline-ms", "900",
                       "--journal-max-batch-records", "10", "--snapshot-interval-s", "60"},
                      g));
  BOOST_CHECK(g.journal_enabled);
  BOOST_CHECK_EQUAL(g.redis_address, "127.0.0.1:6380");
  BOOST_CHECK_EQUAL(g.redis_appendfsync, "no");
  BOOST_CHECK_EQUAL(g.journal_deadline_ms, 900u);
  BOOST_CHECK_EQUAL(g.journal_max_batch_records, 10u);
  BOOST_CHECK_EQUAL(g.snapshot_interval_s, 60u);
  redis_endpoint ep;
  std::string why;
  BOOST_REQUIRE(parse_redis_address(g.redis_address, ep, why));
  BOOST_CHECK_EQUAL(ep.host, "127.0.0.1");
  BOOST_CHECK_EQUAL(ep.port, 6380);
  BOOST_REQUIRE(parse_redis_address("unix:/tmp/r.sock", ep, why));
  BOOST_CHECK_EQUAL(ep.unix_socket, "/tmp/r.sock");
}

BOOST_AUTO_TEST_CASE(bad_journal_and_redis_values_name_the_key) {
  auto rejects = [](const std::string& toml, const std::string& key) {
    temp_file f{toml};
    try {
      validate(load_file(f.path()));
      BOOST_ERROR("accepted: " << toml);
    } catch (const std::runtime_error& e) {
      BOOST_CHECK_MESSAGE(std::string{e.what()}.find(key) != std::string::npos, e.what());
    }
  };
  rejects("[redis]\nappendfsync = \"sometimes\"\n", "redis.appendfsync");
  rejects("[redis]\naddress = \"nowhere\"\n", "redis.address");
  rejects("[redis]\naddress = \"unix:\"\n", "redis.address");
  rejects("[redis]\naddress = \"localhost:99999\"\n", "redis.address");
  rejects("[journal]\nenabled = \"yes\"\n", "journal.enabled");
  rejects("[journal]\nmax_batch_records = 0\n", "journal.max_batch_records");
  rejects("[journal]\ndeadline_ms = 0\n", "journal.deadline_ms");
  rejects("[journal]\nfsync = 1\n", "journal.fsync");
  engine_config c;
  int code = 0;
  BOOST_CHECK(!parse({"--journal", "maybe"}, c, &code));
  BOOST_CHECK_EQUAL(code, 2);
}

BOOST_AUTO_TEST_CASE(partners_from_the_file) {
  temp_file f{R"([[partners]]
partner = "acme"
kind = "provider"
currency = "EUR"
cycle = "monthly"
day = "last"
tz = "Europe/Malta"
share_bps = 2500
max_tps = 100

[[partners]]
partner = "sup"
kind = "supplier"
currency = "KRW"
cycle = "monthly"
day = 15
share_bps = 1000
credit_alert = 5000
)"};
  auto cfg = load_file(f.path());
  BOOST_REQUIRE_EQUAL(cfg.partners.size(), 2u);
  const auto& a = cfg.partners[0];
  BOOST_CHECK_EQUAL(a.partner, "acme");
  BOOST_CHECK_EQUAL(a.terms.day, "last");
  BOOST_CHECK_EQUAL(a.terms.tz, "Europe/Malta");
  BOOST_CHECK_EQUAL(a.terms.share_bps, 2500);
  BOOST_CHECK(a.terms.max_tps == std::optional<int64_t>{100});
  BOOST_CHECK(!a.terms.credit_alert);
  BOOST_CHECK_EQUAL(cfg.partners[1].terms.day, "15");
  BOOST_CHECK(cfg.partners[1].terms.credit_alert == std::optional<int64_t>{5000});
  // The values are the engine's to check (contract_set's rules); the file's shape is here.
  expect_load_error("[[partners]]\nkind = \"provider\"\ncurrency = \"EUR\"\ncycle = \"daily\"\n"
                    "share_bps = 1\n", "partners[0].partner");
  expect_load_error("[[partners]]\npartner = \"a\"\nkind = \"provider\"\ncurrency = \"EUR\"\n"
                    "cycle = \"daily\"\n", "partners[0].share_bps");
  expect_load_error("[[partners]]\npartner = \"a\"\nkind = \"provider\"\ncurrency = \"EUR\"\n"
                    "cycle = \"daily\"\nshare_bps = \"x\"\n", "partners[0].share_bps");
  expect_load_error("[[partners]]\npartner = \"a\"\nkind = \"provider\"\ncurrency = \"EUR\"\n"
                    "cycle = \"daily\"\nshare_bps = 1\nshare = 2\n", "partners[0].share");
  expect_load_error("partners = 5\n", "partners");
}

BOOST_AUTO_TEST_CASE(http_settings_from_file_and_flags_with_their_limits) {
  engine_config defaults;
  BOOST_CHECK_EQUAL(defaults.http_listen, "");  // off unless asked for
  BOOST_CHECK_EQUAL(defaults.http_max_connections, 64u);
  BOOST_CHECK_EQUAL(defaults.http_idle_timeout_ms, 10'000u);
  BOOST_CHECK_EQUAL(defaults.http_max_request_bytes, 16'384u);
  temp_file f{R"(
[http]
listen = "127.0.0.1:9180"
max_connections = 5
idle_timeout_ms = 250
max_request_bytes = 4096
)"};
  auto c = load_file(f.path());
  BOOST_CHECK_NO_THROW(validate(c));
  BOOST_CHECK_EQUAL(c.http_listen, "127.0.0.1:9180");
  BOOST_CHECK_EQUAL(c.http_max_connections, 5u);
  BOOST_CHECK_EQUAL(c.http_idle_timeout_ms, 250u);
  BOOST_CHECK_EQUAL(c.http_max_request_bytes, 4096u);
  engine_config flags;
  BOOST_REQUIRE(parse({"--http", "127.0.0.1:0", "--http-max-connections", "1",
                       "--http-idle-timeout-ms", "100", "--http-max-request-bytes", "1048576"},
                      flags));
  BOOST_CHECK_NO_THROW(validate(flags));  // each at the edge of its range
  BOOST_CHECK_EQUAL(flags.http_listen, "127.0.0.1:0");
  auto with = [](auto change) {
    engine_config x;
    change(x);
    return x;
  };
  expect_invalid(with([](auto& x) { x.http_listen = "nowhere"; }), "http.listen");
  expect_invalid(with([](auto& x) { x.http_listen = "127.0.0.1:99999"; }), "http.listen");
  expect_invalid(with([](auto& x) { x.http_listen = ":80"; }), "http.listen");
  expect_invalid(with([](auto& x) { x.http_max_connections = 0; }), "http.max_connections");
  expect_invalid(with([](auto& x) { x.http_max_connections = 100'001; }), "http.max_connections");
  expect_invalid(with([](auto& x) { x.http_idle_timeout_ms = 99; }), "http.idle_timeout_ms");
  expect_invalid(with([](auto& x) { x.http_max_request_bytes = 1023; }),
                 "http.max_request_bytes");
  expect_invalid(with([](auto& x) { x.http_max_request_bytes = (1u << 20) + 1; }),
                 "http.max_request_bytes");
}

BOOST_AUTO_TEST_CASE(alert_rules_from_the_file) {
  temp_file f{R"(
[[alerts]]
name = "errors"
rule = "error_rate"
threshold = 2.5
window_s = 30

[[alerts]]
name = "journal-down"
rule = "journal_unavailable"
)"};
  auto c = load_file(f.path());
  BOOST_CHECK_NO_THROW(validate(c));
  BOOST_REQUIRE_EQUAL(c.alerts.size(), 2u);
  BOOST_CHECK_EQUAL(c.alerts[0].name, "errors");
  BOOST_CHECK(c.alerts[0].kind == settle::metrics::alert_rule_kind::error_rate);
  BOOST_CHECK_EQUAL(c.alerts[0].threshold, 2.5);
  BOOST_CHECK_EQUAL(c.alerts[0].window_s, 30u);
  BOOST_CHECK_EQUAL(c.alerts[1].window_s, 60u);  // the default
  BOOST_CHECK_EQUAL(c.alerts[1].threshold, 0);
  auto refused = [](const std::string& text, const std::string& mention) {
    temp_file bad{text};
    try {
      validate(load_file(bad.path()));
    } catch (const std::runtime_error& e) {
      BOOST_CHECK_MESSAGE(std::string{e.what()}.find(mention) != std::string::npos, e.what());
      return;
    }
    BOOST_ERROR("accepted; expected an error mentioning " << mention);
  };
  refused("[[alerts]]\nname = \"x\"\nrule = \"cpu\"\nthreshold = 1\n", "rule");
  refused("[[alerts]]\nname = \"x\"\nrule = \"p99_ms\"\n", "threshold");
  refused("[[alerts]]\nrule = \"p99_ms\"\nthreshold = 1\n", "name");
  refused("[[alerts]]\nname = \"x\"\nrule = \"p99_ms\"\nthreshold = 1\nwindow_s = 0\n",
          "window_s");
  refused("[[alerts]]\nname = \"x\"\nrule = \"p99_ms\"\nthreshold = 1\nwindow_s = 3601\n",
          "window_s");
  refused("[[alerts]]\nname = \"x\"\nrule = \"p99_ms\"\nthreshold = -1\n", "threshold");
  refused("[[alerts]]\nname = \"a b\"\nrule = \"p99_ms\"\nthreshold = 1\n", "name");
  refused("[[alerts]]\nname = \"x\"\nrule = \"p99_ms\"\nthreshold = 1\ncolour = 1\n", "colour");
  refused("[[alerts]]\nname = \"x\"\nrule = \"p99_ms\"\nthreshold = 1\n"
          "[[alerts]]\nname = \"x\"\nrule = \"error_rate\"\nthreshold = 1\n",
          "twice");
  // At most max_alert_rules: at the limit fine, past it refused.
  std::string many;
  for (size_t i = 0; i <= settle::config::max_alert_rules; ++i)
    many += "[[alerts]]\nname = \"r" + std::to_string(i) + "\"\nrule = \"error_rate\"\nthreshold = 1\n";
  refused(many, "at most");
  temp_file at_limit{many.substr(0, many.rfind("[[alerts]]"))};
  BOOST_CHECK_NO_THROW(validate(load_file(at_limit.path())));
}
