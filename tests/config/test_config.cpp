// Configuration: defaults, the shipped example file, flag overrides, environment, errors.
#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>

#include "config/engine_config.hpp"

using namespace settle::config;
using settle::protocol::role;

namespace {

std::string write_temp(const std::string& text) {
  static int n = 0;
  std::string path = "/tmp/settle-config-test-" + std::to_string(::getpid()) + "-" +
                     std::to_string(n++) + ".toml";
  std::ofstream(path) << text;
  return path;
}

bool parse(std::vector<std::string> args, engine_config& out) {
  args.insert(args.begin(), "settled");
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  int code = 0;
  return parse_command_line(static_cast<int>(argv.size()), argv.data(), out, code);
}

void expect_error(const std::string& toml, const std::string& mention) {
  try {
    load_file(write_temp(toml));
    BOOST_ERROR("expected an error mentioning " << mention);
  } catch (const std::runtime_error& e) {
    BOOST_CHECK_MESSAGE(std::string{e.what()}.find(mention) != std::string::npos, e.what());
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(defaults_are_valid) {
  engine_config c;
  BOOST_CHECK_NO_THROW(validate(c));
  BOOST_CHECK_EQUAL(c.max_frame_bytes, 1u << 20);
  BOOST_CHECK_EQUAL(c.id_retention_s, 7u * 24 * 3600);
}

BOOST_AUTO_TEST_CASE(example_file_loads) {
  auto c = load_file(SETTLE_EXAMPLE_CONFIG);
  BOOST_CHECK_NO_THROW(validate(c));
  BOOST_CHECK_EQUAL(c.listen_port, 7400);
  BOOST_REQUIRE_EQUAL(c.tokens.size(), 3u);
  BOOST_CHECK(c.tokens[1].granted_role == role::partner);
  BOOST_CHECK_EQUAL(c.tokens[1].partner, "acme");
}

BOOST_AUTO_TEST_CASE(flags_override_the_file_and_env_adds_admin) {
  auto path = write_temp("[server]\nlisten = \"127.0.0.1:9000\"\nmax_frame_bytes = 2048\n"
                         "[engine]\nledger_shards = 3\n");
  ::setenv("SETTLE_ADMIN_TOKEN", "from-env", 1);
  engine_config c;
  BOOST_REQUIRE(parse({"--config", path, "--max-frame-bytes", "4096", "--token", "p:partner:acme",
                       "--listen", "127.0.0.1:0"},
                      c));
  ::unsetenv("SETTLE_ADMIN_TOKEN");
  BOOST_CHECK_EQUAL(c.max_frame_bytes, 4096u);  // flag beats file
  BOOST_CHECK_EQUAL(c.ledger_shards, 3u);       // file beats default
  BOOST_CHECK_EQUAL(c.listen_port, 0);
  BOOST_REQUIRE_EQUAL(c.tokens.size(), 2u);
  BOOST_CHECK_EQUAL(c.tokens[0].partner, "acme");
  BOOST_CHECK(c.tokens[1].granted_role == role::admin);
  BOOST_CHECK_EQUAL(c.tokens[1].token, "from-env");
  BOOST_CHECK_NO_THROW(validate(c));
}

BOOST_AUTO_TEST_CASE(bad_files_name_the_key) {
  expect_error("[server]\nmax_frame_byte = 10\n", "server.max_frame_byte");
  expect_error("[server]\nmax_frame_bytes = \"big\"\n", "server.max_frame_bytes");
  expect_error("[engine]\naccount_shards = -1\n", "engine.account_shards");
  expect_error("[[auth.tokens]]\ntoken = \"x\"\nrole = \"king\"\n", "role");
  expect_error("[server]\nlisten = \"nohost\"\n", "listen");
  expect_error("[bogus]\n", "bogus");
}

BOOST_AUTO_TEST_CASE(validation_limits) {
  engine_config c;
  c.account_shards = 0;
  BOOST_CHECK_THROW(validate(c), std::runtime_error);
  c = engine_config{};
  c.max_frame_bytes = 10;
  BOOST_CHECK_THROW(validate(c), std::runtime_error);
  c = engine_config{};
  c.tokens.push_back({"t", role::partner, ""});
  BOOST_CHECK_THROW(validate(c), std::runtime_error);
  c = engine_config{};
  c.tokens.push_back({"t", role::admin, ""});
  c.tokens.push_back({"t", role::viewer, ""});
  BOOST_CHECK_THROW(validate(c), std::runtime_error);
  engine_config bad_flag;
  BOOST_CHECK(!parse({"--no-such-flag"}, bad_flag));
}
