#include "persistence/redis_journal.hpp"

#include <chrono>
#include <stdexcept>

#include <hiredis/hiredis.h>

#include "persistence/journal_batch.hpp"
#include "persistence/redis_connect.hpp"

namespace settle::persistence {

redisContext* open_redis(const std::string& unix_socket, const std::string& host, uint16_t port,
                         uint32_t timeout_ms) {
  timeval tv{static_cast<time_t>(timeout_ms / 1000),
             static_cast<suseconds_t>((timeout_ms % 1000) * 1000)};
  redisContext* c = unix_socket.empty() ? redisConnectWithTimeout(host.c_str(), port, tv)
                                        : redisConnectUnixWithTimeout(unix_socket.c_str(), tv);
  if (c == nullptr)
    return nullptr;
  if (c->err != 0 || redisSetTimeout(c, tv) != REDIS_OK) {
    redisFree(c);
    return nullptr;
  }
  return c;
}

namespace {

redisContext* open_context(const redis_journal_options& o) {
  return open_redis(o.unix_socket, o.host, o.port, o.deadline_ms);
}

/// The batch bytes of stream entries in `reply` (an XRANGE/XREVRANGE array).
void collect_entries(const redisReply* reply, std::vector<std::string>& out) {
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* entry = reply->element[i];
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2)
      throw std::runtime_error("journal stream entry has an unexpected shape");
    const redisReply* fields = entry->element[1];
    if (fields->type != REDIS_REPLY_ARRAY || fields->elements != 2 ||
        fields->element[1]->type != REDIS_REPLY_STRING)
      throw std::runtime_error("journal stream entry has no batch field");
    out.emplace_back(fields->element[1]->str, fields->element[1]->len);
  }
}

}  // namespace

std::string journal_stream_key(const redis_journal_options& opts, uint32_t shard) {
  return opts.stream_prefix + std::to_string(shard);
}

std::vector<std::string> read_journal_stream(const redis_journal_options& opts, uint32_t shard) {
  redisContext* c = open_context(opts);
  if (c == nullptr)
    throw std::runtime_error("cannot connect to Redis to read the journal");
  std::vector<std::string> out;
  std::string key = journal_stream_key(opts, shard);
  std::string from = "-";
  for (;;) {
    auto* reply = static_cast<redisReply*>(
        redisCommand(c, "XRANGE %s %s + COUNT 1000", key.c_str(), from.c_str()));
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
      if (reply != nullptr)
        freeReplyObject(reply);
      redisFree(c);
      throw std::runtime_error("reading the journal stream failed");
    }
    size_t n = reply->elements;
    std::string last_id;
    if (n > 0)
      last_id.assign(reply->element[n - 1]->element[0]->str, reply->element[n - 1]->element[0]->len);
    collect_entries(reply, out);
    freeReplyObject(reply);
    if (n < 1000)
      break;
    from = "(" + last_id;  // exclusive start after the last entry read
  }
  redisFree(c);
  return out;
}

redis_journal_writer::redis_journal_writer(redis_journal_options opts)
    : opts_(std::move(opts)),
      outcomes_(opts_.shards),
      seq_(opts_.shards, 0),
      prev_hash_(opts_.shards, 0),
      failed_below_(opts_.shards, 0),
      by_shard_(opts_.shards),
      published_seq_(opts_.shards, 0) {
  if (opts_.shards == 0)
    throw std::invalid_argument("the journal needs at least one shard");
  for (uint32_t s = 0; s < opts_.shards; ++s)
    keys_.push_back(journal_stream_key(opts_, s));
  if (!connect())
    throw std::runtime_error("cannot connect to Redis for the journal");
  if (!resync())
    throw std::runtime_error("cannot read where the journal stands: " + resync_error_);
  synced_ = true;
  thread_ = std::thread([this] { run(); });
}

redis_journal_writer::~redis_journal_writer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  // Whatever is still in doubt stays unknown: the engine is going away, recovery decides.
  if (ctx_ != nullptr)
    redisFree(ctx_);
}

void redis_journal_writer::set_feed(std::shared_ptr<durable_feed> feed) {
  std::lock_guard<std::mutex> lock(mutex_);
  feed_ = std::move(feed);
}

void redis_journal_writer::attach(uint32_t shard, chunk_outcome done) {
  std::lock_guard<std::mutex> lock(mutex_);
  outcomes_.at(shard) = std::move(done);
}

bool redis_journal_writer::connect() {
  if (ctx_ != nullptr)
    redisFree(ctx_);
  ctx_ = open_context(opts_);
  return ctx_ != nullptr;
}

