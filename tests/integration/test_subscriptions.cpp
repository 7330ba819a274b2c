// Balance and partner streams over TCP: settled as a process, subscribers and a load on real
// connections.
#define BOOST_TEST_MODULE subscriptions
#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "engine_process.hpp"
#include "requests.hpp"

using namespace settle;
using namespace std::chrono_literals;
using settle::testing::engine_process;
using protocol::error_code;
using protocol::event;
using protocol::event_kind;
using protocol::request;
using protocol::txn_kind;

namespace {

request bet(std::string id, std::string account, int64_t amount, std::string partner = "acme") {
  auto r = testing::req::txn(txn_kind::bet, std::move(id), std::move(account), amount, "EUR",
                             std::move(partner));
  r.round = "r-" + r.id;
  r.game = "slots";
  return r;
}
request deposit(std::string id, std::string account, int64_t amount) {
  return testing::req::txn(txn_kind::deposit, std::move(id), std::move(account), amount, "EUR");
}

/// A configuration file with `events_section` as its [events] table; removed with the object.
struct config_file {
  std::string path;
  explicit config_file(const std::string& events_section) {
    path = (std::filesystem::temp_directory_path() /
            ("settle-subs-" + std::to_string(::getpid()) + "-" +
             std::to_string(std::random_device{}()) + ".toml"))
               .string();
    std::ofstream(path) << "[events]\n" << events_section << "\n";
  }
  ~config_file() { std::filesystem::remove(path); }
  std::vector<std::string> flags() const { return {"--config", path}; }
};

/// The next event, failing the test when none comes in time.
event next(client::connection& c, int timeout_ms = 10'000) {
  auto e = c.next_event(timeout_ms);
  BOOST_REQUIRE_MESSAGE(e.has_value(), "no event within " << timeout_ms << " ms");
  return std::move(*e);
}

/// What the engine acknowledged: per account and version, the balance and the transaction.
struct acked {
  int64_t balance = 0;
  std::string txn;
};
using ack_log = std::map<std::pair<std::string, uint64_t>, acked>;

/// Sends `reqs` pipelined on `c`; records each applied answer in `log`.
void run_pipelined(client::connection& c, const std::vector<request>& reqs, ack_log& log,
                   std::mutex& m) {
  std::map<uint64_t, const request*> by_rid;
  for (const auto& r : reqs)
    by_rid[c.send(r)] = &r;
  c.flush();
  for (size_t i = 0; i < reqs.size(); ++i) {
    auto resp = c.receive(30'000);
    BOOST_REQUIRE(resp.has_value());
    const request& r = *by_rid.at(resp->rid);
    BOOST_REQUIRE_MESSAGE(resp->ok(), r.id << ": " << resp->message);
    if (resp->outcome != protocol::txn_status::applied)
      continue;
    std::lock_guard lock{m};
    log[{r.account, resp->version}] = {resp->balance, r.id};
  }
}

/// Opens players p0 .. p<count-1> in EUR, each with a deposit of `amount`.
void open_players(client::connection& admin, int count, int64_t amount, ack_log& log,
                  std::mutex& m) {
  std::vector<request> deposits;
  for (int a = 0; a < count; ++a) {
    BOOST_REQUIRE(admin.open("p" + std::to_string(a), "EUR").ok());
    deposits.push_back(deposit("d" + std::to_string(a), "p" + std::to_string(a), amount));
  }
  run_pipelined(admin, deposits, log, m);
}

/// Stops and joins a reader thread when the test goes on without it, or leaves early.
struct stopper {
  std::atomic<bool>& stop;
  std::thread& thread;
  void now() {
    stop = true;
    if (thread.joinable())
      thread.join();
  }
  ~stopper() { now(); }
};

int64_t rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::atoll(line.c_str() + 6);
  return 0;
}

}  // namespace

