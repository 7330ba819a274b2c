// settle-recovery-bench: how long settled takes to be ready to serve after a restart, on a
// prepared state of N accounts in a snapshot plus M journal records after it (the issue's
// target: 10,000,000 accounts + 1,000,000 records in under 10 s on the 2-core machine).
//
// 1. Starts a redis-server (AOF, appendfsync everysec) in a temporary directory.
// 2. Writes the state through the persistence APIs (bench/recovery/prepare.hpp) and loads it
//    once in process with persistence::load_image, so a preparation mistake shows here and
//    not as a slow or failed engine start.
// 3. Spawns settled on that Redis and times spawn -> "settled listening on"; then a client
//    checks two restored balances and makes a deposit; settled's log gives the breakdown.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench/recovery/perf_attach.hpp"
#include "bench/recovery/prepare.hpp"
#include "bench/recovery/redis_info.hpp"
#include "bench/recovery/serve_check.hpp"
#include "bench/recovery/settled_process.hpp"
#include "bench/recovery/summary.hpp"
#include "persistence/durable_image.hpp"
#include "persistence/redis_server.hpp"

using namespace settle;
using namespace settle::bench::recovery;

namespace {

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

struct options {
  uint64_t accounts = 10'000'000;
  uint64_t records = 1'000'000;
  uint32_t shards = 1;  // settled's default
  uint32_t records_per_chunk = 4096;
  std::string settled = std::string{SETTLE_SOURCE_DIR} + "/build/app/settled";
  std::string perf_file;
  double listen_timeout_s = 600;
  bool keep = false;
  bool json = false;
};

/// A temporary directory, removed at the end unless kept. Declared before the Redis that
/// lives in it, so Redis stops first.
class temp_dir {
public:
  explicit temp_dir(bool keep) : keep_(keep) {
    char name[] = "/tmp/settle-recovery-XXXXXX";
    if (mkdtemp(name) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path_ = name;
  }
  ~temp_dir() {
    if (!keep_) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return path_; }

private:
  std::string path_;
  bool keep_;
};

void progress(const options& o, const std::string& what) {
  if (!o.json)
    std::cerr << what << std::endl;
}

/// Loads the prepared state as settled will and checks it; fills the load figures.
void verify_prepared(const persistence::redis_address& addr, const options& o,
                     bench_results& r) {
  auto t0 = clock_type::now();
  auto img = persistence::load_image(addr, o.shards, persistence::load_options{}, r.load);
  r.load_total_ms = ms_since(t0);
  auto t1 = clock_type::now();
  auto fail = [](const std::string& why) {
    throw std::runtime_error("the prepared state is wrong: " + why);
  };
  if (r.load.snapshot_accounts != o.accounts)
    fail(fmt::format("{} accounts in the snapshot, expected {}", r.load.snapshot_accounts,
                     o.accounts));
  if (r.load.records != o.records)
    fail(fmt::format("{} journal records replayed, expected {}", r.load.records, o.records));
  if (img.ids.size() != o.records)
    fail(fmt::format("{} remembered ids, expected {}", img.ids.size(), o.records));
  if (auto why = persistence::check_zero_sum(img); !why.empty())
    fail(why);
  auto house = img.clearing.find({"", ledger::pack_currency("EUR")});
  int64_t house_balance = house == img.clearing.end() ? 0 : house->second.balance;
  if (house_balance != -deposit_minor_units * static_cast<int64_t>(o.records))
    fail(fmt::format("house EUR balance {}", house_balance));
  if (o.records > 0) {
    auto id = account_id(0);
    const auto& a = img.accounts[shard_of(id, o.shards)].at(id);
    if (a.balance != deposit_minor_units || a.version != 1)
      fail(fmt::format("{} has balance {} version {}", id, a.balance, a.version));
  }
  r.load_check_ms = ms_since(t1);
}  // the image (about a GB at 10M accounts) is freed before settled starts

/// Starts settled, times it, checks it serves, stops it; fills the settled figures.
void run_settled(const options& o, const temp_dir& dir, const std::string& socket,
                 bench_results& r) {
  settled_launch launch;
  launch.executable = o.settled;
  launch.admin_token = fmt::format("recovery-bench-{}", getpid());
  launch.log_path = dir.path() + "/settled.log";
  launch.listen_timeout_s = o.listen_timeout_s;
  launch.args = {"--listen",     "127.0.0.1:0", "--data-dir",  dir.path() + "/settled",
                 "--redis",      "unix:" + socket, "--shards", std::to_string(o.shards),
                 "--log-level",  "info",        "--snapshot-interval-s", "0"};
  std::unique_ptr<perf_attach> perf;
  if (!o.perf_file.empty())
    launch.on_spawn = [&](pid_t pid) { perf = std::make_unique<perf_attach>(pid, o.perf_file); };

  settled_process settled{launch};
  if (perf)
    perf->interrupt();  // the profile covers the start only
  r.listening_ms = settled.ms_to_listening();
  r.rss_at_listening_bytes = settled.rss_bytes();

  serve_expectations e;
  e.host = settled.host();
  e.port = settled.port();
  e.admin_token = launch.admin_token;
  if (o.records > 0)
    e.deposited_account = account_id(0);
  if (o.records < o.accounts)
    e.untouched_account = account_id(o.records);
  e.new_deposit_account = account_id(o.accounts - 1);
  e.new_deposit_balance_before = o.accounts - 1 < o.records ? deposit_minor_units : 0;
  auto asked_at_ms =
      std::chrono::duration<double, std::milli>(clock_type::now() - settled.spawned_at_steady())
          .count();
  r.serve = check_serving(e);
  r.first_answer_ms = asked_at_ms + r.serve.first_answer_ms;
  if (perf)
    perf->finish();
  r.peak_rss_bytes = settled.peak_rss_bytes();

  auto spawned_at = settled.spawned_at();
  r.stop_ms = settled.stop(SIGTERM, 120, r.exit_status);
  r.log = read_log(launch.log_path, spawned_at);
  r.figures = parse_recovery(r.log);
}

/// Parses the command line into `o`; an exit status when the program should stop there
/// (--help, a bad option, an impossible combination).
std::optional<int> parse_options(int argc, char** argv, options& o) {
  CLI::App app{"settle-recovery-bench: time from starting settled to serving, on a prepared "
               "snapshot plus journal",
               "settle-recovery-bench"};
  app.add_option("--accounts", o.accounts, "player accounts in the snapshot")
      ->capture_default_str()->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000}));
  app.add_option("--records", o.records,
                 "journal records after the snapshot (deposits to accounts 0..records-1)")
      ->capture_default_str()->check(CLI::Range(uint64_t{0}, uint64_t{1'000'000'000}));
  app.add_option("--shards", o.shards, "account shards (settled --shards)")
      ->capture_default_str()->check(CLI::Range(1, 1024));
  app.add_option("--records-per-batch", o.records_per_chunk,
                 "journal records per stored batch")
      ->capture_default_str()->check(CLI::Range(1, 1'000'000));
  app.add_option("--settled", o.settled, "the settled binary")->capture_default_str();
  app.add_option("--listen-timeout-s", o.listen_timeout_s,
                 "give up when settled has not listened after this long")
      ->capture_default_str()->check(CLI::Range(1.0, 86'400.0));
  app.add_option("--perf", o.perf_file,
                 "record a perf profile (cpu-clock, DWARF call graphs) of settled's start into "
                 "this file");
  app.add_flag("--keep", o.keep, "keep the temporary directory (Redis data, settled's log)");
  app.add_flag("--json", o.json, "print one JSON object instead of the summary");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);  // what CLI11_PARSE does
  }
  if (o.records > o.accounts) {
    std::cerr << "settle-recovery-bench: --records must not exceed --accounts (one deposit "
                 "per account)\n";
    return 2;
  }
  if (access(o.settled.c_str(), X_OK) != 0) {
    std::cerr << "settle-recovery-bench: settled not found or not executable at '" << o.settled
              << "' (build it, or pass --settled PATH)\n";
    return 2;
  }
  if (!o.perf_file.empty())
    o.perf_file = std::filesystem::absolute(o.perf_file).string();
  return std::nullopt;
}

/// The options of the benchmark's own redis-server, in `dir`.
persistence::redis_server_options redis_options(const temp_dir& dir) {
  persistence::redis_server_options ro;
  ro.dir = dir.path() + "/redis";
  ro.unix_socket = dir.path() + "/redis.sock";
  ro.appendfsync = "everysec";
  ro.die_with_parent = true;
  return ro;
}

/// Writes the state to recover through the persistence APIs; fills the preparation figures.
void prepare(const persistence::redis_address& addr, const options& o, bench_results& r) {
  prepare_options po;
  po.accounts = o.accounts;
  po.records = o.records;
  po.shards = o.shards;
  po.records_per_chunk = o.records_per_chunk;
  r.prep = prepare_state(addr, po);
  r.redis_used_memory_bytes = redis_used_memory_bytes(addr);
}

/// The three steps (see the top of this file) and the summary; throws on a failure.
void run(const options& o) {
  bench_results r;
  r.accounts = o.accounts;
  r.records = o.records;
  r.shards = o.shards;
  temp_dir dir{o.keep};
  persistence::redis_server redis{redis_options(dir)};
  persistence::redis_address addr;
  addr.unix_socket = redis.unix_socket();
  addr.timeout_ms = 60'000;  // big snapshot chunks on a busy machine

  progress(o, fmt::format("preparing {} accounts and {} journal records in {} ...", o.accounts,
                          o.records, dir.path()));
  prepare(addr, o, r);

  progress(o, "loading it once in process (persistence::load_image) ...");
  verify_prepared(addr, o, r);

  progress(o, "starting settled: " + o.settled + " ...");
  run_settled(o, dir, redis.unix_socket(), r);
  if (o.keep)
    r.kept_dir = dir.path();
  r.perf_file = o.perf_file;
  if (o.json)
    print_json(std::cout, r);
  else
    print_text(std::cout, r);
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  if (auto status = parse_options(argc, argv, o))
    return *status;
  // The client writes to settled's socket; a closed one must be an error, not a signal.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    run(o);
    return 0;  // a measurement, not a test: the verdict on the target is in the output
  } catch (const std::exception& e) {
    std::cerr << "settle-recovery-bench: " << e.what() << "\n";
    return 1;
  }
}
