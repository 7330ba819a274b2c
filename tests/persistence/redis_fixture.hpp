// What the Redis journal tests share: a real redis-server in a temporary directory, and
// chunks appended to a journal writer with every word the writer says about each of them.
#pragma once

#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "persistence/journal_batch.hpp"
#include "persistence/redis_journal.hpp"
#include "persistence/redis_server.hpp"

namespace settle::testing {

/// A real redis-server in a temporary directory, removed afterwards.
struct redis_instance {
  explicit redis_instance(uint64_t maxmemory_bytes = 0) {
    ::signal(SIGPIPE, SIG_IGN);  // as settled does: writes to a stopped Redis must not kill us
    char tmpl[] = "/tmp/settle-redis-XXXXXX";
    dir = mkdtemp(tmpl);
    persistence::redis_server_options o;
    o.dir = dir;
    o.maxmemory_bytes = maxmemory_bytes;
    server = std::make_unique<persistence::redis_server>(o);
  }
  ~redis_instance() {
    server.reset();
    std::filesystem::remove_all(dir);
  }
  redis_instance(const redis_instance&) = delete;
  redis_instance& operator=(const redis_instance&) = delete;

  const std::string& socket() const { return server->unix_socket(); }
  std::string dir;
  std::unique_ptr<persistence::redis_server> server;
};

/// Appends chunks to one writer and keeps every word the writer said about each of them.
class chunks {
public:
  using durability = persistence::durability;
  using journal_record = persistence::journal_record;

  explicit chunks(persistence::redis_journal_writer& w) : w_(w) {
    for (uint32_t s = 0; s < w.shards(); ++s)
      w.attach(s, [this, s](uint64_t first, uint64_t last, durability d) {
        std::lock_guard<std::mutex> lock(mutex_);
        BOOST_CHECK_LE(first, last);
        for (uint64_t c = first; c <= last; ++c)
          words_[{s, c}].push_back(d);
        changed_.notify_all();
      });
  }
  ~chunks() {
    for (uint32_t s = 0; s < w_.shards(); ++s)
      w_.attach(s, nullptr);
  }
  chunks(const chunks&) = delete;
  chunks& operator=(const chunks&) = delete;

  /// Appends one chunk of `records` to `shard`; returns its seq (0: refused).
  uint64_t append(uint32_t shard, const std::vector<journal_record>& records, uint64_t epoch = 0) {
    persistence::journal_chunk c;
    c.shard = shard;
    c.epoch = epoch;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      c.seq = ++next_[shard];
    }
    c.records = static_cast<uint32_t>(records.size());
    for (const auto& r : records)
      persistence::append_record(c.bytes, persistence::view_of(r));
    auto seq = c.seq;
    return w_.append(std::move(c)) ? seq : 0;
  }
  uint64_t append(uint32_t shard, const journal_record& r, uint64_t epoch = 0) {
    return append(shard, std::vector<journal_record>{r}, epoch);
  }
  /// What the writer said about a chunk so far.
  std::vector<durability> words(uint32_t shard, uint64_t seq) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = words_.find({shard, seq});
    return it == words_.end() ? std::vector<durability>{} : it->second;
  }
  /// Waits (10 s at most) for the final word (durable or failed) on a chunk.
  std::optional<durability> final_word(uint32_t shard, uint64_t seq) {
    return wait_word(shard, seq, [](const std::vector<durability>& w) {
      return !w.empty() && w.back() != durability::uncertain ? std::optional{w.back()}
                                                             : std::nullopt;
    });
  }
  /// Waits (10 s at most) for the first word on a chunk.
  std::optional<durability> first_word(uint32_t shard, uint64_t seq) {
    return wait_word(shard, seq, [](const std::vector<durability>& w) {
      return !w.empty() ? std::optional{w.front()} : std::nullopt;
    });
  }
  /// Appends a chunk and waits until it is durable (its own batch when nothing else is
  /// queued); returns how long that took.
  std::chrono::steady_clock::duration append_durable(uint32_t shard,
                                                     const std::vector<journal_record>& recs) {
    auto t0 = std::chrono::steady_clock::now();
    auto seq = append(shard, recs);
    BOOST_REQUIRE(seq != 0);
    auto d = final_word(shard, seq);
    BOOST_REQUIRE(d.has_value());
    BOOST_REQUIRE(*d == durability::durable);
    return std::chrono::steady_clock::now() - t0;
  }

private:
  template <typename Pick>
  std::optional<durability> wait_word(uint32_t shard, uint64_t seq, Pick pick) {
    std::unique_lock<std::mutex> lock(mutex_);
    std::optional<durability> word;
    changed_.wait_for(lock, std::chrono::seconds(10), [&] {
      auto it = words_.find({shard, seq});
      word = pick(it == words_.end() ? std::vector<durability>{} : it->second);
      return word.has_value();
    });
    return word;
  }

  persistence::redis_journal_writer& w_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::pair<uint32_t, uint64_t>, std::vector<durability>> words_;
  std::map<uint32_t, uint64_t> next_;
};

/// The journal's stored batches of one shard (chain checked).
inline std::vector<persistence::journal_batch> stored_batches(
    const persistence::redis_journal_options& o, uint32_t shard) {
  std::vector<persistence::journal_batch> batches;
  auto report = persistence::verify_chain(shard, persistence::read_journal_stream(o, shard), batches);
  BOOST_CHECK_MESSAGE(report.ok, report.problem);
  return batches;
}

}  // namespace settle::testing