BOOST_AUTO_TEST_CASE(snapshot_first_then_each_acknowledged_change) {
  engine_process eng;
  auto admin = eng.connect();
  BOOST_REQUIRE(admin->open("alice", "EUR").ok());
  auto dep = admin->txn(deposit("d1", "alice", 1000));
  BOOST_REQUIRE(dep.ok());

  auto viewer = eng.connect(testing::viewer_token);
  auto sub = viewer->subscribe({"alice"}, {}, false);
  BOOST_REQUIRE_MESSAGE(sub.ok(), sub.message);
  BOOST_CHECK_GT(sub.subscription, 0u);
  // The current state comes first, without a transaction.
  auto first = next(*viewer);
  BOOST_CHECK(first.kind == event_kind::balance);
  BOOST_CHECK_EQUAL(first.account, "alice");
  BOOST_CHECK_EQUAL(first.currency, "EUR");
  BOOST_CHECK_EQUAL(first.balance, 1000);
  BOOST_CHECK_EQUAL(first.version, dep.version);
  BOOST_CHECK(!first.has_txn);

  auto b = admin->txn(bet("b1", "alice", 100));
  BOOST_REQUIRE(b.ok());
  auto e = next(*viewer);
  BOOST_CHECK(e.kind == event_kind::balance);
  BOOST_CHECK_EQUAL(e.account, "alice");
  BOOST_CHECK(e.has_txn);
  BOOST_CHECK_EQUAL(e.txn, "b1");
  BOOST_CHECK_EQUAL(e.change, "bet");
  BOOST_CHECK_EQUAL(e.amount, -100);
  BOOST_CHECK_EQUAL(e.balance, b.balance);
  BOOST_CHECK_EQUAL(e.version, b.version);
  BOOST_CHECK_GT(e.at_unix_ms, 0);

  // A retry is not a change: no event. A refused bet is not either.
  BOOST_REQUIRE(admin->txn(bet("b1", "alice", 100)).ok());
  BOOST_CHECK(!admin->txn(bet("b-big", "alice", 1'000'000)).ok());
  BOOST_CHECK(!viewer->next_event(300).has_value());

  // After unsubscribe: nothing more, and the id is gone.
  BOOST_REQUIRE(viewer->unsubscribe(sub.subscription).ok());
  BOOST_REQUIRE(admin->txn(deposit("d2", "alice", 5)).ok());
  BOOST_CHECK(!viewer->next_event(300).has_value());
  auto again = viewer->unsubscribe(sub.subscription);
  BOOST_CHECK(again.error == error_code::bad_request);
}

BOOST_AUTO_TEST_CASE(partner_totals_stream) {
  engine_process eng;
  auto admin = eng.connect();
  BOOST_REQUIRE(admin->open("alice", "EUR").ok());
  BOOST_REQUIRE(admin->txn(deposit("d1", "alice", 1000)).ok());
  auto viewer = eng.connect(testing::viewer_token);
  auto sub = viewer->subscribe({}, {"acme"}, false);
  BOOST_REQUIRE_MESSAGE(sub.ok(), sub.message);
  BOOST_REQUIRE(admin->txn(bet("b1", "alice", 100)).ok());
  BOOST_REQUIRE(admin->txn(bet("b2", "alice", 50)).ok());
  // Totals come at most every partner_interval_ms; wait for both bets.
  event e;
  for (auto deadline = std::chrono::steady_clock::now() + 10s;;) {
    e = next(*viewer);
    BOOST_REQUIRE(e.kind == event_kind::partner);
    if (e.bets == 150 || std::chrono::steady_clock::now() > deadline)
      break;
  }
  BOOST_CHECK_EQUAL(e.partner, "acme");
  BOOST_CHECK_EQUAL(e.currency, "EUR");
  BOOST_CHECK_EQUAL(e.bets, 150);
  BOOST_CHECK_EQUAL(e.ggr, 150);

  // A late subscriber to acme starts from the current totals.
  auto late = eng.connect(testing::viewer_token);
  BOOST_REQUIRE(late->subscribe({}, {"acme"}, false).ok());
  auto state = next(*late);
  BOOST_CHECK(state.kind == event_kind::partner);
  BOOST_CHECK_EQUAL(state.bets, 150);
}

