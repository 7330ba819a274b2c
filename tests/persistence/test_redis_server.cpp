// The supervised redis-server: starts on a private socket or a free loopback port, keeps data
// in its AOF across restarts and kills, and survives pause/continue.
#define BOOST_TEST_MODULE redis_server
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <hiredis/hiredis.h>

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

/// Runs one command; returns the reply as text (status, string or integer).
std::string command(const redis_server& s, const char* fmt, const char* arg = nullptr) {
  timeval tv{2, 0};
  redisContext* c = s.port() != 0 ? redisConnectWithTimeout("127.0.0.1", s.port(), tv)
                                  : redisConnectUnixWithTimeout(s.unix_socket().c_str(), tv);
  BOOST_REQUIRE(c != nullptr && c->err == 0);
  auto* r = static_cast<redisReply*>(arg ? redisCommand(c, fmt, arg) : redisCommand(c, fmt));
  std::string out;
  if (r == nullptr)
    out = "<no reply>";
  else if (r->type == REDIS_REPLY_INTEGER)
    out = std::to_string(r->integer);
  else if (r->type == REDIS_REPLY_NIL)
    out = "<nil>";
  else if (r->str != nullptr)
    out = std::string{r->str, r->len};
  if (r != nullptr)
    freeReplyObject(r);
  redisFree(c);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(starts_on_a_private_socket_and_keeps_data_across_restarts) {
  temp_dir dir;
  redis_server_options o;
  o.dir = dir.path + "/redis";
  o.appendfsync = "always";
  redis_server s{o};
  BOOST_CHECK(s.running());
  BOOST_CHECK_EQUAL(command(s, "SET k %s", "v1"), "OK");
  BOOST_CHECK(std::filesystem::exists(o.dir + "/appendonlydir"));  // AOF is on
  s.stop();
  BOOST_CHECK(!s.running());
  s.restart();
  BOOST_CHECK_EQUAL(command(s, "GET k"), "v1");
  // Killed without warning: with appendfsync always the acknowledged write survives.
  BOOST_CHECK_EQUAL(command(s, "SET k %s", "v2"), "OK");
  s.signal(SIGKILL);
  s.restart();
  BOOST_CHECK_EQUAL(command(s, "GET k"), "v2");
}

BOOST_AUTO_TEST_CASE(listens_on_a_free_loopback_port) {
  temp_dir dir;
  redis_server_options o;
  o.dir = dir.path;
  o.port = pick_free_loopback_port();
  redis_server s{o};
  BOOST_CHECK_EQUAL(command(s, "PING"), "PONG");
}

BOOST_AUTO_TEST_CASE(paused_server_resumes) {
  temp_dir dir;
  redis_server_options o;
  o.dir = dir.path;
  redis_server s{o};
  s.signal(SIGSTOP);
  s.signal(SIGCONT);
  BOOST_CHECK_EQUAL(command(s, "PING"), "PONG");
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
    last = command(s, ("SET k" + std::to_string(i) + " %s").c_str(), big.c_str());
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
