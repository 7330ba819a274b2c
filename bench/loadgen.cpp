// settle-loadgen: a closed-loop load generator for settled. N connections, each keeping D
// requests in flight, a realistic mix of bets, wins, rollbacks, deposits, withdrawals and
// retries; prints throughput, latency percentiles and outcome counts.
//
// Setup opens players p0..p<A-1> (currency i % C) and deposits 10^9 minor units to each
// (deposit ids d<i>: stable, so a second run against the same engine gets `duplicate` and
// does not fund again). Load transaction ids are t<thread>-<seq> behind a per-run prefix, so
// runs against a long-lived engine do not collide with earlier runs' ids.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <thread>
#include <unordered_map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench/histogram.hpp"
#include "client/client.hpp"

using namespace settle;
using clock_type = std::chrono::steady_clock;
using protocol::error_code;
using protocol::op_kind;
using protocol::request;
using protocol::txn_kind;
using protocol::txn_status;

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
constexpr int64_t setup_deposit = 1'000'000'000;

std::string account_id(int i) { return "p" + std::to_string(i); }
const char* currency_of(const options& o, int i) { return currency_names[i % o.currencies]; }

/// Responses by outcome: txn statuses on success, error codes otherwise.
struct outcome_counts {
  std::array<uint64_t, 3> status{};   // by txn_status
  std::array<uint64_t, 32> error{};   // by error_code

  void add(const protocol::response& r) {
    if (r.ok())
      ++status[static_cast<size_t>(r.outcome)];
    else
      ++error[static_cast<size_t>(r.error) % error.size()];
  }
  void merge(const outcome_counts& o) {
    for (size_t i = 0; i < status.size(); ++i)
      status[i] += o.status[i];
    for (size_t i = 0; i < error.size(); ++i)
      error[i] += o.error[i];
  }
  /// Name -> count, successes first, without zero entries.
  std::vector<std::pair<std::string, uint64_t>> named() const {
    std::vector<std::pair<std::string, uint64_t>> out;
    for (size_t i = 0; i < status.size(); ++i)
      if (status[i])
        out.emplace_back(protocol::to_string(static_cast<txn_status>(i)), status[i]);
    for (size_t i = 0; i < error.size(); ++i)
      if (error[i])
        out.emplace_back(protocol::to_string(static_cast<error_code>(i)), error[i]);
    return out;
  }
};

/// What one load thread saw.
struct thread_result {
  bench::histogram latency;
  outcome_counts outcomes;
  uint64_t measured = 0;
  std::string failure;
};

std::unique_ptr<client::connection> connect_and_hello(const options& o) {
  auto [host, port] = client::parse_host_port(o.connect);
  auto c = std::make_unique<client::connection>(host, port);
  if (!o.token.empty()) {
    auto h = c->hello(o.token);
    if (!h.ok())
      throw std::runtime_error(fmt::format("hello refused: {}: {}", protocol::to_string(h.error),
                                           h.message));
  }
  return c;
}

