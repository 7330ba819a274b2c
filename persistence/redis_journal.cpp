#include "persistence/redis_journal.hpp"

#include <chrono>
#include <stdexcept>

#include "base/invariant.hpp"
#include "persistence/journal_batch.hpp"
#include "persistence/redis_connection.hpp"

namespace settle::persistence {

std::string journal_stream_key(const redis_journal_options& opts, uint32_t shard) {
  return journal_stream_key(opts.stream_prefix, shard);
}

redis_address journal_address(const redis_journal_options& o) {
  redis_address a = o.address;
  a.timeout_ms = o.deadline_ms;
  return a;
}

std::vector<std::string> read_journal_stream(const redis_journal_options& opts, uint32_t shard) {
  constexpr size_t page = 1000;
  redis_connection c{journal_address(opts)};
  std::string key = journal_stream_key(opts, shard);
  std::vector<std::string> out;
  std::string from = "-";
  for (;;) {
    auto entries = read_stream_page(c, key, from, page);
    for (auto& b : entries.batches)
      out.push_back(std::move(b));
    if (entries.ids.size() < page)
      return out;
    from = "(" + entries.ids.back();  // exclusive start after the last entry read
  }
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
  address_ = journal_address(opts_);
  for (uint32_t s = 0; s < opts_.shards; ++s)
    keys_.push_back(journal_stream_key(opts_, s));
  try {
    conn_ = std::make_unique<redis_connection>(address_);
  } catch (const redis_error& e) {
    throw std::runtime_error(std::string{"cannot connect to Redis for the journal: "} + e.what());
  }
  try {
    resync();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string{"cannot read where the journal stands: "} + e.what());
  }
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
}

void redis_journal_writer::set_feed(std::shared_ptr<durable_feed> feed) {
  std::lock_guard<std::mutex> lock(mutex_);
  feed_ = std::move(feed);
}

void redis_journal_writer::attach(uint32_t shard, chunk_outcome done) {
  std::lock_guard<std::mutex> lock(mutex_);
  outcomes_.at(shard) = std::move(done);
}

void redis_journal_writer::resync() {
  std::vector<uint64_t> seq(opts_.shards, 0), hash(opts_.shards, 0);
  for (uint32_t s = 0; s < opts_.shards; ++s)
    conn_->append({"XREVRANGE", keys_[s], "+", "-", "COUNT", "1"});
  std::string problem;  // the first one; every answer is read either way (the pipeline)
  for (uint32_t s = 0; s < opts_.shards; ++s) {
    auto reply = conn_->read_reply();
    if (!reply) {
      std::string why{conn_->failure()};
      conn_.reset();
      throw redis_error("Redis at " + address_.name() + ": no answer reading journal shard " +
                        std::to_string(s) + ": " + why);
    }
    if (!problem.empty())
      continue;
    if (reply->type == REDIS_REPLY_ERROR) {  // e.g. LOADING: a Redis that is starting
      problem = "Redis at " + address_.name() + ": XREVRANGE " + keys_[s] + ": " +
                std::string{reply_text(reply.get())};
      continue;
    }
    try {
      auto last = parse_stream_entries(reply.get(), keys_[s]);
      if (!last.batches.empty()) {
        auto d = decode_batch(last.batches.back());
        seq[s] = d.batch.seq + 1;
        hash[s] = d.hash;
      }
    } catch (const journal_format_error& e) {
      problem = "journal shard " + std::to_string(s) + ": last batch is damaged: " + e.what();
    } catch (const std::runtime_error& e) {
      problem = e.what();
    }
  }
  if (!problem.empty())
    throw std::runtime_error(problem);
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
  std::lock_guard<std::mutex> lock(mutex_);
  published_seq_ = seq_;
}

