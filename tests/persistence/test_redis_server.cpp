// The supervised redis-server: starts on a private socket or a free loopback port, keeps data
// in its AOF across restarts and kills, and survives pause/continue.
#define BOOST_TEST_MODULE redis_server
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "persistence/redis_connection.hpp"
#include "persistence/redis_server.hpp"

using namespace settle::persistence;

namespace {

/// A temporary directory, removed at the end of the test.
struct temp_dir {
  temp_dir() {
    char tmpl[] = "/tmp/settle-redis-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  std::string path;
};

/// Runs one command; returns the reply as text (status, string, error or integer).
std::string command(const redis_server& s, std::initializer_list<std::string_view> args) {
  redis_address a;
  if (s.port() != 0)
    a.port = s.port();
  else
    a.unix_socket = s.unix_socket();
  a.timeout_ms = 2000;
  redis_connection c{a};
  c.append(args);  // read_reply: error replies are answers here, not failures
  auto r = c.read_reply();
  if (r == nullptr)
    return "<no reply>";
  if (r->type == REDIS_REPLY_INTEGER)
    return std::to_string(r->integer);
  if (r->type == REDIS_REPLY_NIL)
    return "<nil>";
  return std::string{reply_text(r.get())};
}

}  // namespace

BOOST_AUTO_TEST_CASE(starts_on_a_private_socket_and_keeps_data_across_restarts) {
  temp_dir dir;
  redis_server_options o;
  o.dir = dir.path + "/redis";
  o.appendfsync = "always";
  redis_server s{o};
  BOOST_CHECK(s.running());
  BOOST_CHECK_EQUAL(command(s, {"SET", "k", "v1"}), "OK");
  BOOST_CHECK(std::filesystem::exists(o.dir + "/appendonlydir"));  // AOF is on
  s.stop();
  BOOST_CHECK(!s.running());
  s.restart();
  BOOST_CHECK_EQUAL(command(s, {"GET", "k"}), "v1");
  // Killed without warning: with appendfsync always the acknowledged write survives.
  BOOST_CHECK_EQUAL(command(s, {"SET", "k", "v2"}), "OK");
  s.signal(SIGKILL);
  s.restart();
  BOOST_CHECK_EQUAL(command(s, {"GET", "k"}), "v2");
}

BOOST_AUTO_TEST_CASE(listens_on_a_free_loopback_port) {
  temp_dir dir;
  redis_server_options o;
  o.dir = dir.path;
  o.port = pick_free_loopback_port();
  redis_server s{o};
  BOOST_CHECK_EQUAL(command(s, {"PING"}), "PONG");
}

BOOST_AUTO_TEST_CASE(paused_server_resumes) {
  temp_dir dir;
  redis_server_options o;
  o.dir = dir.path;
  redis_server s{o};
  s.signal(SIGSTOP);
  s.signal(SIGCONT);
  BOOST_CHECK_EQUAL(command(s, {"PING"}), "PONG");
  s.signal(SIGSTOP);
  s.stop();  // stopping a paused server works too
  BOOST_CHECK(!s.running());
}

BOOST_AUTO_TEST_CASE(memory_limit_refuses_writes) {
  temp_dir dir;
  redis_server_options o;
  o.dir = dir.path;
  o.maxmemory_bytes = 2 * 1024 * 1024;
  redis_server s{o};
  std::string big(64 * 1024, 'x');
  std::string last;
  for (int i = 0; i < 200 && last.find("OOM") == std::string::npos; ++i)
    last = command(s, {"SET", "k" + std::to_string(i), big});
  BOOST_CHECK(last.find("OOM") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_options_fail_clearly) {
  temp_dir dir;
  redis_server_options o;
  o.dir = dir.path;
  o.appendfsync = "sometimes";
  BOOST_CHECK_THROW(redis_server{o}, std::runtime_error);
  o.appendfsync = "everysec";
  o.executable = "/nonexistent/redis-server";
  BOOST_CHECK_THROW(redis_server{o}, std::runtime_error);
}
