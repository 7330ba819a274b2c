// Group-commit journal writer for one journal shard: batches records into one Redis Streams
// entry per round trip and reports each record durable (or not) once Redis has answered.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "persistence/journal.hpp"

struct redisContext;

namespace settle::persistence {

/// Where and how one shard's journal is written.
struct redis_journal_options {
  std::string unix_socket;  // used when set, else host:port
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  uint32_t shard = 0;
  std::string stream_prefix = "settle:journal:";  // stream key = prefix + shard
  uint32_t max_batch_records = 1024;  // a batch is written when it has this many records...
  uint32_t max_batch_delay_us = 200;  // ...or when its first record has waited this long
  uint32_t deadline_ms = 1000;        // a round trip slower than this counts as a failure
  uint32_t max_queued_records = 100'000;  // append() refuses beyond this (bounded memory)
};

/// The stream key of a shard.
std::string journal_stream_key(const redis_journal_options& opts);

/// Reads a shard's stored batches, oldest first (for recovery and tests). Throws on
/// connection failure.
std::vector<std::string> read_journal_stream(const redis_journal_options& opts);

/// One writer thread per shard. A batch is one XADD, so a record is never split from its
/// batch and batches of one shard land in order. The process must ignore SIGPIPE (settled
/// does): hiredis writes to a socket Redis may have closed.
class redis_journal_writer {
public:
  /// `done(true)` once the record's batch is in Redis, `done(false)` if it may not be (Redis
  /// down, slow past the deadline, or refusing writes). Runs on the writer thread.
  using completion = std::function<void(bool durable)>;

  /// Connects and continues the shard's hash chain from the stream's last batch. Throws if
  /// Redis is unreachable or that batch is damaged.
  explicit redis_journal_writer(redis_journal_options opts);
  ~redis_journal_writer();
  redis_journal_writer(const redis_journal_writer&) = delete;
  redis_journal_writer& operator=(const redis_journal_writer&) = delete;

  /// Thread-safe. False (and `done` not called) when max_queued_records are waiting.
  bool append(journal_record record, completion done);

  uint64_t batches_written() const;
  uint64_t records_written() const;
  uint64_t next_seq() const;

private:
  struct pending {
    journal_record record;
    completion done;
  };
  void run();
  bool connect();
  void resync();  // reads the last stored batch: where the chain continues
  bool write(std::vector<pending>& batch);

  redis_journal_options opts_;
  std::string key_;
  redisContext* ctx_ = nullptr;  // writer thread only (after construction)
  std::atomic<uint64_t> seq_{0};  // written by the writer thread, read by next_seq()
  uint64_t prev_hash_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<pending> queue_;
  bool stopping_ = false;
  uint64_t batches_ = 0, records_ = 0;
  std::thread thread_;
};

}  // namespace settle::persistence