bool redis_journal_writer::resync() {
  std::vector<uint64_t> seq(opts_.shards, 0), hash(opts_.shards, 0);
  for (uint32_t s = 0; s < opts_.shards; ++s)
    redisAppendCommand(ctx_, "XREVRANGE %s + - COUNT 1", keys_[s].c_str());
  bool ok = true;
  for (uint32_t s = 0; s < opts_.shards; ++s) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK) {
      resync_error_ = "no answer from Redis";
      redisFree(ctx_);
      ctx_ = nullptr;
      return false;
    }
    auto* reply = static_cast<redisReply*>(raw);
    if (!ok || reply->type != REDIS_REPLY_ARRAY) {
      if (ok)
        resync_error_ = "unexpected answer reading journal shard " + std::to_string(s);
      ok = false;
      freeReplyObject(reply);
      continue;
    }
    std::vector<std::string> last;
    try {
      collect_entries(reply, last);
    } catch (const std::exception& e) {
      resync_error_ = e.what();
      ok = false;
    }
    freeReplyObject(reply);
    if (!ok || last.empty())
      continue;
    journal_batch b;
    std::string why;
    if (!decode_batch(last.back(), b, hash[s], why)) {
      resync_error_ = "journal shard " + std::to_string(s) + ": last batch is damaged: " + why;
      ok = false;
      continue;
    }
    seq[s] = b.seq + 1;
  }
  if (!ok)
    return false;
  seq_ = seq;
  prev_hash_ = hash;
  // Batches whose round trip failed without an answer: they landed iff the chain has it.
  auto doubts = std::move(in_doubt_);
  in_doubt_.clear();
  for (auto& d : doubts) {
    if (seq_[d.chunks.shard] > d.batch_seq)
      report_durable(d.chunks, std::move(d.records));
    else
      report(d.chunks, durability::failed);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    published_seq_ = seq_;
  }
  return true;
}

bool redis_journal_writer::ensure_synced() {
  if (ctx_ != nullptr && ctx_->err == 0 && synced_)
    return true;
  // Reconnect and learn where every chain stands (batches in doubt may have landed) before
  // writing anything: a later batch must never land after a gap.
  bool connected = ctx_ != nullptr && ctx_->err == 0;
  if (!connected)
    connected = connect();
  synced_ = connected && resync();
  if (!synced_) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++failed_round_trips_;
  }
  return synced_;
}

bool redis_journal_writer::append(journal_chunk chunk) {
  if (chunk.shard >= opts_.shards || chunk.records == 0)
    return false;
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!queue_.empty() && queued_records_ + chunk.records > opts_.max_queued_records)
      return false;
    queued_records_ += chunk.records;
    queue_.push_back(std::move(chunk));
    // Wake the writer only when it waits for a first chunk or the batch is full: waking it
    // for every chunk while it gathers a batch cost a futex round per chunk.
    wake = writer_idle_ || queued_records_ >= opts_.max_batch_records;
  }
  if (wake)
    wake_.notify_one();
  return true;
}

void redis_journal_writer::report(const chunk_range& r, durability d) {
  if (d == durability::failed)
    failed_below_[r.shard] = std::max(failed_below_[r.shard], r.max_epoch + 1);
  chunk_outcome done;
  {
    // A copy under the lock: attach() may replace it meanwhile (a shard going away).
    std::lock_guard<std::mutex> lock(mutex_);
    if (d == durability::durable)
      records_ += r.records;
    done = outcomes_[r.shard];
  }
  if (done)
    done(r.first, r.last, d);
}

void redis_journal_writer::report_durable(const chunk_range& r, std::string records) {
  report(r, durability::durable);
  if (feed_in_use_)
    feed_in_use_->durable(r.shard, r.records, std::move(records));
}

