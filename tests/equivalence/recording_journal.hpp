// A journal writer that keeps every chunk it is given, refuses the chunks the test tells it
// to (as Redis refusing a write would), and confirms the rest at once. What it reports
// durable, folded in order, is what a recovery would read back.
#pragma once

#include <map>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "persistence/journal.hpp"
#include "persistence/journal_batch.hpp"

namespace settle::testing {

class recording_journal final : public persistence::journal_writer {
public:
  struct chunk {
    uint32_t shard = 0;
    bool durable = false;
    std::vector<persistence::journal_record> records;
  };

  void attach(uint32_t shard, persistence::chunk_outcome done) override {
    std::lock_guard<std::mutex> lock(mutex_);
    shards_[shard].done = std::move(done);
  }

  bool append(persistence::journal_chunk c) override {
    chunk kept;
    kept.shard = c.shard;
    if (!persistence::decode_records(c.bytes, c.records, kept.records))
      throw std::runtime_error("recording_journal: undecodable chunk");
    persistence::chunk_outcome done;
    bool durable = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto& sh = shards_[c.shard];
      // Like the real writer: after a failure, later chunks of that epoch fail unwritten.
      kept.durable = c.epoch >= sh.failed_below && fail_next_ == 0;
      if (!kept.durable && c.epoch >= sh.failed_below)
        --fail_next_;
      if (!kept.durable)
        sh.failed_below = std::max(sh.failed_below, c.epoch + 1);
      durable = kept.durable;
      chunks_.push_back(std::move(kept));
      done = sh.done;
    }
    if (done)
      done(c.seq, c.seq,
           durable ? persistence::durability::durable : persistence::durability::failed);
    return true;
  }

  /// The next `n` chunks (of any shard) are refused.
  void fail_next(int n) {
    std::lock_guard<std::mutex> lock(mutex_);
    fail_next_ = n;
  }
  std::vector<chunk> chunks() {
    std::lock_guard<std::mutex> lock(mutex_);
    return chunks_;
  }

private:
  struct shard_state {
    persistence::chunk_outcome done;
    uint64_t failed_below = 0;
  };
  std::mutex mutex_;
  std::map<uint32_t, shard_state> shards_;
  std::vector<chunk> chunks_;
  int fail_next_ = 0;
};

}  // namespace settle::testing
