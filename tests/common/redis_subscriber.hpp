// A Redis Pub/Sub follower for tests: a SUBSCRIBE (or PSUBSCRIBE) connection on its own
// thread (persistence's redis_connection, read directly), the way any Redis client would follow
// settled's event channels.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "persistence/redis_connection.hpp"

namespace settle::testing {

/// Subscribes to `channels` (patterns with `pattern`) on a Unix socket and keeps every message.
/// Reconnects (and subscribes again) when Redis goes away; connections() tells how often.
class redis_subscriber {
public:
  struct message {
    std::string channel;
    std::string body;
  };

  redis_subscriber(std::string unix_socket, std::vector<std::string> channels,
                   bool pattern = false)
      : socket_(std::move(unix_socket)), channels_(std::move(channels)), pattern_(pattern) {
    thread_ = std::thread([this] { run(); });
  }
  ~redis_subscriber() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      if (conn_ != nullptr)
        ::shutdown(conn_->context()->fd, SHUT_RDWR);  // ends the blocking read
    }
    changed_.notify_all();
    thread_.join();
  }
  redis_subscriber(const redis_subscriber&) = delete;
  redis_subscriber& operator=(const redis_subscriber&) = delete;

  /// Waits until every channel is subscribed on a connection made after `after` earlier ones
  /// (0: the first). Returns the connection's number (0 when it timed out).
  uint64_t wait_subscribed(uint64_t after = 0,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return subscribed_ && connection_ > after; });
    return subscribed_ && connection_ > after ? connection_ : 0;
  }
  /// Waits until at least `n` messages came; returns how many there are.
  size_t wait_count(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return messages_.size() >= n; });
    return messages_.size();
  }
  std::vector<message> messages() {
    std::lock_guard<std::mutex> lock(mutex_);
    return messages_;
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return messages_.size();
  }
  /// The messages that came on `channel`, in order.
  std::vector<message> on(const std::string& channel) {
    std::vector<message> out;
    for (auto& m : messages())
      if (m.channel == channel)
        out.push_back(m);
    return out;
  }
  /// How many connections were made so far.
  uint64_t connections() {
    std::lock_guard<std::mutex> lock(mutex_);
    return connection_;
  }
  /// Replies that were neither Pub/Sub messages nor confirmations (should stay 0).
  size_t oddities() {
    std::lock_guard<std::mutex> lock(mutex_);
    return oddities_;
  }

private:
  static std::string str(const redisReply* r) { return std::string(r->str, r->len); }

  void run() {
    persistence::redis_address where;
    where.unix_socket = socket_;
    where.timeout_ms = 0;  // a subscriber waits for messages as long as it takes
    for (;;) {
      auto c = persistence::redis_connection::try_connect(where);
      {
        std::unique_lock<std::mutex> lock(mutex_);
        if (stopping_)
          return;
        if (c == nullptr) {
          changed_.wait_for(lock, std::chrono::milliseconds(20), [&] { return stopping_; });
          continue;
        }
        conn_ = c.get();
        ++connection_;
        subscribed_ = false;
      }
      for (const auto& ch : channels_)
        c->append({pattern_ ? "PSUBSCRIBE" : "SUBSCRIBE", ch});
      size_t confirmed = 0;
      while (auto r = c->read_reply()) {  // none: stopping, or Redis went away
        std::lock_guard<std::mutex> lock(mutex_);
        take(r.get(), confirmed);
        changed_.notify_all();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      conn_ = nullptr;
      subscribed_ = false;
    }
  }

  /// One reply on a subscribed connection. Under mutex_.
  void take(const redisReply* r, size_t& confirmed) {
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
        r->element[0]->type != REDIS_REPLY_STRING) {
      ++oddities_;
      return;
    }
    const std::string kind = str(r->element[0]);
    if (kind == "subscribe" || kind == "psubscribe") {
      if (++confirmed == channels_.size())
        subscribed_ = true;
    } else if (kind == "message" && r->elements == 3) {
      messages_.push_back({str(r->element[1]), str(r->element[2])});
    } else if (kind == "pmessage" && r->elements == 4) {
      messages_.push_back({str(r->element[2]), str(r->element[3])});
    } else {
      ++oddities_;
    }
  }

  std::string socket_;
  std::vector<std::string> channels_;
  bool pattern_;
  std::mutex mutex_;
  std::condition_variable changed_;
  persistence::redis_connection* conn_ = nullptr;  // the current one, owned by run()
  bool stopping_ = false;
  bool subscribed_ = false;
  uint64_t connection_ = 0;
  size_t oddities_ = 0;
  std::vector<message> messages_;
  std::thread thread_;
};

}  // namespace settle::testing
