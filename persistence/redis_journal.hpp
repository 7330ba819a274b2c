// Group-commit journal writer: one thread batches the records of every journal shard and
// writes them in one pipelined round trip (one XADD per shard), then reports each record
// durable, failed, or uncertain-then-resolved.
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

/// Where and how the journal is written.
struct redis_journal_options {
  std::string unix_socket;  // used when set, else host:port
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  uint32_t shards = 1;                             // journal shards = account shards
  std::string stream_prefix = "settle:journal:";   // stream key = prefix + shard
  uint32_t max_batch_records = 1024;  // a round trip is written when it has this many records...
  uint32_t max_batch_delay_us = 200;  // ...or when its first record has waited this long
  uint32_t deadline_ms = 1000;        // a round trip slower than this counts as a failure
  uint32_t max_queued_records = 100'000;  // waiting records beyond this are refused; with the
                                          // batch being written, memory holds at most this
                                          // plus max_batch_records
};

/// The stream key of a shard.
std::string journal_stream_key(const redis_journal_options& opts, uint32_t shard);

/// Reads a shard's stored batches, oldest first (for tests and tools). Throws on failure.
std::vector<std::string> read_journal_stream(const redis_journal_options& opts, uint32_t shard);

/// The journal writer. A batch is one XADD, so a record is never split from its batch, and
/// batches of one shard land in order, without gaps: after an uncertain round trip nothing
/// more is written until a reconnect has read back where every shard's chain stands. The
/// process must ignore SIGPIPE (settled does): hiredis writes to sockets Redis may close.
class redis_journal_writer final : public journal_writer {
public:
  /// Completions run on the writer thread.

  /// Connects and continues every shard's hash chain from its last stored batch. Throws if
  /// Redis is unreachable or a last batch is damaged.
  explicit redis_journal_writer(redis_journal_options opts);
  ~redis_journal_writer() override;
  redis_journal_writer(const redis_journal_writer&) = delete;
  redis_journal_writer& operator=(const redis_journal_writer&) = delete;

  /// Thread-safe. False (and `done` never called) when max_queued_records are waiting or
  /// `shard` is out of range. A group is never split across batches.
  bool append_group(uint32_t shard, std::vector<journal_record> records,
                    completion done) override;
  using journal_writer::append;

  uint32_t shards() const { return opts_.shards; }
  uint64_t batches_written() const;
  uint64_t records_written() const;
  uint64_t round_trips_failed() const;
  /// The sequence number the shard's next batch gets.
  uint64_t next_seq(uint32_t shard) const;

private:
  struct pending {
    uint32_t shard;
    std::vector<journal_record> records;
    completion done;
  };
  /// One shard's part of a round trip whose outcome is not known yet.
  struct in_doubt {
    uint32_t shard;
    uint64_t seq;
    std::vector<pending> records;
  };
  void run();
  bool connect();
  /// Reads every shard's last stored batch; settles batches in doubt. False on failure.
  bool resync();
  void write(std::vector<pending>& batch);
  void settle(std::vector<pending>& records, durability d);

  redis_journal_options opts_;
  std::vector<std::string> keys_;
  redisContext* ctx_ = nullptr;  // writer thread only (after construction)
  std::vector<uint64_t> seq_;    // per shard; writer thread only
  std::vector<uint64_t> prev_hash_;
  std::vector<in_doubt> in_doubt_;
  std::string resync_error_;
  bool synced_ = false;  // the chains are known: writing may go on (e.g. not while LOADING)

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<pending> queue_;
  size_t queued_records_ = 0;  // records in queue_ (groups hold several)
  bool writer_idle_ = false;   // the writer waits for a first record (append wakes it)
  bool stopping_ = false;
  uint64_t batches_ = 0, records_ = 0, failed_round_trips_ = 0;
  std::vector<uint64_t> published_seq_;  // copy of seq_ for next_seq(), under mutex_
  std::thread thread_;
};

}  // namespace settle::persistence
