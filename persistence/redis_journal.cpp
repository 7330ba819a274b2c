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

std::string journal_stream_key(const redis_journal_options& opts) {
  return opts.stream_prefix + std::to_string(opts.shard);
}

std::vector<std::string> read_journal_stream(const redis_journal_options& opts) {
  redisContext* c = open_context(opts);
  if (c == nullptr)
    throw std::runtime_error("cannot connect to Redis to read the journal");
  std::vector<std::string> out;
  std::string key = journal_stream_key(opts);
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
    : opts_(std::move(opts)), key_(journal_stream_key(opts_)) {
  if (!connect())
    throw std::runtime_error("cannot connect to Redis for journal shard " +
                             std::to_string(opts_.shard));
  resync();
  thread_ = std::thread([this] { run(); });
}

redis_journal_writer::~redis_journal_writer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  if (ctx_ != nullptr)
    redisFree(ctx_);
}

bool redis_journal_writer::connect() {
  if (ctx_ != nullptr)
    redisFree(ctx_);
  ctx_ = open_context(opts_);
  return ctx_ != nullptr;
}

void redis_journal_writer::resync() {
  auto* reply = static_cast<redisReply*>(redisCommand(ctx_, "XREVRANGE %s + - COUNT 1", key_.c_str()));
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
    if (reply != nullptr)
      freeReplyObject(reply);
    throw std::runtime_error("cannot read journal shard " + std::to_string(opts_.shard));
  }
  std::vector<std::string> last;
  collect_entries(reply, last);
  freeReplyObject(reply);
  if (last.empty()) {
    seq_ = 0;
    prev_hash_ = 0;
    return;
  }
  journal_batch b;
  std::string why;
  if (!decode_batch(last.back(), b, prev_hash_, why))
    throw std::runtime_error("journal shard " + std::to_string(opts_.shard) +
                             ": last batch is damaged: " + why);
  seq_ = b.seq + 1;
}

bool redis_journal_writer::append(journal_record record, completion done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.size() >= opts_.max_queued_records)
      return false;
    queue_.push_back({std::move(record), std::move(done)});
  }
  wake_.notify_one();
  return true;
}

bool redis_journal_writer::write(std::vector<pending>& batch) {
  if (ctx_ == nullptr || ctx_->err != 0) {
    // Reconnect, and learn where the chain stands: an earlier failed batch may have landed.
    if (!connect())
      return false;
    try {
      resync();
    } catch (const std::exception&) {
      return false;
    }
  }
  journal_batch b;
  b.shard = opts_.shard;
  b.seq = seq_;
  b.prev_hash = prev_hash_;
  b.records.reserve(batch.size());
  for (auto& p : batch)
    b.records.push_back(p.record);
  uint64_t hash = 0;
  std::string bytes = encode_batch(b, hash);
  auto* reply = static_cast<redisReply*>(
      redisCommand(ctx_, "XADD %s * b %b", key_.c_str(), bytes.data(), bytes.size()));
  bool ok = reply != nullptr && reply->type == REDIS_REPLY_STRING;
  if (reply != nullptr)
    freeReplyObject(reply);
  if (ok) {
    seq_ += 1;
    prev_hash_ = hash;
  } else if (ctx_->err == 0) {
    // An error reply (e.g. OOM): nothing was written; the connection is still good.
  } else {
    // Timeout or connection loss: the batch may or may not have landed; resync on reconnect.
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  return ok;
}

void redis_journal_writer::run() {
  std::vector<pending> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_)
        return;
      // Group commit: give the batch up to max_batch_delay_us to fill.
      auto deadline = std::chrono::steady_clock::now() +
                      std::chrono::microseconds(opts_.max_batch_delay_us);
      while (!stopping_ && queue_.size() < opts_.max_batch_records &&
             wake_.wait_until(lock, deadline) != std::cv_status::timeout) {
      }
      size_t n = std::min<size_t>(queue_.size(), opts_.max_batch_records);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    bool durable = write(batch);
    if (durable) {
      std::lock_guard<std::mutex> lock(mutex_);
      ++batches_;
      records_ += batch.size();
    }
    for (auto& p : batch)
      p.done(durable);
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

uint64_t redis_journal_writer::next_seq() const {
  return seq_.load();
}

}  // namespace settle::persistence