BOOST_AUTO_TEST_CASE(partner_tokens_follow_only_their_own) {
  engine_process eng;
  auto admin = eng.connect();
  for (auto a : {"alice", "bob"}) {
    BOOST_REQUIRE(admin->open(a, "EUR").ok());
    BOOST_REQUIRE(admin->txn(deposit(std::string{"d-"} + a, a, 1000)).ok());
  }
  BOOST_REQUIRE(admin->txn(bet("b1", "alice", 10, "acme")).ok());
  BOOST_REQUIRE(admin->txn(bet("b2", "bob", 10, "beta")).ok());

  auto acme = eng.connect(testing::acme_token);
  BOOST_CHECK(acme->subscribe({}, {}, true).error == error_code::forbidden);
  BOOST_CHECK(acme->subscribe({}, {"beta"}, false).error == error_code::forbidden);
  BOOST_CHECK(acme->subscribe({"house:EUR"}, {}, false).error == error_code::forbidden);
  auto bob = acme->subscribe({"bob"}, {}, false);  // acme never transacted on bob
  BOOST_CHECK(bob.error == error_code::forbidden);
  BOOST_CHECK_MESSAGE(bob.message.find("bob") != std::string::npos, bob.message);
  auto own = acme->subscribe({"alice"}, {"acme"}, false);
  BOOST_REQUIRE_MESSAGE(own.ok(), own.message);
  bool saw_alice = false;
  for (int i = 0; i < 2 && !saw_alice; ++i)
    saw_alice = next(*acme).account == "alice";
  BOOST_CHECK(saw_alice);
  // Once acme bets on bob, bob may be followed.
  BOOST_REQUIRE(acme->txn(bet("b3", "bob", 10, "acme")).ok());
  BOOST_CHECK(acme->subscribe({"bob"}, {}, false).ok());

  // Viewers follow anything; unknown accounts and empty subscriptions are refused.
  auto viewer = eng.connect(testing::viewer_token);
  BOOST_CHECK(viewer->subscribe({}, {}, true).ok());
  BOOST_CHECK(viewer->subscribe({"nobody"}, {}, false).error == error_code::unknown_account);
  BOOST_CHECK(viewer->subscribe({}, {}, false).error == error_code::bad_request);
  BOOST_CHECK(viewer->subscribe({"house:EUR"}, {}, false).error == error_code::bad_request);
  // Before hello: nothing.
  auto anonymous = eng.connect("");
  BOOST_CHECK(anonymous->subscribe({"alice"}, {}, false).error == error_code::unauthenticated);
}

BOOST_AUTO_TEST_CASE(subscription_limits_are_enforced) {
  config_file cfg{"max_subscriptions = 3\nmax_subscriptions_per_connection = 2\n"};
  engine_process eng{cfg.flags()};
  auto admin = eng.connect();
  BOOST_REQUIRE(admin->open("alice", "EUR").ok());
  auto one = eng.connect(testing::viewer_token);
  BOOST_CHECK(one->subscribe({"alice"}, {}, false).ok());
  BOOST_CHECK(one->subscribe({}, {}, true).ok());
  auto third = one->subscribe({"alice"}, {}, false);
  BOOST_CHECK(third.error == error_code::overloaded);
  BOOST_CHECK_MESSAGE(third.message.find("max_subscriptions_per_connection") != std::string::npos,
                      third.message);
  auto two = eng.connect(testing::viewer_token);
  BOOST_CHECK(two->subscribe({"alice"}, {}, false).ok());
  auto fourth = eng.connect(testing::viewer_token)->subscribe({"alice"}, {}, false);
  BOOST_CHECK(fourth.error == error_code::overloaded);
  // A closed connection frees its subscriptions.
  one.reset();
  bool freed = false;
  for (int i = 0; i < 50 && !freed; ++i) {
    freed = eng.connect(testing::viewer_token)->subscribe({"alice"}, {}, false).ok();
    if (!freed)
      std::this_thread::sleep_for(100ms);
  }
  BOOST_CHECK(freed);
}

