#include "persistence/redis_event_publisher.hpp"

#include <utility>

#include "persistence/records_to_events.hpp"
#include "persistence/redis_connection.hpp"
#include "protocol/codec.hpp"

namespace settle::persistence {

std::string events_channel(const redis_event_options& opts, uint32_t shard) {
  return opts.channel_prefix + std::to_string(shard);
}

std::string partner_channel(const redis_event_options& opts) {
  return opts.channel_prefix + "partners";
}

redis_event_publisher::redis_event_publisher(redis_event_options opts)
    : opts_(std::move(opts)), partners_channel_(partner_channel(opts_)) {
  thread_ = std::thread([this] { run(); });
}

redis_event_publisher::~redis_event_publisher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  disconnect();
}

void redis_event_publisher::durable(uint32_t shard, uint32_t records, std::string bytes) {
  item it;
  it.shard = shard;
  it.records = records;
  it.bytes = std::move(bytes);
  enqueue(std::move(it));
}

void redis_event_publisher::partner_totals(std::vector<protocol::event> events) {
  if (events.empty())
    return;
  item it;
  it.partners = true;
  it.events = std::move(events);
  enqueue(std::move(it));
}

void redis_event_publisher::enqueue(item it) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.size() >= opts_.max_queued_batches) {
      ++dropped_;
      return;
    }
    queue_.push_back(std::move(it));
    wake = idle_;  // a busy thread takes the queue when its round trip is over
  }
  if (wake)
    wake_.notify_one();
}

void redis_event_publisher::disconnect() {
  conn_.reset();
}

bool redis_event_publisher::ensure_connected() {
  if (conn_ && !conn_->broken())
    return true;
  disconnect();
  const auto now = std::chrono::steady_clock::now();
  if (now < next_connect_)
    return false;
  redis_address where = opts_.address;
  where.timeout_ms = opts_.timeout_ms;
  conn_ = redis_connection::try_connect(where);
  // Redis away: what is queued meanwhile is counted failed (at most once, never retried).
  if (!conn_)
    next_connect_ = now + std::chrono::milliseconds(opts_.reconnect_interval_ms);
  return conn_ != nullptr;
}

void redis_event_publisher::publish(std::deque<item>& work) {
  if (!ensure_connected()) {
    failed_ += work.size();
    work.clear();
    return;
  }
  size_t sent = 0;
  std::vector<protocol::event> events;
  for (auto& it : work) {
    if (!it.partners) {
      events.clear();
      if (!events_of_records(it.bytes, it.records, events)) {
        ++failed_;
        continue;
      }
      if (events.empty()) {
        ++skipped_;
        continue;
      }
    }
    body_.clear();
    protocol::encode_event_array(it.partners ? it.events : events, body_);
    if (!it.partners && it.shard >= shard_channels_.size())
      for (auto s = static_cast<uint32_t>(shard_channels_.size()); s <= it.shard; ++s)
        shard_channels_.push_back(events_channel(opts_, s));
    const std::string& channel = it.partners ? partners_channel_ : shard_channels_[it.shard];
    conn_->append({"PUBLISH", channel, std::string_view{body_.data(), body_.size()}});
    ++sent;
  }
  work.clear();
  for (size_t i = 0; i < sent; ++i) {
    auto reply = conn_->read_reply();
    if (!reply) {
      // Down, or slower than timeout_ms: whether the rest went out is unknown; they are not
      // sent again (at most once).
      failed_ += sent - i;
      disconnect();
      next_connect_ = std::chrono::steady_clock::now() +
                      std::chrono::milliseconds(opts_.reconnect_interval_ms);
      return;
    }
    if (reply->type == REDIS_REPLY_INTEGER)
      ++published_;
    else
      ++failed_;  // an error reply (e.g. a Redis that refuses commands while loading)
  }
}

void redis_event_publisher::run() {
  ensure_connected();  // early, so the first batch does not wait for a connect
  std::deque<item> work;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      idle_ = true;
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      idle_ = false;
      if (queue_.empty())
        return;  // stopping, and everything queued went out (or was counted)
      work.swap(queue_);
    }
    publish(work);
  }
}

}  // namespace settle::persistence