/// Opens and funds every account, pipelined on one connection.
void setup(const options& o) {
  auto c = connect_and_hello(o);
  const int batch = 512;  // 1024 requests in flight, well under the engine's per-connection cap
  for (int start = 0; start < o.accounts; start += batch) {
    int end = std::min(o.accounts, start + batch);
    for (int i = start; i < end; ++i) {
      request r;
      r.op = op_kind::open;
      r.account = account_id(i);
      r.currency = currency_of(o, i);
      c->send(r);
      request d;
      d.op = op_kind::txn;
      d.kind = txn_kind::deposit;
      d.id = "d" + std::to_string(i);
      d.account = account_id(i);
      d.currency = currency_of(o, i);
      d.amount = setup_deposit;
      d.has_amount = true;
      c->send(d);
    }
    c->flush();
    for (int k = 0; k < 2 * (end - start); ++k) {
      auto r = c->receive(30'000);
      if (!r)
        throw std::runtime_error("setup: no response within 30 s");
      if (!r->ok())
        throw std::runtime_error(fmt::format("setup failed: {}: {}", protocol::to_string(r->error),
                                             r->message));
    }
  }
}

/// The request mix of one load thread.
class generator {
public:
  generator(const options& o, int thread)
      : o_(o), thread_(thread), rng_(static_cast<uint64_t>(thread) * 7919 + 17) {}

  request next() {
    if (pick(100) == 0 && !sent_.empty())  // 1%: a provider retry of an earlier id
      return sent_[pick(sent_.size())];
    request r;
    r.op = op_kind::txn;
    r.has_amount = true;
    r.id = fmt::format("{}t{}-{}", o_.run_prefix, thread_, seq_++);
    r.amount = 1 + static_cast<int64_t>(pick(1000));
    uint64_t dice = pick(100);
    if (dice >= 60 && dice < 95 && bets_.empty())
      dice = 0;  // nothing to win on or roll back yet: bet
    if (dice < 60) {
      random_account(r);
      r.kind = txn_kind::bet;
      r.partner = "prov" + std::to_string(pick(static_cast<uint64_t>(o_.partners)));
      r.round = r.id;
      r.game = "slot" + std::to_string(pick(10));
      remember(bets_, r);
    } else if (dice < 90) {  // a win on the round of one of this thread's bets
      const auto& bet = bets_[pick(bets_.size())];
      r.kind = txn_kind::win;
      r.account = bet.account;
      r.currency = bet.currency;
      r.partner = bet.partner;
      r.round = bet.round;
      r.game = bet.game;
    } else if (dice < 95) {  // a rollback of a recent bet
      const auto& bet = bets_[pick(bets_.size())];
      r.kind = txn_kind::rollback;
      r.account = bet.account;
      r.currency = bet.currency;
      r.partner = bet.partner;
      r.ref = bet.id;
      r.has_amount = false;
      r.amount = 0;
    } else {
      random_account(r);
      r.kind = dice < 98 ? txn_kind::deposit : txn_kind::withdraw;
    }
    remember(sent_, r);
    return r;
  }

private:
  uint64_t pick(uint64_t n) { return rng_() % n; }
  void random_account(request& r) {
    int acc = static_cast<int>(pick(static_cast<uint64_t>(o_.accounts)));
    r.account = account_id(acc);
    r.currency = currency_of(o_, acc);
  }
  /// Keeps a bounded sample of recent requests (reservoir of the last ~256).
  void remember(std::vector<request>& v, const request& r) {
    if (v.size() < 256)
      v.push_back(r);
    else
      v[pick(v.size())] = r;
  }
  const options& o_;
  int thread_;
  std::mt19937_64 rng_;
  uint64_t seq_ = 0;
  std::vector<request> bets_;  // wins share their rounds, rollbacks name them
  std::vector<request> sent_;  // retries re-send one of these unchanged
};

void run_thread(const options& o, int t, clock_type::time_point measure_from,
                clock_type::time_point stop_at, std::atomic<uint64_t>& progress,
                std::atomic<bool>& abort, thread_result& out) {
  try {
    auto c = connect_and_hello(o);
    generator gen{o, t};
    std::unordered_map<uint64_t, clock_type::time_point> sent_at;
    sent_at.reserve(static_cast<size_t>(o.depth) * 2);
    auto send_one = [&] {
      auto r = gen.next();
      r.rid = 0;
      auto rid = c->send(std::move(r));
      sent_at[rid] = clock_type::now();
    };
    for (int i = 0; i < o.depth; ++i)
      send_one();
    c->flush();
    while (!abort.load(std::memory_order_relaxed)) {
      auto resp = c->receive(10'000);
      if (!resp)
        throw std::runtime_error("no response within 10 s");
      auto now = clock_type::now();
      auto it = sent_at.find(resp->rid);
      if (it == sent_at.end())
        throw std::runtime_error(fmt::format("response for unknown rid {} ({}: {})", resp->rid,
                                             protocol::to_string(resp->error), resp->message));
      if (it->second >= measure_from) {
        out.latency.record(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(now - it->second).count()));
        ++out.measured;
        out.outcomes.add(*resp);
      }
      sent_at.erase(it);
      progress.fetch_add(1, std::memory_order_relaxed);
      if (now >= stop_at)
        break;
      send_one();
      // Batch writes: flush once every response that arrived in this read is answered.
      if (!c->response_ready())
        c->flush();
    }
    c->flush();
    // Drain what is still in flight so the engine is quiescent afterwards (bounded).
    auto drain_until = clock_type::now() + std::chrono::seconds(10);
    while (!sent_at.empty() && clock_type::now() < drain_until) {
      auto resp = c->receive(1'000);
      if (resp)
        sent_at.erase(resp->rid);
    }
  } catch (const std::exception& e) {
    out.failure = e.what();
    abort = true;
  }
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

template <class Duration>
clock_type::duration to_clock(Duration d) {
  return std::chrono::duration_cast<clock_type::duration>(d);
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"settle-loadgen: closed-loop load against settled", "settle-loadgen"};
  app.add_option("--connect", o.connect, "engine HOST:PORT")->capture_default_str();
  app.add_option("--token", o.token, "admin token (default $SETTLE_ADMIN_TOKEN)");
  app.add_option("--connections", o.connections, "connections, one thread each")
      ->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_option("--depth", o.depth, "requests in flight per connection")
      ->capture_default_str()->check(CLI::Range(1, 1 << 20));
  app.add_option("--duration-s", o.duration_s, "measured seconds")
      ->capture_default_str()->check(CLI::Range(0.001, 1e6));
  app.add_option("--warmup-s", o.warmup_s, "unmeasured seconds before the measured ones")
      ->capture_default_str()->check(CLI::Range(0.0, 1e6));
  app.add_option("--accounts", o.accounts, "player accounts")
      ->capture_default_str()->check(CLI::Range(1, 100'000'000));
  app.add_option("--partners", o.partners, "partners (prov0, prov1, ...)")
      ->capture_default_str()->check(CLI::Range(1, 1'000'000));
  app.add_option("--currencies", o.currencies, "currencies, 1..5 (EUR USD KRW GBP JPY)")
      ->capture_default_str()->check(CLI::Range(1, 5));
  app.add_flag("--json", o.json, "print the final figures as one JSON object on stdout");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
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
    std::cerr << fmt::format("setup: {} accounts opened and funded in {:.2f} s\n", o.accounts,
                             setup_s);

    std::atomic<uint64_t> progress{0};
    std::atomic<bool> abort{false};
    std::vector<thread_result> results(static_cast<size_t>(o.connections));
    auto start = clock_type::now();
    auto measure_from = start + to_clock(std::chrono::duration<double>(o.warmup_s));
    auto stop_at = measure_from + to_clock(std::chrono::duration<double>(o.duration_s));
    std::vector<std::thread> pool;
    for (int t = 0; t < o.connections; ++t)
      pool.emplace_back(run_thread, std::cref(o), t, measure_from, stop_at, std::ref(progress),
                        std::ref(abort), std::ref(results[static_cast<size_t>(t)]));

    // Progress once a second on stderr; stop early when a connection fails.
    uint64_t last = 0;
    auto last_at = start;
    for (auto tick = start + std::chrono::seconds(1); !abort; tick += std::chrono::seconds(1)) {
      auto wake = std::min(tick, stop_at);
      while (!abort && clock_type::now() < wake)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      auto now_t = clock_type::now();
      uint64_t now = progress.load();
      double dt = std::chrono::duration<double>(now_t - last_at).count();
      std::cerr << fmt::format("  {:6.1f} s  {:>9.0f} responses/s{}\n",
                               std::chrono::duration<double>(now_t - start).count(),
                               dt > 0 ? static_cast<double>(now - last) / dt : 0.0,
                               last_at < measure_from ? "  (warmup)" : "");
      last = now;
      last_at = now_t;
      if (now_t >= stop_at)
        break;
    }
    for (auto& th : pool)
      th.join();

    bench::histogram all;
    outcome_counts outcomes;
    uint64_t measured = 0;
    int failed = 0;
    for (size_t t = 0; t < results.size(); ++t) {
      auto& r = results[t];
      if (!r.failure.empty()) {
        std::cerr << fmt::format("settle-loadgen: connection {} failed: {}\n", t, r.failure);
        ++failed;
      }
      all.merge(r.latency);
      measured += r.measured;
      outcomes.merge(r.outcomes);
    }
    if (failed > 0) {
      std::cerr << fmt::format("settle-loadgen: aborted, {} of {} connections failed ({} responses "
                               "measured before)\n",
                               failed, o.connections, measured);
      return 1;
    }

    double tps = static_cast<double>(measured) / o.duration_s;
    auto us = [&](double q) { return static_cast<double>(all.quantile(q)) / 1000.0; };
    double max_us = static_cast<double>(all.max()) / 1000.0;
    auto named = outcomes.named();
    if (o.json) {
      std::string oc;
      for (auto& [k, v] : named)
        oc += fmt::format("{}{}:{}", oc.empty() ? "" : ",", json_string(k), v);
      std::cout << fmt::format(
          "{{\"connections\":{},\"depth\":{},\"accounts\":{},\"partners\":{},\"currencies\":{},"
          "\"warmup_s\":{},\"duration_s\":{},\"setup_s\":{:.3f},\"responses\":{},"
          "\"throughput_per_s\":{:.1f},\"p50_us\":{:.1f},\"p99_us\":{:.1f},\"p999_us\":{:.1f},"
          "\"max_us\":{:.1f},\"outcomes\":{{{}}}}}\n",
          o.connections, o.depth, o.accounts, o.partners, o.currencies, o.warmup_s, o.duration_s,
          setup_s, measured, tps, us(0.5), us(0.99), us(0.999), max_us, oc);
    } else {
      std::cout << fmt::format("connections {}, depth {}, {} accounts, {} s measured after {} s warmup\n",
                               o.connections, o.depth, o.accounts, o.duration_s, o.warmup_s);
      std::cout << fmt::format("throughput  {:.0f} responses/s ({} responses)\n", tps, measured);
      std::cout << fmt::format(
          "latency     p50 {:.0f} us, p99 {:.0f} us, p99.9 {:.0f} us, max {:.0f} us\n", us(0.5),
          us(0.99), us(0.999), max_us);
      std::cout << "outcomes   ";
      for (auto& [k, v] : named)
        std::cout << " " << k << "=" << v;
      std::cout << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "settle-loadgen: " << e.what() << "\n";
    return 1;
  }
}
