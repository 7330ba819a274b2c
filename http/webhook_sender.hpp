// The alert webhook: each [[alerts]] alert that fires or resolves is POSTed as JSON to one
// URL by a thread of its own, so a slow or dead receiver never holds up the alerting thread.
// Bounded: at most max_queue alerts wait (beyond it the newest is dropped and counted); each
// is tried max_attempts times, waiting retry_ms before the first retry and twice as long
// before each next one, then given up (logged and counted).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace settle::http {

struct webhook_options {
  std::string host;
  uint16_t port = 80;
  std::string target = "/";
  uint32_t max_queue = 1000;
  uint32_t timeout_ms = 2000;  // one POST: connect, send and answer
  uint32_t max_attempts = 5;
  uint32_t retry_ms = 500;
  std::function<void(const std::string&)> log;  // failures (any thread)
};

class webhook_sender {
public:
  explicit webhook_sender(webhook_options opts);
  ~webhook_sender();  // drops what still waits
  webhook_sender(const webhook_sender&) = delete;
  webhook_sender& operator=(const webhook_sender&) = delete;

  /// Queues one JSON body; false (counted in dropped()) when max_queue already wait.
  bool post(std::string body);

  uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }
  uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

private:
  void run();
  /// One POST; "" when the receiver answered 2xx, else why not.
  std::string post_once(const std::string& body);
  /// Sleeps `ms` unless stopping; false when stopping.
  bool pause(uint32_t ms);

  webhook_options opts_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  bool stop_ = false;
  std::atomic<uint64_t> sent_{0}, failed_{0}, dropped_{0};
  std::thread thread_;
};

}  // namespace settle::http
