// Journal writers for actor tests: one whose outcomes the test decides, one that confirms
// every chunk a little later on its own thread (as Redis would, pipelined).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "persistence/journal.hpp"
#include "persistence/journal_batch.hpp"

namespace settle::testing {

/// Outcomes decided by the test: `durable` by default; `fail(n)` refuses the next n chunks;
/// `fail_when` refuses chunks holding a matching record; `delay(n)` keeps the next n chunks
/// waiting silently and `hold(n)` reports them in doubt, both until `release(d)`. Like the real
/// writer it reports each shard's chunks in order (a waiting chunk holds back later ones) and
/// fails the later chunks of an epoch that failed.
class scripted_journal final : public persistence::journal_writer {
public:
  using durability = persistence::durability;

  void attach(uint32_t shard, persistence::chunk_outcome done) override {
    std::lock_guard<std::mutex> lock(mutex_);
    shards_[shard].done = std::move(done);
  }

  bool append(persistence::journal_chunk chunk) override {
    std::vector<persistence::journal_record> recs;
    if (!persistence::decode_records(chunk.bytes, chunk.records, recs))
      throw std::runtime_error("scripted_journal: undecodable chunk");
    std::vector<std::function<void()>> reports;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++chunks_;
      auto& sh = shards_[chunk.shard];
      entry e{chunk.seq, chunk.epoch, state::durable};
      bool matches = false;
      for (auto& r : recs) {
        matches = matches || (fail_pred_left_ > 0 && fail_pred_(r));
        records_.push_back(std::move(r));
      }
      if (matches)
        --fail_pred_left_;
      if (chunk.epoch < sh.failed_below) {
        e.st = state::failed;  // an epoch that already failed: never written
      } else if (fail_next_ > 0 || matches) {
        if (!matches)
          --fail_next_;
        e.st = state::failed;
      } else if (delay_next_ > 0) {
        --delay_next_;
        e.st = state::waiting;
      } else if (hold_next_ > 0) {
        --hold_next_;
        e.st = state::waiting;
        e.in_doubt = true;
        auto done = sh.done;
        auto seq = chunk.seq;
        reports.push_back([done, seq] { done(seq, seq, durability::uncertain); });
      }
      sh.queue.push_back(e);
      drain(sh, reports);
    }
    for (auto& r : reports)
      r();
    return true;
  }

  void fail(int n) { set(fail_next_, n); }
  void delay(int n) { set(delay_next_, n); }
  void hold(int n) { set(hold_next_, n); }
  void fail_when(std::function<bool(const persistence::journal_record&)> pred, int n) {
    std::lock_guard<std::mutex> lock(mutex_);
    fail_pred_ = std::move(pred);
    fail_pred_left_ = n;
  }
  /// Settles every waiting chunk with `d`.
  void release(durability d) {
    std::vector<std::function<void()>> reports;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& [id, sh] : shards_) {
        for (auto& e : sh.queue)
          if (e.st == state::waiting)
            e.st = d == durability::durable ? state::durable : state::failed;
        drain(sh, reports);
      }
    }
    for (auto& r : reports)
      r();
  }
  size_t chunks() {
    std::lock_guard<std::mutex> lock(mutex_);
    return chunks_;
  }
  std::vector<persistence::journal_record> records() {
    std::lock_guard<std::mutex> lock(mutex_);
    return records_;
  }

private:
  enum class state { durable, failed, waiting };
  struct entry {
    uint64_t seq, epoch;
    state st;
    bool in_doubt = false;
  };
  struct shard {
    persistence::chunk_outcome done;
    std::deque<entry> queue;
    uint64_t failed_below = 0;
  };
  void set(int& field, int n) {
    std::lock_guard<std::mutex> lock(mutex_);
    field = n;
  }
  /// Reports the decided chunks at the front, in order.
  void drain(shard& sh, std::vector<std::function<void()>>& reports) {
    while (!sh.queue.empty() && sh.queue.front().st != state::waiting) {
      auto e = sh.queue.front();
      sh.queue.pop_front();
      if (e.st == state::failed) {
        sh.failed_below = std::max(sh.failed_below, e.epoch + 1);
        // What follows in the same epoch fails with it (the real writer never writes it).
        for (auto& later : sh.queue)
          if (later.epoch <= e.epoch)
            later.st = state::failed;
      }
      auto done = sh.done;
      auto d = e.st == state::durable ? durability::durable : durability::failed;
      reports.push_back([done, e, d] {
        if (done)
          done(e.seq, e.seq, d);
      });
    }
  }

  std::mutex mutex_;
  std::map<uint32_t, shard> shards_;
  std::vector<persistence::journal_record> records_;
  int fail_next_ = 0, hold_next_ = 0, fail_pred_left_ = 0, delay_next_ = 0;
  size_t chunks_ = 0;
  std::function<bool(const persistence::journal_record&)> fail_pred_;
};

/// Confirms every chunk durable after `delay`, on its own thread, several at a time: changes
/// pile up behind chunks on their way, as they do with Redis.
class async_journal final : public persistence::journal_writer {
public:
  explicit async_journal(std::chrono::microseconds delay) : delay_(delay) {
    thread_ = std::thread([this] { run(); });
  }
  ~async_journal() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  void attach(uint32_t shard, persistence::chunk_outcome done) override {
    std::lock_guard<std::mutex> lock(mutex_);
    outcomes_[shard] = std::move(done);
  }
  bool append(persistence::journal_chunk chunk) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back({chunk.shard, chunk.seq});
    }
    wake_.notify_one();
    return true;
  }

private:
  void run() {
    for (;;) {
      std::vector<std::pair<uint32_t, uint64_t>> batch;
      std::map<uint32_t, persistence::chunk_outcome> outcomes;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_)
          return;
      }
      std::this_thread::sleep_for(delay_);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        batch.assign(queue_.begin(), queue_.end());
        queue_.clear();
        outcomes = outcomes_;
      }
      // One report per shard for the chunks that went together (in order).
      std::map<uint32_t, std::pair<uint64_t, uint64_t>> ranges;
      for (auto& [shard, seq] : batch) {
        auto it = ranges.find(shard);
        if (it == ranges.end())
          ranges[shard] = {seq, seq};
        else
          it->second.second = seq;
      }
      for (auto& [shard, r] : ranges)
        if (outcomes[shard])
          outcomes[shard](r.first, r.second, persistence::durability::durable);
    }
  }
  std::chrono::microseconds delay_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<uint32_t, uint64_t>> queue_;
  std::map<uint32_t, persistence::chunk_outcome> outcomes_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace settle::testing
