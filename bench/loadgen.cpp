// settle-loadgen: a closed-loop load generator for settled. N connections, each keeping D
// requests in flight, a realistic mix of bets, wins, rollbacks, deposits, withdrawals and
// retries; prints throughput and latency percentiles.
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench/histogram.hpp"
#include "client/client.hpp"

using namespace settle;
using clock_type = std::chrono::steady_clock;
using protocol::op_kind;
using protocol::request;
using protocol::txn_kind;

namespace {

struct options {
  std::string connect = "127.0.0.1:7400";
  std::string token;
  int connections = 8;
  int depth = 64;
  double duration_s = 10;
  double warmup_s = 1;
  int accounts = 10000;
  int partners = 20;
  int currencies = 3;
  bool json = false;
  std::string run_prefix;  // makes transaction ids unique per run against a long-lived engine
};

const char* const currency_names[] = {"EUR", "USD", "KRW", "GBP", "JPY"};

std::string account_id(int i) { return "p" + std::to_string(i); }
const char* currency_of(const options& o, int i) { return currency_names[i % o.currencies]; }

/// What one load thread saw.
struct thread_result {
  bench::histogram latency;
  std::map<std::string, uint64_t> outcomes;
  uint64_t measured = 0;
  std::string failure;
};

/// Opens and funds every account, pipelined on one connection.
void setup(const options& o) {
  auto [host, port] = client::parse_host_port(o.connect);
  client::connection c{host, port};
  if (!o.token.empty() && !c.hello(o.token).ok())
    throw std::runtime_error("hello refused: check --token");
  const int batch = 512;
  for (int start = 0; start < o.accounts; start += batch) {
    int end = std::min(o.accounts, start + batch);
    for (int i = start; i < end; ++i) {
      request r;
      r.op = op_kind::open;
      r.account = account_id(i);
      r.currency = currency_of(o, i);
      c.send(r);
      request d;
      d.op = op_kind::txn;
      d.kind = txn_kind::deposit;
      d.id = "fund-" + account_id(i);
      d.account = account_id(i);
      d.currency = currency_of(o, i);
      d.amount = 1'000'000'000;
      d.has_amount = true;
      c.send(d);
    }
    c.flush();
    for (int i = start; i < end; ++i)
      for (int k = 0; k < 2; ++k) {
        auto r = c.receive(30'000);
        if (!r)
          throw std::runtime_error("setup timed out");
        if (!r->ok())
          throw std::runtime_error("setup failed: " + std::string{protocol::to_string(r->error)} +
                                   ": " + r->message);
      }
  }
}

void run_thread(const options& o, int t, clock_type::time_point measure_from,
                clock_type::time_point stop_at, std::atomic<uint64_t>& progress,
                thread_result& out) {
  try {
    auto [host, port] = client::parse_host_port(o.connect);
    client::connection c{host, port};
    if (!o.token.empty() && !c.hello(o.token).ok())
      throw std::runtime_error("hello refused");
    std::mt19937_64 rng(static_cast<uint64_t>(t) * 7919 + 17);
    std::unordered_map<uint64_t, clock_type::time_point> sent_at;
    struct recent_bet {
      request req;
    };
    std::vector<request> recent;  // recent bets: wins share their round, rollbacks name them
    uint64_t seq = 0;
    auto next_request = [&]() {
      request r;
      r.op = op_kind::txn;
      r.has_amount = true;
      uint64_t dice = rng() % 1000;
      if (dice < 10 && !recent.empty()) {  // 1%: a provider retry of an earlier id
        return recent[rng() % recent.size()];
      }
      int acc = static_cast<int>(rng() % static_cast<uint64_t>(o.accounts));
      r.account = account_id(acc);
      r.currency = currency_of(o, acc);
      r.partner = "prov" + std::to_string(rng() % static_cast<uint64_t>(o.partners));
      r.id = fmt::format("{}t{}-{}", o.run_prefix, t, seq++);
      r.amount = 1 + static_cast<int64_t>(rng() % 1000);
      dice = rng() % 100;
      if (dice < 60) {
        r.kind = txn_kind::bet;
        r.round = r.id;
        r.game = "slot7";
        if (recent.size() < 256)
          recent.push_back(r);
        else
          recent[rng() % recent.size()] = r;
      } else if (dice < 90 && !recent.empty()) {
        const auto& bet = recent[rng() % recent.size()];
        r.kind = txn_kind::win;
        r.account = bet.account;
        r.currency = bet.currency;
        r.partner = bet.partner;
        r.round = bet.round;
        r.game = bet.game;
      } else if (dice < 95 && !recent.empty()) {
        const auto& bet = recent[rng() % recent.size()];
        r.kind = txn_kind::rollback;
        r.account = bet.account;
        r.currency = bet.currency;
        r.partner = bet.partner;
        r.ref = bet.id;
        r.has_amount = false;
        r.amount = 0;
      } else if (dice < 98) {
        r.kind = txn_kind::deposit;
        r.partner.clear();
      } else {
        r.kind = txn_kind::withdraw;
        r.partner.clear();
      }
      return r;
    };
    auto send_one = [&] {
      auto r = next_request();
      r.rid = 0;
      auto rid = c.send(r);
      sent_at[rid] = clock_type::now();
    };
    for (int i = 0; i < o.depth; ++i)
      send_one();
    c.flush();
    while (clock_type::now() < stop_at) {
      auto resp = c.receive(10'000);
      if (!resp)
        throw std::runtime_error("no response within 10 s");
      auto now = clock_type::now();
      auto it = sent_at.find(resp->rid);
      if (it == sent_at.end())
        throw std::runtime_error("response for unknown rid");
      if (it->second >= measure_from) {
        out.latency.record(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(now - it->second).count()));
        ++out.measured;
        out.outcomes[resp->ok() ? std::string{protocol::to_string(resp->outcome)}
                                : std::string{protocol::to_string(resp->error)}]++;
      }
      sent_at.erase(it);
      ++progress;
      send_one();
      // Batch writes: flush once every response that arrived in this read is answered.
      if (!c.response_ready())
        c.flush();
    }
    // Drain what is still in flight so the engine is quiescent afterwards.
    while (!sent_at.empty()) {
      auto resp = c.receive(10'000);
      if (!resp)
        break;
      sent_at.erase(resp->rid);
    }
  } catch (const std::exception& e) {
    out.failure = e.what();
  }
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"settle-loadgen: closed-loop load against settled", "settle-loadgen"};
  app.add_option("--connect", o.connect, "engine HOST:PORT");
  app.add_option("--token", o.token, "admin token (default $SETTLE_ADMIN_TOKEN)");
  app.add_option("--connections", o.connections, "connections, one thread each (default 8)");
  app.add_option("--depth", o.depth, "requests in flight per connection (default 64)");
  app.add_option("--duration-s", o.duration_s, "measured seconds (default 10)");
  app.add_option("--warmup-s", o.warmup_s, "unmeasured seconds first (default 1)");
  app.add_option("--accounts", o.accounts, "player accounts (default 10000)");
  app.add_option("--partners", o.partners, "partners (default 20)");
  app.add_option("--currencies", o.currencies, "currencies, 1..5 (default 3)")->check(CLI::Range(1, 5));
  app.add_flag("--json", o.json, "print the figures as one JSON object");
  CLI11_PARSE(app, argc, argv);
  if (o.token.empty())
    if (const char* t = std::getenv("SETTLE_ADMIN_TOKEN"))
      o.token = t;
  o.run_prefix = fmt::format(
      "{:x}.", std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count());
  try {
    auto t0 = clock_type::now();
    setup(o);
    auto setup_s = std::chrono::duration<double>(clock_type::now() - t0).count();
    if (!o.json)
      std::cerr << fmt::format("setup: {} accounts opened and funded in {:.2f} s\n", o.accounts, setup_s);
    std::atomic<uint64_t> progress{0};
    std::vector<thread_result> results(static_cast<size_t>(o.connections));
    auto start = clock_type::now();
    auto measure_from = start + std::chrono::duration_cast<clock_type::duration>(
                                    std::chrono::duration<double>(o.warmup_s));
    auto stop_at = measure_from + std::chrono::duration_cast<clock_type::duration>(
                                      std::chrono::duration<double>(o.duration_s));
    std::vector<std::thread> pool;
    for (int t = 0; t < o.connections; ++t)
      pool.emplace_back(run_thread, std::cref(o), t, measure_from, stop_at, std::ref(progress),
                        std::ref(results[static_cast<size_t>(t)]));
    uint64_t last = 0;
    while (clock_type::now() < stop_at) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      uint64_t now = progress.load();
      if (!o.json)
        std::cerr << fmt::format("  {:>10} responses/s\n", now - last);
      last = now;
    }
    for (auto& th : pool)
      th.join();
    bench::histogram all;
    std::map<std::string, uint64_t> outcomes;
    uint64_t measured = 0;
    for (auto& r : results) {
      if (!r.failure.empty())
        throw std::runtime_error("load thread failed: " + r.failure);
      all.merge(r.latency);
      measured += r.measured;
      for (auto& [k, v] : r.outcomes)
        outcomes[k] += v;
    }
    double tps = static_cast<double>(measured) / o.duration_s;
    auto us = [&](double q) { return static_cast<double>(all.quantile(q)) / 1000.0; };
    if (o.json) {
      std::string oc;
      for (auto& [k, v] : outcomes)
        oc += fmt::format("{}\"{}\":{}", oc.empty() ? "" : ",", k, v);
      std::cout << fmt::format(
          "{{\"connections\":{},\"depth\":{},\"duration_s\":{},\"responses\":{},\"tps\":{:.0f},"
          "\"p50_us\":{:.1f},\"p99_us\":{:.1f},\"p999_us\":{:.1f},\"max_us\":{:.1f},"
          "\"outcomes\":{{{}}}}}\n",
          o.connections, o.depth, o.duration_s, measured, tps, us(0.5), us(0.99), us(0.999),
          static_cast<double>(all.max()) / 1000.0, oc);
    } else {
      std::cout << fmt::format("connections {}, depth {}, {} s measured\n", o.connections, o.depth,
                               o.duration_s);
      std::cout << fmt::format("throughput  {:.0f} transactions/s ({} responses)\n", tps, measured);
      std::cout << fmt::format("latency     p50 {:.0f} us, p99 {:.0f} us, p99.9 {:.0f} us, max {:.0f} us\n",
                               us(0.5), us(0.99), us(0.999), static_cast<double>(all.max()) / 1000.0);
      std::cout << "outcomes   ";
      for (auto& [k, v] : outcomes)
        std::cout << " " << k << "=" << v;
      std::cout << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "settle-loadgen: " << e.what() << "\n";
    return 1;
  }
}