bool redis_journal_writer::ensure_synced() {
  if (conn_ && !conn_->broken() && synced_)
    return true;
  // Reconnect and learn where every chain stands (batches in doubt may have landed) before
  // writing anything: a later batch must never land after a gap.
  synced_ = false;
  if (!conn_ || conn_->broken())
    conn_ = redis_connection::try_connect(address_);
  if (conn_) {
    try {
      resync();
      synced_ = true;
      if (opts_.metrics)  // Redis answers again: healthy before the next write, even if idle
        opts_.metrics->journal_healthy.store(true, std::memory_order_relaxed);
    } catch (const std::runtime_error&) {
      // Loading, refusing, or gone again: counted like a failed round trip below.
    }
  }
  if (!synced_)
    count_failure();  // the next round trip (or the resync timer) tries again
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
  auto ranges = take_chunks(batch);
  if (ranges.empty())
    return;
  if (!ensure_synced()) {
    for (auto& r : ranges) {
      by_shard_[r.shard].clear();
      report(r, durability::failed);
    }
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  const uint64_t failures_before = failed_round_trips_;  // written on this thread only
  auto order = send(ranges);
  if (auto* m = opts_.metrics.get()) {  // before collect() releases the answers
    uint64_t records = 0;
    for (const auto& r : ranges)
      records += r.records;
    m->journal_batch_records.observe(records);
  }
  collect(order);
  if (auto* m = opts_.metrics.get()) {
    const auto took = std::chrono::steady_clock::now() - started;
    m->journal_write_us.observe(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
    if (failed_round_trips_ == failures_before)
      m->journal_healthy.store(true, std::memory_order_relaxed);
  }
}

std::vector<redis_journal_writer::chunk_range> redis_journal_writer::take_chunks(
    std::vector<journal_chunk>& batch) {
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
  return ranges;
}

std::vector<redis_journal_writer::sent> redis_journal_writer::send(
    const std::vector<chunk_range>& ranges) {
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
    // Invariant, right before the batch is written: it continues the shard's chain (its seq
    // follows the last written batch's, its prev_hash is that batch's hash).
    auto h = read_batch_header(batch_bytes_);
    SETTLE_ASSERT(h.shard == r.shard && h.seq == seq_[r.shard] &&
                      h.prev_hash == prev_hash_[r.shard],
                  "journal shard " + std::to_string(r.shard) + ": batch " +
                      std::to_string(h.seq) + " of shard " + std::to_string(h.shard) +
                      " with previous hash " + std::to_string(h.prev_hash) +
                      " does not continue the chain at sequence " +
                      std::to_string(seq_[r.shard]) + ", hash " +
                      std::to_string(prev_hash_[r.shard]));
    conn_->append({"XADD", keys_[r.shard], "*", "b", batch_bytes_});
    order.push_back({r, hash, std::move(records)});
  }
  return order;
}

void redis_journal_writer::collect(std::vector<sent>& order) {
  bool connection_lost = false;
  for (auto& o : order) {
    auto reply = connection_lost ? nullptr : conn_->read_reply();
    if (!reply) {
      // Timeout or connection loss: this batch and the ones after it may or may not have
      // landed. Say so now; the reconnect settles them.
      connection_lost = true;
      in_doubt_.push_back({o.chunks, seq_[o.chunks.shard], std::move(o.records)});
      continue;
    }
    if (reply->type == REDIS_REPLY_STRING) {
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
      count_failure();
      report(o.chunks, durability::failed);
    }
  }
  if (connection_lost)
    lose_connection();
}

void redis_journal_writer::count_failure() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++failed_round_trips_;
  }
  if (opts_.metrics) {
    opts_.metrics->redis_errors.fetch_add(1, std::memory_order_relaxed);
    opts_.metrics->journal_healthy.store(false, std::memory_order_relaxed);
  }
}

void redis_journal_writer::lose_connection() {
  count_failure();
  conn_.reset();
  synced_ = false;
  for (auto& d : in_doubt_)
    report(d.chunks, durability::uncertain);
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

uint64_t redis_journal_writer::queued_records() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queued_records_;
}

uint64_t redis_journal_writer::next_seq(uint32_t shard) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return published_seq_.at(shard);
}

}  // namespace settle::persistence
