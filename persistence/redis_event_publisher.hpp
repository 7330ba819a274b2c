// Publishes the balance events of every durable journal batch, and partner totals, to Redis
// Pub/Sub (channels in docs/protocol.md, "Redis channels"), so any Redis client can follow
// them. At most once, and never in the way of an acknowledgement: its own thread and its own
// connection; the journal writer only hands it the batch's record bytes.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <memory>

#include "persistence/event_feed.hpp"
#include "persistence/redis_address.hpp"
#include "protocol/messages.hpp"

namespace settle::persistence {

class redis_connection;

/// Where and how events are published.
struct redis_event_options {
  redis_address address;  // where Redis is (its timeout_ms is not used: timeout_ms below is)
  std::string channel_prefix = "settle:events:";  // channels: prefix + shard, prefix + "partners"
  uint32_t max_queued_batches = 4096;  // waiting batches beyond this are dropped (and counted)
  uint32_t timeout_ms = 1000;          // connect and round trip; slower counts as a failure
  uint32_t reconnect_interval_ms = 100;  // after a failure: how often to try to connect again
};

/// The channel of a journal shard's balance events: `<prefix><shard>`.
std::string events_channel(const redis_event_options& opts, uint32_t shard);
/// The channel of partner totals: `<prefix>partners`.
std::string partner_channel(const redis_event_options& opts);

/// One PUBLISH per durable journal batch on its shard's channel, the message being a msgpack
/// array of the batch's balance events (protocol::encode_event_array of events_of_records) in
/// journal order; a batch with no event (only notes) publishes nothing and counts as skipped.
/// The thread pipelines everything queued in one round trip. Failures never reach the caller:
/// a batch whose PUBLISH failed or is unconfirmed (Redis down, refusing, slower than
/// timeout_ms) is counted failed and not retried, and the connection is retried every
/// reconnect_interval_ms; batches beyond max_queued_batches are dropped and counted. The
/// process must ignore SIGPIPE (settled does).
class redis_event_publisher final : public durable_feed {
public:
  /// Starts the thread, which connects. Does not throw when Redis is unreachable.
  explicit redis_event_publisher(redis_event_options opts);
  /// Publishes what is queued (once, if Redis answers) and stops the thread.
  ~redis_event_publisher() override;
  redis_event_publisher(const redis_event_publisher&) = delete;
  redis_event_publisher& operator=(const redis_event_publisher&) = delete;

  /// Queues a durable batch's records (the journal writer's thread). Never blocks on Redis.
  void durable(uint32_t shard, uint32_t records, std::string bytes) override;
  /// Queues partner events, published together as one array on partner_channel(). Any
  /// thread; never blocks on Redis. Nothing for an empty vector.
  void partner_totals(std::vector<protocol::event> events);

  const redis_event_options& options() const { return opts_; }
  /// Batches (journal batches and partner arrays) Redis took a PUBLISH of.
  uint64_t published_batches() const { return published_.load(); }
  /// Batches whose PUBLISH failed or went unconfirmed (Redis down, an error reply, a timeout),
  /// or whose records could not be decoded.
  uint64_t failed_batches() const { return failed_.load(); }
  /// Batches dropped because max_queued_batches were already waiting.
  uint64_t dropped_batches() const { return dropped_.load(); }
  /// Journal batches without any event (only notes): nothing to publish.
  uint64_t skipped_batches() const { return skipped_.load(); }

private:
  /// A journal batch (records, bytes) or partner events (`partners`).
  struct item {
    bool partners = false;
    uint32_t shard = 0;
    uint32_t records = 0;
    std::string bytes;
    std::vector<protocol::event> events;
  };
  void enqueue(item it);
  void run();
  /// Publishes `work` in one pipelined round trip; counts every item.
  void publish(std::deque<item>& work);
  /// Connected, or connected now (at most once per reconnect_interval_ms).
  bool ensure_connected();
  void disconnect();

  redis_event_options opts_;
  std::string partners_channel_;
  std::vector<std::string> shard_channels_;  // by shard, grown as shards show up
  std::unique_ptr<redis_connection> conn_;  // publisher thread only
  std::chrono::steady_clock::time_point next_connect_{};
  std::vector<char> body_;  // reused per message

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<item> queue_;
  bool idle_ = false;  // the thread waits for work (enqueue wakes it)
  bool stopping_ = false;
  std::atomic<uint64_t> published_{0}, failed_{0}, dropped_{0}, skipped_{0};
  std::thread thread_;
};

}  // namespace settle::persistence
