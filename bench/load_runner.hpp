// Runs one load against one wallet: setup, then N threads in a closed or open loop, with a
// progress line; returns throughput, latency percentiles and outcomes by code.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/histogram.hpp"
#include "bench/wallet_target.hpp"
#include "bench/workload.hpp"

namespace settle::bench {

/// How to run a load.
struct load_options {
  int connections = 8;
  int threads = 2;        // load threads; each drives its share of the connections
  int depth = 64;         // closed loop: in flight per connection; open loop: at most
  double rate_per_s = 0;  // > 0: open loop at this total offered rate
  int tick_us = 100;      // open loop: a thread wakes at most this often to send what is due
  double duration_s = 10;
  double warmup_s = 1;
  bool progress = true;   // a line per second on stderr
  workload_options load;
};

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
        out.emplace_back(protocol::to_string(static_cast<protocol::txn_status>(i)), status[i]);
    for (size_t i = 0; i < error.size(); ++i)
      if (error[i])
        out.emplace_back(protocol::to_string(static_cast<protocol::error_code>(i)), error[i]);
    return out;
  }
};

/// What a load measured.
struct load_result {
  std::string target;
  double setup_s = 0;
  uint64_t responses = 0;  // answered in the measured window
  double throughput_per_s = 0;
  double p50_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
  outcome_counts outcomes;
};

/// Something that runs beside the load (the event subscribers of bench/subscribers.hpp).
class load_observer {
public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~load_observer() = default;
  /// Called once setup is done, before the load's clock starts (connect, subscribe, ...).
  virtual void prepare() = 0;
  /// Called as the load starts, with its measured window.
  virtual void start(time_point measure_from, time_point stop_at) = 0;
  /// Called once the load threads are done (also when the load failed).
  virtual void stop() = 0;
};

/// Opens and funds the accounts through one target, then runs the load with one target per
/// connection, `threads` threads sharing them; `observer` (optional) is prepared after setup,
/// started with the load and stopped after it. Throws std::runtime_error when a connection
/// fails.
load_result run_load(const load_options& o,
                     const std::function<std::unique_ptr<wallet_target>()>& make_target,
                     load_observer* observer = nullptr);

/// `r` as one JSON object (no newline); `extra_members` (each `,"key":value`) is appended
/// inside it.
std::string to_json(const load_options& o, const load_result& r,
                    std::string_view extra_members = {});

}  // namespace settle::bench
