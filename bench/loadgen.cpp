// settle-loadgen: load generator for settled and for the peers a buyer would build instead
// (a Redis-Lua wallet, a PostgreSQL ledger), with the same load for each. Closed loop (N
// connections, each keeping D requests in flight) or open loop (a fixed offered rate, latency
// measured from each request's scheduled time, so a stall is not hidden by coordinated
// omission). Prints throughput, latency percentiles, outcomes by code, and a progress line.
//
// Setup opens and funds players p0..p<A-1> (currency i % C; deposit ids stable, so a second
// run against the same wallet funds nothing twice). Load ids sit behind a per-run prefix.
// With --subscribers N (settle only), N more connections subscribe to events of K players and
// one partner each before the load starts, and the events they receive are counted.
#include <cstdlib>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench/engine_target.hpp"
#include "bench/load_runner.hpp"
#include "bench/peer_targets.hpp"
#include "bench/subscribers.hpp"

using namespace settle;

namespace {

struct options {
  std::string target = "settle";  // settle | redis-lua | postgres
  std::string connect = "127.0.0.1:7400";
  std::string token;
  std::string redis = "127.0.0.1:6379";  // redis-lua: HOST:PORT or unix:/path
  std::string postgres;                  // postgres: a libpq connection string
  bool json = false;
  bench::load_options run;
  bench::subscriber_options subscribers;
};

/// A new connection to the wallet under test.
std::unique_ptr<bench::wallet_target> make_target(const options& o) {
  if (o.target == "settle")
    return std::make_unique<bench::engine_target>(o.connect, o.token);
  return bench::make_peer_target(o.target, o.redis, o.postgres);
}

/// The options that say what to load and how to reach it.
void add_target_options(CLI::App& app, options& o) {
  app.add_option("--target", o.target, "what to load: settle, redis-lua or postgres")
      ->capture_default_str()->check(CLI::IsMember({"settle", "redis-lua", "postgres"}));
  app.add_option("--connect", o.connect, "settle: engine HOST:PORT")->capture_default_str();
  app.add_option("--token", o.token, "settle: admin token (default $SETTLE_ADMIN_TOKEN)");
  app.add_option("--redis", o.redis, "redis-lua: HOST:PORT or unix:/path")->capture_default_str();
  app.add_option("--postgres", o.postgres, "postgres: libpq connection string");
}

/// The options of the load's shape: connections, threads, depth or rate, and its duration.
void add_run_options(CLI::App& app, bench::load_options& run) {
  app.add_option("--connections", run.connections, "connections")
      ->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_option("--threads", run.threads,
                 "load threads, each driving its share of the connections with one poll loop")
      ->capture_default_str()->check(CLI::Range(1, 1024));
  app.add_option("--depth", run.depth,
                 "closed loop: requests in flight per connection; open loop: at most")
      ->capture_default_str()->check(CLI::Range(1, 1 << 20));
  app.add_option("--rate", run.rate_per_s,
                 "open loop: offered transactions per second over all connections (0: closed "
                 "loop)")
      ->capture_default_str()->check(CLI::Range(0.0, 1e9));
  app.add_option("--tick-us", run.tick_us,
                 "open loop: a load thread wakes at most this often and sends what is due "
                 "(latency still counts from each request's schedule)")
      ->capture_default_str()->check(CLI::Range(1, 1'000'000));
  app.add_option("--duration-s", run.duration_s, "measured seconds")
      ->capture_default_str()->check(CLI::Range(0.001, 1e6));
  app.add_option("--warmup-s", run.warmup_s, "unmeasured seconds before the measured ones")
      ->capture_default_str()->check(CLI::Range(0.0, 1e6));
}

/// The options of the workload: accounts, their popularity and the mix of transactions.
void add_workload_options(CLI::App& app, bench::workload_options& w) {
  app.add_option("--accounts", w.accounts, "player accounts")
      ->capture_default_str()->check(CLI::Range(1, 100'000'000));
  app.add_option("--partners", w.partners, "partners (prov0, prov1, ...)")
      ->capture_default_str()->check(CLI::Range(1, 1'000'000));
  app.add_option("--currencies", w.currencies, "currencies, 1..5 (EUR USD KRW GBP JPY)")
      ->capture_default_str()->check(CLI::Range(1, 5));
  app.add_option("--zipf-s", w.zipf_s, "player popularity exponent (0: uniform)")
      ->capture_default_str();
  app.add_option("--bet-pct", w.bet_pct, "bets, % of new transactions")->capture_default_str();
  app.add_option("--win-pct", w.win_pct, "wins on the rounds of earlier bets, %")
      ->capture_default_str();
  app.add_option("--rollback-pct", w.rollback_pct, "rollbacks of earlier bets, %")
      ->capture_default_str();
  app.add_option("--deposit-pct", w.deposit_pct, "deposits, %")->capture_default_str();
  app.add_option("--withdraw-pct", w.withdraw_pct, "withdrawals, %")->capture_default_str();
  app.add_option("--retry-pct", w.retry_pct, "requests that resend an earlier id, %")
      ->capture_default_str();
}

/// The options of the event subscribers that run beside the load.
void add_subscriber_options(CLI::App& app, bench::subscriber_options& s) {
  app.add_option("--subscribers", s.subscribers,
                 "settle: event subscriber connections opened before the load, drained by "
                 "one thread (0: none)")
      ->capture_default_str()->check(CLI::Range(0, 100'000));
  app.add_option("--subscriber-accounts", s.accounts_each,
                 "settle: players per subscriber, drawn uniformly from the load's (plus one "
                 "partner each)")
      ->capture_default_str()->check(CLI::Range(0, 10'000));
}

/// The final figures as text on stdout.
void print_text(const options& o, const bench::load_result& r,
                const bench::subscriber_pool* subscribers) {
  const auto& w = o.run.load;
  std::cout << fmt::format(
      "{}: {} connections, {} {}, {} accounts (zipf {}), {} s measured after {} s warmup\n",
      r.target, o.run.connections, o.run.rate_per_s > 0 ? "open loop at" : "closed loop, depth",
      o.run.rate_per_s > 0 ? fmt::format("{:.0f}/s", o.run.rate_per_s)
                           : std::to_string(o.run.depth),
      w.accounts, w.zipf_s, o.run.duration_s, o.run.warmup_s);
  std::cout << fmt::format("throughput  {:.0f} responses/s ({} responses)\n",
                           r.throughput_per_s, r.responses);
  std::cout << fmt::format("latency     p50 {:.0f} us, p99 {:.0f} us, p99.9 {:.0f} us, max "
                           "{:.0f} us\n",
                           r.p50_us, r.p99_us, r.p999_us, r.max_us);
  std::cout << "outcomes   ";
  for (auto& [k, v] : r.outcomes.named())
    std::cout << " " << k << "=" << v;
  std::cout << "\n";
  if (subscribers)
    std::cout << subscribers->to_text() << "\n";
}

/// Runs the load (with its subscribers, if any) and prints the figures; the exit status.
int run(options& o) {
  auto& w = o.run.load;
  std::unique_ptr<bench::subscriber_pool> subscribers;
  if (o.subscribers.subscribers > 0) {
    o.subscribers.connect = o.connect;
    o.subscribers.token = o.token;  // the load's admin token may subscribe
    subscribers = std::make_unique<bench::subscriber_pool>(o.subscribers, w);
  }
  w.run_prefix = fmt::format(
      "{:x}.", std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count());
  try {
    auto r = bench::run_load(o.run, [&] { return make_target(o); }, subscribers.get());
    if (o.json)
      std::cout << bench::to_json(o.run, r, subscribers ? subscribers->json_members() : "")
                << "\n";
    else
      print_text(o, r, subscribers.get());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "settle-loadgen: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"settle-loadgen: the same load against settled or a peer wallet",
               "settle-loadgen"};
  add_target_options(app, o);
  add_run_options(app, o.run);
  add_workload_options(app, o.run.load);
  add_subscriber_options(app, o.subscribers);
  app.add_flag("--json", o.json, "print the final figures as one JSON object on stdout");
  try {
    app.parse(argc, argv);
    bench::validate(o.run.load);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << "settle-loadgen: " << e.what() << "\n";
    return 2;
  }
  if (o.subscribers.subscribers > 0 && o.target != "settle") {
    std::cerr << "settle-loadgen: --subscribers needs --target settle\n";
    return 2;
  }
  if (o.token.empty())
    if (const char* t = std::getenv("SETTLE_ADMIN_TOKEN"))
      o.token = t;
  return run(o);
}