BOOST_AUTO_TEST_CASE(hundreds_of_subscribers_while_a_load_runs) {
  // A large buffer: these subscribers read as fast as they can, and this test wants every
  // event (conflation has its own test).
  config_file cfg{"subscriber_buffer_bytes = 67108864\n"};
  engine_process eng{cfg.flags()};
  constexpr int accounts = 40, subscribers = 200, per_subscriber = 4, txns = 2000;
  auto admin = eng.connect();
  ack_log acks;
  std::mutex acks_mutex;
  open_players(*admin, accounts, 1'000'000, acks, acks_mutex);

  struct follower {
    std::unique_ptr<client::connection> conn;
    std::vector<std::string> accounts;  // empty: all
    std::vector<event> events;
  };
  std::vector<follower> followers(subscribers);
  for (int s = 0; s < subscribers; ++s) {
    auto& f = followers[static_cast<size_t>(s)];
    f.conn = eng.connect(testing::viewer_token);
    if (s % 20 != 0)
      for (int k = 0; k < per_subscriber; ++k)
        f.accounts.push_back("p" + std::to_string((s * 7 + k * 11) % accounts));
    auto r = f.conn->subscribe(f.accounts, {}, f.accounts.empty());
    BOOST_REQUIRE_MESSAGE(r.ok(), r.message);
  }

  // One thread reads every subscriber; the events vectors are shared with the checks below
  // while it runs (a push_back may move them), so both sides hold events_mutex.
  std::mutex events_mutex;
  std::atomic<bool> reader_done{false};
  std::thread reader([&] {
    std::vector<pollfd> fds;
    for (auto& f : followers)
      fds.push_back({f.conn->fd(), POLLIN, 0});
    while (!reader_done) {
      ::poll(fds.data(), fds.size(), 10);
      for (size_t i = 0; i < fds.size(); ++i) {
        if (!(fds[i].revents & POLLIN) && followers[i].conn->events_buffered() == 0)
          continue;
        while (auto e = followers[i].conn->next_event(0))
          if (e->kind == event_kind::balance) {  // (those following all get partner totals too)
            std::lock_guard lock(events_mutex);
            followers[i].events.push_back(std::move(*e));
          }
      }
    }
  });
  stopper stop_reader{reader_done, reader};

  // The load: two connections, bets and deposits on random accounts, pipelined.
  auto load = [&](int part) {
    auto c = eng.connect();
    std::mt19937 rng(static_cast<unsigned>(part));
    std::vector<request> batch;
    for (int i = 0; i < txns / 2; ++i) {
      auto acc = "p" + std::to_string(rng() % accounts);
      auto id = "t" + std::to_string(part) + "-" + std::to_string(i);
      batch.push_back(i % 3 == 0 ? deposit(id, acc, 7) : bet(id, acc, 1 + i % 50));
      if (batch.size() == 50) {
        run_pipelined(*c, batch, acks, acks_mutex);
        batch.clear();
      }
    }
    run_pipelined(*c, batch, acks, acks_mutex);
  };
  std::string l1_error;
  std::thread l1([&] {
    try {
      load(1);
    } catch (...) {  // a failed check inside throws
      l1_error = "a request failed (see above)";
    }
  });
  std::atomic<bool> unused{false};
  stopper join_l1{unused, l1};
  // A subscriber that joins while the load runs gets the current state first.
  std::this_thread::sleep_for(100ms);
  auto late = eng.connect(testing::viewer_token);
  std::vector<std::string> late_accounts{"p1", "p2", "p3"};
  BOOST_REQUIRE(late->subscribe(late_accounts, {}, false).ok());
  load(2);
  join_l1.now();
  BOOST_REQUIRE_MESSAGE(l1_error.empty(), "the first load connection: " << l1_error);

  std::map<std::string, uint64_t> last_version;
  for (const auto& [key, a] : acks)
    last_version[key.first] = std::max(last_version[key.first], key.second);
  auto caught_up = [&](const follower& f) {
    std::map<std::string, uint64_t> seen;
    for (const auto& e : f.events)
      seen[e.account] = std::max(seen[e.account], e.version);
    if (f.accounts.empty())
      return seen == last_version;
    for (const auto& a : f.accounts)
      if (seen[a] != last_version[a])
        return false;
    return true;
  };
  auto deadline = std::chrono::steady_clock::now() + 60s;
  bool all_caught_up = false;
  while (!all_caught_up && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    std::lock_guard lock(events_mutex);
    all_caught_up = std::all_of(followers.begin(), followers.end(), caught_up);
  }
  stop_reader.now();
  BOOST_REQUIRE_MESSAGE(all_caught_up, "not every subscriber received the last changes");

  size_t checked = 0;
  for (const auto& f : followers) {
    std::map<std::string, uint64_t> version;  // the last seen per account
    for (const auto& e : f.events) {
      BOOST_REQUIRE(e.kind == event_kind::balance);
      auto& v = version[e.account];
      // Strictly increasing, and here (nobody conflated) without a gap.
      BOOST_REQUIRE_MESSAGE(v == 0 || e.version == v + 1,
                            e.account << " went from version " << v << " to " << e.version);
      v = e.version;
      if (!e.has_txn)
        continue;  // a starting state: checked below for the late one
      auto it = acks.find({e.account, e.version});
      BOOST_REQUIRE_MESSAGE(it != acks.end(), "an event nobody acknowledged: " << e.account
                                                                              << " v" << e.version);
      BOOST_REQUIRE_EQUAL(e.balance, it->second.balance);
      BOOST_REQUIRE_EQUAL(e.txn, it->second.txn);
      ++checked;
    }
  }
  BOOST_CHECK_GT(checked, static_cast<size_t>(txns));

  // The late subscriber: each account's starting state first, then newer versions only.
  std::map<std::string, uint64_t> late_seen;
  while (late_seen != std::map<std::string, uint64_t>{{"p1", last_version["p1"]},
                                                      {"p2", last_version["p2"]},
                                                      {"p3", last_version["p3"]}}) {
    auto e = next(*late);
    auto it = late_seen.find(e.account);
    if (it == late_seen.end()) {
      BOOST_REQUIRE_MESSAGE(!e.has_txn, "the first event of " << e.account << " is a change");
      late_seen[e.account] = e.version;
      continue;
    }
    BOOST_REQUIRE(e.has_txn);
    BOOST_REQUIRE_EQUAL(e.version, it->second + 1);
    it->second = e.version;
  }
}