void redis_journal_writer::write(std::vector<journal_chunk>& batch) {
  // Per shard, in append order; chunks of an epoch that already failed go no further.
  for (auto& c : batch)
    by_shard_[c.shard].push_back(std::move(c));
  batch.clear();
  std::vector<chunk_range> ranges;
  for (uint32_t s = 0; s < opts_.shards; ++s) {
    auto& chunks = by_shard_[s];
    if (chunks.empty())
      continue;
    chunk_range poisoned{s, 0, 0, 0, 0}, live{s, 0, 0, 0, 0};
    bool any_poisoned = false, any_live = false;
    for (const auto& c : chunks) {
      auto& r = c.epoch < failed_below_[s] ? poisoned : live;
      bool& any = c.epoch < failed_below_[s] ? any_poisoned : any_live;
      if (!any)
        r.first = c.seq;
      any = true;
      r.last = c.seq;
      r.max_epoch = std::max(r.max_epoch, c.epoch);
      r.records += c.records;
    }
    if (any_poisoned)
      report(poisoned, durability::failed);
    if (any_live)
      ranges.push_back(live);
    else
      chunks.clear();
  }
  if (ranges.empty())
    return;
  if (!ensure_synced()) {
    for (auto& r : ranges) {
      by_shard_[r.shard].clear();
      report(r, durability::failed);
    }
    return;
  }
  struct sent {
    chunk_range chunks;
    uint64_t hash;
    std::string records;  // for the feed: the record bytes (empty without one)
  };
  std::vector<sent> order;
  order.reserve(ranges.size());
  for (const auto& r : ranges) {
    auto& chunks = by_shard_[r.shard];
    begin_batch(batch_bytes_, r.shard, seq_[r.shard], prev_hash_[r.shard], r.records);
    const size_t header = batch_bytes_.size();
    for (const auto& c : chunks)
      if (c.epoch >= failed_below_[r.shard])
        batch_bytes_.append(c.bytes);
    chunks.clear();
    std::string records;
    if (feed_in_use_)
      records.assign(batch_bytes_, header, batch_bytes_.size() - header);
    uint64_t hash = end_batch(batch_bytes_);
    redisAppendCommand(ctx_, "XADD %s * b %b", keys_[r.shard].c_str(), batch_bytes_.data(),
                       batch_bytes_.size());
    order.push_back({r, hash, std::move(records)});
  }
  bool connection_lost = false;
  for (auto& o : order) {
    if (connection_lost) {
      in_doubt_.push_back({o.chunks, seq_[o.chunks.shard], std::move(o.records)});
      continue;
    }
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK) {
      // Timeout or connection loss: this batch and the ones after it may or may not have
      // landed. Say so now; the reconnect settles them.
      connection_lost = true;
      in_doubt_.push_back({o.chunks, seq_[o.chunks.shard], std::move(o.records)});
      continue;
    }
    auto* reply = static_cast<redisReply*>(raw);
    bool ok = reply->type == REDIS_REPLY_STRING;
    freeReplyObject(reply);
    if (ok) {
      seq_[o.chunks.shard] += 1;
      prev_hash_[o.chunks.shard] = o.hash;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++batches_;
        published_seq_[o.chunks.shard] = seq_[o.chunks.shard];
      }
      report_durable(o.chunks, std::move(o.records));
    } else {
      // An error reply (e.g. OOM): this batch was not written; the connection is still good.
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++failed_round_trips_;
      }
      report(o.chunks, durability::failed);
    }
  }
  if (connection_lost) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++failed_round_trips_;
    }
    redisFree(ctx_);
    ctx_ = nullptr;
    synced_ = false;
    for (auto& d : in_doubt_)
      report(d.chunks, durability::uncertain);
  }
}

void redis_journal_writer::run() {
  std::vector<journal_chunk> batch;
  for (;;) {
    bool resync_due = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      writer_idle_ = true;
      if (in_doubt_.empty()) {
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      } else {
        // Batches are in doubt: settle them even if nothing new comes (their shards wait).
        resync_due = !wake_.wait_for(lock, std::chrono::milliseconds(opts_.resync_interval_ms),
                                     [&] { return stopping_ || !queue_.empty(); });
      }
      writer_idle_ = false;
      if (feed_in_use_ != feed_)  // set_feed() before the first append: seen from here on
        feed_in_use_ = feed_;
      if (queue_.empty() && stopping_)
        return;
      if (!resync_due) {
        // Group commit: give the batch up to max_batch_delay_us to fill.
        auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::microseconds(opts_.max_batch_delay_us);
        while (opts_.max_batch_delay_us > 0 && !stopping_ &&
               queued_records_ < opts_.max_batch_records &&
               wake_.wait_until(lock, deadline) != std::cv_status::timeout) {
        }
        // Whole chunks only; the first one goes even if it alone exceeds the batch size.
        size_t taken = 0;
        while (!queue_.empty() &&
               (batch.empty() || taken + queue_.front().records <= opts_.max_batch_records)) {
          taken += queue_.front().records;
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        queued_records_ -= taken;
      }
    }
    if (resync_due) {
      ensure_synced();
      continue;
    }
    write(batch);
    batch.clear();
  }
}

uint64_t redis_journal_writer::batches_written() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return batches_;
}

uint64_t redis_journal_writer::records_written() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return records_;
}

uint64_t redis_journal_writer::round_trips_failed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failed_round_trips_;
}

uint64_t redis_journal_writer::next_seq(uint32_t shard) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return published_seq_.at(shard);
}

}  // namespace settle::persistence
