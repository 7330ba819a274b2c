// Event subscribers beside a load: N extra connections to the engine, each subscribed to K
// players of the load's population and one of its partners, all drained by one thread with
// one poll() over every socket. Events are counted, not decoded (protocol::is_event per
// frame); only a stream's last event is read, to name why the engine closed it.
#pragma once

#include <poll.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/load_runner.hpp"
#include "bench/workload.hpp"

namespace settle::bench {

/// Who subscribes, and to how much.
struct subscriber_options {
  std::string connect = "127.0.0.1:7400";  // engine HOST:PORT
  std::string token;                       // an admin or viewer token
  int subscribers = 0;                     // connections
  int accounts_each = 10;                  // players per subscription, drawn uniformly
};

/// What the subscribers received.
struct subscriber_stats {
  int subscribers = 0;
  int accounts_each = 0;
  uint64_t events = 0;       // received in the load's measured window
  double events_per_s = 0;   // events / measured seconds
  uint64_t events_total = 0; // from subscribing to the end, current states included
  std::vector<std::pair<int, std::string>> closed;  // (subscriber, reason) the engine closed
  std::string failure;       // the drain thread stopped on this error (empty: it did not)
};

/// The subscribers, as a load_observer: prepare() connects, says hello and subscribes every
/// connection (throws std::runtime_error on a failure or refusal), start() starts the drain
/// thread, stop() joins it; stats() then holds the figures.
class subscriber_pool final : public load_observer {
public:
  subscriber_pool(subscriber_options o, const workload_options& load);
  ~subscriber_pool() override;
  subscriber_pool(const subscriber_pool&) = delete;
  subscriber_pool& operator=(const subscriber_pool&) = delete;

  void prepare() override;
  void start(time_point measure_from, time_point stop_at) override;
  void stop() override;

  /// Valid after stop().
  const subscriber_stats& stats() const { return stats_; }
  /// One line for the text report (no newline).
  std::string to_text() const;
  /// The figures as JSON object members, each `,"key":value` (for bench::to_json).
  std::string json_members() const;

private:
  struct subscriber;
  /// Waits up to `timeout_ms` for any socket, reads what came and counts its frames.
  void pump(int timeout_ms);
  void read_from(subscriber& s);
  void close(subscriber& s, std::string reason);

  subscriber_options o_;
  const workload_options& load_;
  std::vector<std::unique_ptr<subscriber>> subs_;
  std::vector<pollfd> fds_;  // one per subscriber; fd -1 once closed
  std::vector<char> buf_;
  time_point measure_from_{}, stop_at_{};
  subscriber_stats stats_;
  std::atomic<bool> stopping_{false};
  std::thread drain_;
};

}  // namespace settle::bench
