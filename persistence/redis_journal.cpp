#include "persistence/redis_journal.hpp"

#include <chrono>
#include <stdexcept>

#include <hiredis/hiredis.h>

#include "persistence/journal_batch.hpp"

namespace settle::persistence {

namespace {

redisContext* open_context(const redis_journal_options& o) {
  timeval tv{static_cast<time_t>(o.deadline_ms / 1000),
             static_cast<suseconds_t>((o.deadline_ms % 1000) * 1000)};
  redisContext* c = o.unix_socket.empty()
                        ? redisConnectWithTimeout(o.host.c_str(), o.port, tv)
                        : redisConnectUnixWithTimeout(o.unix_socket.c_str(), tv);
  if (c == nullptr)
    return nullptr;
  if (c->err != 0 || redisSetTimeout(c, tv) != REDIS_OK) {
    redisFree(c);
    return nullptr;
  }
  return c;
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
      seq_(opts_.shards, 0),
      prev_hash_(opts_.shards, 0),
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
  // Batches whose round trip failed without an answer: they landed iff the chain has them.
  for (auto& d : in_doubt_)
    settle(d.records, seq_[d.shard] > d.seq ? durability::durable : durability::failed);
  in_doubt_.clear();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    published_seq_ = seq_;
  }
  return true;
}

bool redis_journal_writer::append_group(uint32_t shard, std::vector<journal_record> records,
                                        completion done) {
  if (shard >= opts_.shards || records.empty())
    return false;
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queued_records_ + records.size() > opts_.max_queued_records)
      return false;
    queued_records_ += records.size();
    queue_.push_back({shard, std::move(records), std::move(done)});
    // Wake the writer only when it waits for a first record or the batch is full: waking it
    // for every record while it gathers a batch cost a futex round per record.
    wake = writer_idle_ || queued_records_ >= opts_.max_batch_records;
  }
  if (wake)
    wake_.notify_one();
  return true;
}

void redis_journal_writer::settle(std::vector<pending>& groups, durability d) {
  if (d == durability::durable) {
    size_t n = 0;
    for (const auto& p : groups)
      n += p.records.size();
    std::lock_guard<std::mutex> lock(mutex_);
    records_ += n;
  }
  for (auto& p : groups)
    p.done(d);
}

void redis_journal_writer::write(std::vector<pending>& batch) {
  if (ctx_ == nullptr || ctx_->err != 0 || !synced_) {
    // Reconnect and learn where every chain stands (earlier batches in doubt may have landed)
    // before writing anything: a later batch must never land after a gap.
    bool connected = ctx_ != nullptr && ctx_->err == 0;
    if (!connected)
      connected = connect();
    synced_ = connected && resync();
    if (!synced_) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++failed_round_trips_;
      }
      settle(batch, durability::failed);
      return;
    }
  }
  // Group by shard, keeping each shard's records in append order.
  std::vector<std::vector<pending>> by_shard(opts_.shards);
  for (auto& p : batch)
    by_shard[p.shard].push_back(std::move(p));
  batch.clear();
  struct sent {
    uint32_t shard;
    uint64_t hash;
  };
  std::vector<sent> order;
  for (uint32_t s = 0; s < opts_.shards; ++s) {
    if (by_shard[s].empty())
      continue;
    journal_batch b;
    b.shard = s;
    b.seq = seq_[s];
    b.prev_hash = prev_hash_[s];
    b.records.reserve(by_shard[s].size());
    for (auto& p : by_shard[s])
      b.records.insert(b.records.end(), p.records.begin(), p.records.end());
    uint64_t hash = 0;
    std::string bytes = encode_batch(b, hash);
    redisAppendCommand(ctx_, "XADD %s * b %b", keys_[s].c_str(), bytes.data(), bytes.size());
    order.push_back({s, hash});
  }
  bool connection_lost = false;
  for (const auto& o : order) {
    auto& records = by_shard[o.shard];
    if (connection_lost) {
      in_doubt_.push_back({o.shard, seq_[o.shard], std::move(records)});
      continue;
    }
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK) {
      // Timeout or connection loss: this batch and the ones after it may or may not have
      // landed. Say so now; the reconnect settles them.
      connection_lost = true;
      in_doubt_.push_back({o.shard, seq_[o.shard], std::move(records)});
      continue;
    }
    auto* reply = static_cast<redisReply*>(raw);
    bool ok = reply->type == REDIS_REPLY_STRING;
    freeReplyObject(reply);
    if (ok) {
      seq_[o.shard] += 1;
      prev_hash_[o.shard] = o.hash;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++batches_;
        published_seq_[o.shard] = seq_[o.shard];
      }
      settle(records, durability::durable);
    } else {
      // An error reply (e.g. OOM): this batch was not written; the connection is still good.
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++failed_round_trips_;
      }
      settle(records, durability::failed);
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
      for (auto& p : d.records)
        p.done(durability::uncertain);
  }
}

void redis_journal_writer::run() {
  std::vector<pending> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      writer_idle_ = true;
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      writer_idle_ = false;
      if (queue_.empty() && stopping_)
        return;
      // Group commit: give the batch up to max_batch_delay_us to fill.
      auto deadline = std::chrono::steady_clock::now() +
                      std::chrono::microseconds(opts_.max_batch_delay_us);
      while (!stopping_ && queued_records_ < opts_.max_batch_records &&
             wake_.wait_until(lock, deadline) != std::cv_status::timeout) {
      }
      // Whole groups only; the first one goes even if it alone exceeds the batch size.
      size_t taken = 0;
      while (!queue_.empty() &&
             (batch.empty() || taken + queue_.front().records.size() <= opts_.max_batch_records)) {
        taken += queue_.front().records.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_records_ -= taken;
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