BOOST_AUTO_TEST_CASE(a_subscriber_that_stops_reading_is_conflated_then_disconnected) {
  constexpr int lag_ms = 2000;
  config_file cfg{"subscriber_buffer_bytes = 65536\nsubscriber_max_lag_ms = " +
                  std::to_string(lag_ms) + "\nsubscriber_max_conflated = 100000\n"};
  engine_process eng{cfg.flags()};
  constexpr int accounts = 20;
  auto admin = eng.connect();
  ack_log acks;
  std::mutex acks_mutex;
  open_players(*admin, accounts, 100'000'000, acks, acks_mutex);

  // The slow one stops reading after it subscribed. Its receive buffer is kept modest (the
  // kernel would otherwise grow it to megabytes, all of which it could read later).
  auto slow = eng.connect(testing::viewer_token);
  int receive_buffer_bytes = 16 * 1024;
  ::setsockopt(slow->fd(), SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes,
               sizeof(receive_buffer_bytes));
  BOOST_REQUIRE(slow->subscribe({}, {}, true).ok());
  // A healthy one reads everything.
  auto healthy = eng.connect(testing::viewer_token);
  BOOST_REQUIRE(healthy->subscribe({}, {}, true).ok());
  std::atomic<bool> stop{false};
  std::map<std::string, uint64_t> healthy_seen;
  bool healthy_gap = false;
  std::string healthy_error;
  auto read_healthy = [&](int timeout_ms) {
    auto e = healthy->next_event(timeout_ms);
    if (e && e->kind == event_kind::balance) {
      auto& v = healthy_seen[e->account];
      healthy_gap |= v != 0 && e->version != v + 1;
      v = e->version;
    }
    return e.has_value();
  };
  std::thread reader([&] {
    try {
      while (!stop)
        read_healthy(20);
    } catch (const std::exception& e) {
      healthy_error = e.what();
    } catch (...) {
      healthy_error = "a check failed";
    }
  });
  stopper stop_reader{stop, reader};  // also when a check below ends the test early

  const int64_t rss_before_kb = rss_kb(eng.pid());
  // Load for longer than the lag; no batch of answers may be held up by the slow reader.
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(lag_ms + 600);
  std::chrono::steady_clock::duration slowest{};
  int n = 0;
  while (std::chrono::steady_clock::now() < until) {
    std::vector<request> batch;
    for (int i = 0; i < 50; ++i, ++n)
      batch.push_back(bet("t" + std::to_string(n), "p" + std::to_string(n % accounts), 1));
    auto t0 = std::chrono::steady_clock::now();
    run_pipelined(*admin, batch, acks, acks_mutex);
    slowest = std::max(slowest, std::chrono::steady_clock::now() - t0);
    std::this_thread::sleep_for(1ms);  // a steady load, not a flood
  }
  const int64_t rss_after_kb = rss_kb(eng.pid());
  const double slowest_ms = std::chrono::duration<double, std::milli>(slowest).count();
  BOOST_TEST_MESSAGE(n << " transactions; slowest batch of 50: " << slowest_ms
                       << " ms; engine RSS " << rss_before_kb << " -> " << rss_after_kb << " kB");
  BOOST_CHECK_LT(slowest, 1s);
  // Bounded: what the slow subscriber did not read stays within its buffer (64 KB here) plus
  // one event per account (generous: the allocator and the id store grow too).
#ifndef __SANITIZE_ADDRESS__
  // (AddressSanitizer keeps freed memory in quarantine: RSS says nothing there.)
  BOOST_CHECK_LT(rss_after_kb - rss_before_kb, 128 * 1024);
#endif

  // The slow one now reads: a prefix of the events, then the latest per account (versions
  // jump), then the final event, then the end of the connection.
  std::map<std::string, uint64_t> slow_seen;
  bool jumped = false;
  size_t slow_events = 0;
  std::string reason;
  try {
    for (;;) {
      auto e = slow->next_event(15'000);
      BOOST_REQUIRE_MESSAGE(e.has_value(), "the slow subscriber was neither fed nor closed");
      if (e->kind == event_kind::closed) {
        reason = e->reason;
        break;
      }
      if (e->kind != event_kind::balance)
        continue;
      ++slow_events;
      auto& v = slow_seen[e->account];
      BOOST_REQUIRE_MESSAGE(e->version > v, "versions must increase");
      jumped |= v != 0 && e->version > v + 1;
      v = e->version;
    }
  } catch (const client::client_error& e) {
    BOOST_FAIL("the connection ended without a final event after " << slow_events
                                                                    << " events: " << e.what());
  }
  BOOST_CHECK_MESSAGE(reason.find("too slowly") != std::string::npos, reason);
  BOOST_CHECK(jumped);
  BOOST_CHECK_LT(slow_events, static_cast<size_t>(n));
  // Then the engine closes the connection.
  bool closed = false;
  try {
    closed = !slow->next_event(10'000).has_value() && slow->closed();
  } catch (const client::client_error&) {
    closed = true;
  }
  BOOST_CHECK(closed);

  // The healthy subscriber got everything, without a gap (read on here once its thread ends).
  stop_reader.now();
  BOOST_REQUIRE_MESSAGE(healthy_error.empty(), "the healthy subscriber: " << healthy_error);
  std::map<std::string, uint64_t> last_version;
  for (const auto& [key, a] : acks)
    last_version[key.first] = std::max(last_version[key.first], key.second);
  while (healthy_seen != last_version)
    BOOST_REQUIRE_MESSAGE(read_healthy(10'000), "the healthy subscriber missed changes");
  // (It may have been conflated for a moment, as any subscriber may under this load with a
  // 64 KB buffer; it was never closed and ends with every account's last version.)
  BOOST_TEST_MESSAGE("the healthy subscriber skipped versions: " << healthy_gap);
}
