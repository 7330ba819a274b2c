// settled's HTTP listener as a scraper and a browser see it (docs/operations.md): /metrics
// counts exactly what the engine answered, /healthz and /readyz, the listener's limits
// (max_request_bytes, max_connections, idle_timeout_ms) at and past their values, and the
// WebSocket bridge at /ws (the protocol as JSON, the same roles); an [[alerts]] rule fires and
// resolves on /metrics, on an `alerts: true` subscription and through the webhook (retried).
#define BOOST_TEST_MODULE http
#include <boost/test/unit_test.hpp>

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine_process.hpp"
#include "http_get.hpp"
#include "requests.hpp"

using namespace settle;
using settle::testing::engine_process;
using settle::testing::http_get;
using settle::testing::prometheus_samples;
using settle::testing::ws_client;
using json = nlohmann::json;
using protocol::error_code;
using protocol::txn_kind;

namespace {

protocol::request txn(txn_kind kind, std::string id, std::string account, int64_t amount,
                      std::string partner = "") {
  return testing::req::txn(kind, std::move(id), std::move(account), amount, "EUR",
                           std::move(partner));
}

double sample(const std::map<std::string, double>& s, const std::string& key) {
  auto it = s.find(key);
  BOOST_TEST_INFO("sample " << key);
  BOOST_REQUIRE(it != s.end());
  return it->second;
}

std::string txns(const std::string& kind, const std::string& result) {
  return "settle_transactions_total{kind=\"" + kind + "\",result=\"" + result + "\"}";
}

/// A raw TCP connection to the HTTP port (for the limits).
int raw_connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE_EQUAL(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  return fd;
}

/// Milliseconds until the server closes `fd` (reads return 0), at most `limit_ms`.
int64_t ms_until_closed(int fd, int limit_ms) {
  const auto start = std::chrono::steady_clock::now();
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count();
    if (spent >= limit_ms || ::poll(&p, 1, static_cast<int>(limit_ms - spent)) <= 0)
      return -1;
    if (::read(fd, buf, sizeof(buf)) <= 0)
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - start)
          .count();
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(metrics_count_exactly_what_was_answered) {
  engine_process eng{{"--http", "127.0.0.1:0"}};
  BOOST_REQUIRE_NE(eng.http_port(), 0);
  const auto before = prometheus_samples(http_get(eng.http_port(), "/metrics").body);
  BOOST_CHECK_EQUAL(sample(before, txns("bet", "applied")), 0);
  auto c = eng.connect();
  for (int a = 0; a < 5; ++a) {
    BOOST_REQUIRE(c->open("m" + std::to_string(a), "EUR").ok());
    BOOST_REQUIRE(c->txn(txn(txn_kind::deposit, "md" + std::to_string(a), "m" + std::to_string(a),
                             1000)).ok());
  }
  // 40 bets applied (pipelined), 7 of them again (duplicates), 3 refused for funds, one
  // rollback of nothing (noop), one win.
  for (int i = 0; i < 40; ++i)
    c->send(txn(txn_kind::bet, "mb" + std::to_string(i), "m" + std::to_string(i % 5), 10, "acme"));
  c->flush();
  for (int i = 0; i < 40; ++i)
    BOOST_REQUIRE(c->receive(10'000)->ok());
  for (int i = 0; i < 7; ++i)
    BOOST_REQUIRE(c->txn(txn(txn_kind::bet, "mb" + std::to_string(i), "m" + std::to_string(i % 5),
                             10, "acme")).outcome == protocol::txn_status::duplicate);
  for (int i = 0; i < 3; ++i)
    BOOST_REQUIRE(c->txn(txn(txn_kind::bet, "mx" + std::to_string(i), "m0", 1'000'000, "acme"))
                      .error == error_code::insufficient_funds);
  BOOST_REQUIRE(c->txn(testing::req::rollback("mr", "never", "m1", "EUR", "acme")).ok());
  BOOST_REQUIRE(c->txn(txn(txn_kind::win, "mw", "m2", 25, "acme")).ok());
  const auto page = http_get(eng.http_port(), "/metrics");
  BOOST_CHECK_EQUAL(page.status, 200u);
  BOOST_CHECK(page.content_type.find("text/plain; version=0.0.4") == 0);
  const auto s = prometheus_samples(page.body);
  BOOST_CHECK_EQUAL(sample(s, txns("deposit", "applied")), 5);
  BOOST_CHECK_EQUAL(sample(s, txns("bet", "applied")), 40);
  BOOST_CHECK_EQUAL(sample(s, txns("bet", "duplicate")), 7);
  BOOST_CHECK_EQUAL(sample(s, txns("bet", "insufficient_funds")), 3);
  BOOST_CHECK_EQUAL(sample(s, txns("rollback", "noop")), 1);
  BOOST_CHECK_EQUAL(sample(s, txns("win", "applied")), 1);
  BOOST_CHECK_EQUAL(sample(s, "settle_request_duration_seconds_count{op=\"txn\"}"), 57);
  BOOST_CHECK_EQUAL(sample(s, "settle_request_duration_seconds_bucket{op=\"txn\",le=\"+Inf\"}"),
                    57);
  BOOST_CHECK_EQUAL(sample(s, "settle_request_duration_seconds_count{op=\"open\"}"), 5);
  BOOST_CHECK_EQUAL(sample(s, "settle_accounts"), 5);
  BOOST_CHECK_GT(sample(s, "settle_journal_batch_records_count"), 0);
  // At least the opens, deposits, bets applied and the win (refusals journal nothing).
  BOOST_CHECK_GE(sample(s, "settle_journal_batch_records_sum"), 51);
  BOOST_CHECK_GT(sample(s, "settle_journal_write_seconds_count"), 0);
  BOOST_CHECK_EQUAL(sample(s, "settle_redis_errors_total"), 0);
  BOOST_CHECK_EQUAL(sample(s, "settle_journal_healthy"), 1);
  BOOST_CHECK_EQUAL(sample(s, "settle_subscribers"), 0);
  BOOST_CHECK_EQUAL(sample(s, "settle_alerts_firing"), 0);
  BOOST_CHECK_EQUAL(sample(s, "settle_queue_depth{queue=\"events\"}"), 0);
  BOOST_CHECK_GT(sample(s, "process_resident_memory_bytes"), 1e6);
  // A subscription shows; the health pages answer.
  auto watcher = eng.connect();
  BOOST_REQUIRE(watcher->subscribe({"m0"}, {}).ok());
  BOOST_CHECK_EQUAL(sample(prometheus_samples(http_get(eng.http_port(), "/metrics").body),
                           "settle_subscribers"),
                    1);
  BOOST_CHECK_EQUAL(http_get(eng.http_port(), "/healthz").status, 200u);
  const auto ready = http_get(eng.http_port(), "/readyz");
  BOOST_CHECK_EQUAL(ready.status, 200u);
  BOOST_CHECK_EQUAL(ready.body, "ready\n");
  BOOST_CHECK_EQUAL(http_get(eng.http_port(), "/nothing").status, 404u);
  BOOST_CHECK_EQUAL(
      http_get(eng.http_port(), "/metrics", {}, {}, boost::beast::http::verb::post).status, 405u);
}

BOOST_AUTO_TEST_CASE(the_listeners_limits_at_and_past_their_values) {
  engine_process eng{{"--http", "127.0.0.1:0", "--http-max-request-bytes", "2048",
                      "--http-max-connections", "3", "--http-idle-timeout-ms", "300"}};
  const auto port = eng.http_port();
  // A request header of about 2000 bytes is taken; one past 2048 is answered 413.
  BOOST_CHECK_EQUAL(http_get(port, "/healthz", "X-Pad", std::string(1900, 'a')).status, 200u);
  BOOST_CHECK_EQUAL(http_get(port, "/healthz", "X-Pad", std::string(2100, 'a')).status, 413u);
  // Three idle connections are the limit: a fourth is answered 503; once they are cut off
  // (idle_timeout_ms), a new one is served again.
  int idle[3];
  const auto connected = std::chrono::steady_clock::now();
  for (int& fd : idle)
    fd = raw_connect(port);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  BOOST_CHECK_EQUAL(http_get(port, "/healthz").status, 503u);
  for (int fd : idle) {
    BOOST_CHECK_NE(ms_until_closed(fd, 3000), -1);  // cut off, within seconds
    ::close(fd);
  }
  // ... and not before their idle_timeout_ms (300 ms from the connects).
  BOOST_CHECK_GE(std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - connected)
                     .count(),
                 250);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  BOOST_CHECK_EQUAL(http_get(port, "/healthz").status, 200u);
  // A client that sends half a request and stops is cut off too.
  int slow = raw_connect(port);
  const std::string half = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
  BOOST_REQUIRE_EQUAL(::write(slow, half.data(), half.size()), static_cast<ssize_t>(half.size()));
  BOOST_CHECK_NE(ms_until_closed(slow, 3000), -1);
  ::close(slow);
  // HEAD: the header (with the GET's length) and no body, so keep-alive framing holds.
  int head = raw_connect(port);
  const std::string ask = "HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  BOOST_REQUIRE_EQUAL(::write(head, ask.data(), ask.size()), static_cast<ssize_t>(ask.size()));
  std::string got;
  char buf[1024];
  for (ssize_t n; (n = ::read(head, buf, sizeof(buf))) > 0;)
    got.append(buf, static_cast<size_t>(n));
  ::close(head);
  BOOST_CHECK(got.find("200 OK") != std::string::npos);
  BOOST_CHECK(got.find("Content-Length: 3") != std::string::npos);
  BOOST_CHECK_EQUAL(got.substr(got.find("\r\n\r\n") + 4), "");
  // The TCP side never noticed.
  BOOST_CHECK(eng.connect()->open("still", "EUR").ok());
}

BOOST_AUTO_TEST_CASE(an_http_port_in_use_stops_the_start) {
  engine_process first{{"--http", "127.0.0.1:0"}};
  BOOST_CHECK_THROW(
      (engine_process{{"--http", "127.0.0.1:" + std::to_string(first.http_port())}}),
      std::runtime_error);
  BOOST_CHECK(first.alive());
}

BOOST_AUTO_TEST_CASE(the_websocket_carries_the_protocol_as_json) {
  engine_process eng{{"--http", "127.0.0.1:0", "--http-max-request-bytes", "4096"}};
  auto admin = eng.connect();
  BOOST_REQUIRE(admin->open("w1", "EUR").ok());
  BOOST_REQUIRE(admin->txn(txn(txn_kind::deposit, "wd", "w1", 1000)).ok());
  ws_client viewer{eng.http_port()};
  // Nothing is allowed before a hello; then the token's role holds.
  viewer.send(R"({"op":"subscribe","rid":1,"accounts":["w1"]})");
  BOOST_CHECK_EQUAL(json::parse(viewer.receive())["error"], "unauthenticated");
  viewer.send(R"({"op":"hello","rid":2,"token":")" + testing::viewer_token + R"("})");
  auto hello = json::parse(viewer.receive());
  BOOST_CHECK_EQUAL(hello["ok"], true);
  BOOST_CHECK_EQUAL(hello["role"], "viewer");
  viewer.send(R"({"op":"subscribe","rid":3,"accounts":["w1"]})");
  auto sub = json::parse(viewer.receive());
  BOOST_CHECK_EQUAL(sub["rid"], 3);
  BOOST_CHECK(sub["subscription"].is_number());
  auto current = json::parse(viewer.receive());  // the starting state
  BOOST_CHECK_EQUAL(current["event"], "balance");
  BOOST_CHECK_EQUAL(current["balance"], 1000);
  // A bet over TCP shows on the WebSocket (the dashboard's account page).
  const auto sent = std::chrono::steady_clock::now();
  BOOST_REQUIRE(admin->txn(txn(txn_kind::bet, "wb", "w1", 300, "acme")).ok());
  auto live = json::parse(viewer.receive());
  BOOST_CHECK_EQUAL(live["event"], "balance");
  BOOST_CHECK_EQUAL(live["balance"], 700);
  BOOST_CHECK_EQUAL(live["txn"], "wb");
  BOOST_CHECK_LT(std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - sent)
                     .count(),
                 1000);
  // A viewer sees, only an admin acts.
  viewer.send(R"({"op":"block","rid":4,"account":"w1"})");
  auto refused = json::parse(viewer.receive());
  BOOST_CHECK_EQUAL(refused["rid"], 4);
  BOOST_CHECK_EQUAL(refused["error"], "forbidden");
  // What is not a JSON object is answered, and the connection goes on.
  viewer.send("not json");
  BOOST_CHECK_EQUAL(json::parse(viewer.receive())["error"], "bad_request");
  viewer.send(R"({"op":"balance","rid":5,"account":"w1"})");
  BOOST_CHECK_EQUAL(json::parse(viewer.receive())["balance"], 700);
  // A message past max_request_bytes closes the WebSocket (1009, too big).
  viewer.send(R"({"op":"balance","rid":6,"account":")" + std::string(5000, 'x') + R"("})");
  BOOST_CHECK_THROW(viewer.receive(), boost::system::system_error);
  BOOST_CHECK_EQUAL(viewer.reason().code, boost::beast::websocket::close_code::too_big);
  // An admin acts through it.
  ws_client boss{eng.http_port()};
  boss.send(R"({"op":"hello","rid":1,"token":")" + testing::admin_token + R"("})");
  BOOST_CHECK_EQUAL(json::parse(boss.receive())["role"], "admin");
  boss.send(R"({"op":"block","rid":2,"account":"w1"})");
  BOOST_CHECK_EQUAL(json::parse(boss.receive())["status"], "blocked");
  // /ws without an upgrade is 426.
  BOOST_CHECK_EQUAL(http_get(eng.http_port(), "/ws").status, 426u);
}

BOOST_AUTO_TEST_CASE(the_dashboards_files_and_nothing_else) {
  engine_process eng{{"--http", "127.0.0.1:0"}};
  const auto index = http_get(eng.http_port(), "/");
  BOOST_CHECK_EQUAL(index.status, 200u);
  BOOST_CHECK_EQUAL(index.content_type, "text/html; charset=utf-8");
  BOOST_CHECK(index.body.find("/vendor/uplot.js") != std::string::npos);
  BOOST_CHECK_EQUAL(http_get(eng.http_port(), "/app.js").status, 200u);
  BOOST_CHECK_EQUAL(http_get(eng.http_port(), "/vendor/uplot.js").status, 200u);
  // Only the page's own paths: nothing is looked up from what the request says.
  for (const char* path : {"/../CMakeLists.txt", "/index.html/..", "/package.json",
                           "/node_modules/uplot/package.json", "//etc/passwd"})
    BOOST_CHECK_MESSAGE(http_get(eng.http_port(), path).status == 404u, path);
  // A web_dir without the files says what to run.
  engine_process bare{{"--http", "127.0.0.1:0", "--http-web-dir", "/nonexistent"}};
  const auto missing = http_get(bare.http_port(), "/");
  BOOST_CHECK_EQUAL(missing.status, 503u);
  BOOST_CHECK(missing.body.find("npm ci") != std::string::npos);
}

namespace {

/// A webhook receiver on 127.0.0.1: answers its first `failures` POSTs 500, then 200, and
/// keeps the bodies of every POST it got.
class webhook_receiver {
public:
  explicit webhook_receiver(int failures) : failures_(failures) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE_EQUAL(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] { serve(); });
  }
  ~webhook_receiver() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  uint16_t port() const { return port_; }
  std::vector<std::string> bodies() {
    std::lock_guard lock{mutex_};
    return bodies_;
  }

private:
  void serve() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0)
        return;
      std::string in;
      char buf[4096];
      size_t need = std::string::npos;
      while (need == std::string::npos || in.size() < need) {
        ssize_t n = ::read(c, buf, sizeof(buf));
        if (n <= 0)
          break;
        in.append(buf, static_cast<size_t>(n));
        auto end = in.find("\r\n\r\n");
        auto cl = in.find("Content-Length: ");
        if (end != std::string::npos && cl != std::string::npos)
          need = end + 4 + std::stoul(in.substr(cl + 16));
      }
      const bool fail = failures_-- > 0;
      {
        std::lock_guard lock{mutex_};
        if (need != std::string::npos)
          bodies_.push_back(in.substr(in.find("\r\n\r\n") + 4));
      }
      const std::string answer = fail ? "HTTP/1.1 500 No\r\nContent-Length: 0\r\n\r\n"
                                      : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
      (void)!::write(c, answer.data(), answer.size());
      ::close(c);
    }
  }
  int fd_ = -1;
  uint16_t port_ = 0;
  int failures_;
  std::mutex mutex_;
  std::vector<std::string> bodies_;
  std::thread thread_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(an_alert_rule_fires_and_resolves_itself_on_metrics_streams_and_webhook) {
  webhook_receiver hook{1};  // the first POST fails: the alert is posted again
  const std::string conf = "/tmp/settle-alerts-" + std::to_string(::getpid()) + ".toml";
  std::ofstream{conf} << "[[alerts]]\nname = \"errors\"\nrule = \"error_rate\"\n"
                         "threshold = 2\nwindow_s = 2\n"
                         "[[alerts]]\nname = \"acme-wins\"\nrule = \"win_rate_shift\"\n"
                         "partner = \"acme\"\ncurrency = \"EUR\"\nthreshold = 0.5\n"
                         "window_s = 60\nbaseline_s = 600\n";
  engine_process eng{{"--http", "127.0.0.1:0", "--config", conf, "--alert-webhook-url",
                      "http://127.0.0.1:" + std::to_string(hook.port()) + "/hooks/settle",
                      "--alert-webhook-retry-ms", "50"}};
  auto firing = [&] {
    return sample(prometheus_samples(http_get(eng.http_port(), "/metrics").body),
                  "settle_alert_firing{name=\"errors\"}");
  };
  BOOST_CHECK_EQUAL(firing(), 0);
  // A viewer follows the alerts; a partner token may not.
  auto viewer = eng.connect(testing::viewer_token);
  protocol::request sub;
  sub.op = protocol::op_kind::subscribe;
  sub.alerts = true;
  BOOST_REQUIRE(viewer->call(sub).ok());
  BOOST_CHECK(eng.connect(testing::acme_token)->call(sub).error == error_code::forbidden);
  // 50 refusals (no such account) in well under a second: above 2 per second.
  auto c = eng.connect();
  for (int i = 0; i < 50; ++i)
    BOOST_REQUIRE(c->txn(txn(txn_kind::bet, "ae" + std::to_string(i), "nobody", 1, "acme")).error ==
                  error_code::unknown_account);
  bool raised = false, resolved = false;
  for (int i = 0; i < 100 && !raised; ++i, std::this_thread::sleep_for(std::chrono::milliseconds(50)))
    raised = firing() == 1;
  BOOST_CHECK(raised);
  const auto s = prometheus_samples(http_get(eng.http_port(), "/metrics").body);
  BOOST_CHECK_GT(sample(s, "settle_alert_value{name=\"errors\"}"), 2);
  BOOST_CHECK_EQUAL(sample(s, "settle_alert_threshold{name=\"errors\"}"), 2);
  BOOST_CHECK_GE(sample(s, "settle_alerts_firing"), 1);
  // Nothing more: within the 2 s window plus a tick it resolves.
  for (int i = 0; i < 200 && !resolved; ++i, std::this_thread::sleep_for(std::chrono::milliseconds(50)))
    resolved = firing() == 0;
  BOOST_CHECK(resolved);
  // The stream: firing, then resolved, with their numbers and labels.
  auto up = viewer->next_event(2000);
  BOOST_REQUIRE(up.has_value());
  BOOST_CHECK(up->kind == protocol::event_kind::alert);
  BOOST_CHECK_EQUAL(up->name, "errors");
  BOOST_CHECK_EQUAL(up->state, "firing");
  BOOST_CHECK_GT(up->value, 2);
  BOOST_CHECK_EQUAL(up->threshold, 2);
  BOOST_CHECK_GT(up->at_unix_ms, 1'700'000'000'000);
  BOOST_CHECK(up->labels == (std::vector<std::pair<std::string, std::string>>{
                                {"rule", "error_rate"}}));
  auto down = viewer->next_event(2000);
  BOOST_REQUIRE(down.has_value());
  BOOST_CHECK_EQUAL(down->state, "resolved");
  // The webhook: the firing alert twice (the first POST was answered 500), then resolved.
  std::vector<std::string> got;
  for (int i = 0; i < 100 && got.size() < 3; ++i, std::this_thread::sleep_for(std::chrono::milliseconds(50)))
    got = hook.bodies();
  BOOST_REQUIRE_EQUAL(got.size(), 3u);
  BOOST_CHECK_EQUAL(got[0], got[1]);
  const auto first = json::parse(got[0]), last = json::parse(got[2]);
  BOOST_CHECK_EQUAL(first["name"], "errors");
  BOOST_CHECK_EQUAL(first["state"], "firing");
  BOOST_CHECK_EQUAL(first["threshold"], 2.0);
  BOOST_CHECK_EQUAL(first["labels"]["rule"], "error_rate");
  BOOST_CHECK_EQUAL(last["state"], "resolved");
  const auto after = prometheus_samples(http_get(eng.http_port(), "/metrics").body);
  BOOST_CHECK_EQUAL(sample(after, "settle_alert_webhook_posts_total{result=\"sent\"}"), 2);
  BOOST_CHECK_EQUAL(sample(after, "settle_alert_webhook_posts_total{result=\"failed\"}"), 0);
  // The partner rule is evaluated (no traffic of acme: nothing to compare, not firing).
  BOOST_CHECK_EQUAL(sample(after, "settle_alert_firing{name=\"acme-wins\"}"), 0);
  std::remove(conf.c_str());
}
