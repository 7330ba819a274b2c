// Group-commit journal writer: one thread batches the records of every journal shard and
// writes them in one pipelined round trip (one XADD per shard), then reports each record
// durable, failed, or uncertain-then-resolved.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "metrics/engine_metrics.hpp"
#include "persistence/event_feed.hpp"
#include "persistence/journal.hpp"
#include "persistence/journal_stream.hpp"
#include "persistence/redis_address.hpp"

namespace settle::persistence {

class redis_connection;

/// Where and how the journal is written.
struct redis_journal_options {
  redis_address address;  // where Redis is (its timeout_ms is not used: deadline_ms is)
  uint32_t shards = 1;  // journal shards = account shards
  std::string stream_prefix{default_journal_stream_prefix};  // stream key = prefix + shard
  uint32_t max_batch_records = 4096;  // records per round trip, at most (whole chunks)
  uint32_t max_batch_delay_us = 0;    // a round trip waits this long for more records; 0:
                                      // written at once (what queues meanwhile goes next)
  uint32_t resync_interval_ms = 100;  // after a failure: how often to retry the connection
  uint32_t deadline_ms = 1000;        // a round trip (and a connect) slower than this counts
                                      // as a failure
  uint32_t max_queued_records = 100'000;  // waiting records beyond this are refused; with the
                                          // batch being written, memory holds at most this
                                          // plus max_batch_records
  /// Round trips observed here (sizes, durations, failures, health); null: not observed.
  std::shared_ptr<metrics::engine_metrics> metrics;
};

/// The stream key of a shard.
std::string journal_stream_key(const redis_journal_options& opts, uint32_t shard);
/// Where the writer connects: `address` (or the old fields), with deadline_ms as its timeout.
redis_address journal_address(const redis_journal_options& opts);

/// Reads a shard's stored batches, oldest first (for tests and tools). Throws on failure.
std::vector<std::string> read_journal_stream(const redis_journal_options& opts, uint32_t shard);

/// The journal writer. A round trip writes, for every shard with queued chunks, one batch
/// (one XADD) holding those chunks, so a chunk is never split and batches of one shard land in
/// order, without gaps: after an uncertain round trip nothing more is written until a
/// reconnect has read back where every shard's chain stands (retried every
/// `resync_interval_ms` even when nothing new is queued, so chunks in doubt are settled). The
/// process must ignore SIGPIPE (settled does): hiredis writes to sockets Redis may close.
class redis_journal_writer final : public journal_writer {
public:
  /// Connects and continues every shard's hash chain from its last stored batch. Throws if
  /// Redis is unreachable or a last batch is damaged. Outcomes run on the writer thread.
  explicit redis_journal_writer(redis_journal_options opts);
  ~redis_journal_writer() override;
  redis_journal_writer(const redis_journal_writer&) = delete;
  redis_journal_writer& operator=(const redis_journal_writer&) = delete;

  void attach(uint32_t shard, chunk_outcome done) override;
  /// Thread-safe. False when max_queued_records are waiting (a chunk is always taken when the
  /// queue is empty, however big) or `shard` is out of range.
  bool append(journal_chunk chunk) override;
  /// Hands the records of every durable batch to `feed` (on the writer thread, in order per
  /// shard; batches in doubt once resync finds them landed). Call before the first append.
  /// Without a feed nothing is copied.
  void set_feed(std::shared_ptr<durable_feed> feed);

  uint32_t shards() const { return opts_.shards; }
  uint64_t batches_written() const;
  uint64_t records_written() const;
  uint64_t round_trips_failed() const;
  /// Records appended and not yet taken by a round trip.
  uint64_t queued_records() const;
  /// The sequence number the shard's next batch gets.
  uint64_t next_seq(uint32_t shard) const;

private:
  /// Chunks first..last of one shard, written together as one batch.
  struct chunk_range {
    uint32_t shard = 0;
    uint64_t first = 0, last = 0;
    uint64_t max_epoch = 0;
    uint32_t records = 0;
  };
  /// A batch whose round trip failed without an answer: it landed iff the chain has it.
  struct in_doubt {
    chunk_range chunks;
    uint64_t batch_seq = 0;
    std::string records;  // the batch's record bytes, for the feed (empty without one)
  };
  /// A batch on its way: its chunks, its hash, and its record bytes for the feed.
  struct sent {
    chunk_range chunks;
    uint64_t hash = 0;
    std::string records;  // empty without a feed
  };
  void run();
  /// Reads every shard's last stored batch; settles batches in doubt. Throws std::runtime_error
  /// (the connection is dropped) when Redis does not answer or a last batch is damaged.
  void resync();
  /// Reconnects and resyncs when needed; false (and counted) when that fails.
  bool ensure_synced();
  void write(std::vector<journal_chunk>& batch);
  /// Sorts the batch's chunks by shard; fails those of a failed epoch at once. The ranges to
  /// write, one per shard.
  std::vector<chunk_range> take_chunks(std::vector<journal_chunk>& batch);
  /// Encodes one batch per range and queues its XADD.
  std::vector<sent> send(const std::vector<chunk_range>& ranges);
  /// Reads the answers to send(), in order, and reports every range.
  void collect(std::vector<sent>& order);
  /// The connection broke with batches in doubt: drop it, say so, resync later.
  void lose_connection();
  /// Counts a failed round trip (or reconnect); the journal is not healthy until one lands.
  void count_failure();
  void report(const chunk_range& r, durability d);
  /// report() of a durable batch, then its records to the feed (if any).
  void report_durable(const chunk_range& r, std::string records);

  redis_journal_options opts_;
  redis_address address_;
  std::vector<std::string> keys_;
  std::vector<chunk_outcome> outcomes_;  // per shard, under mutex_ (attach() and report())
  std::unique_ptr<redis_connection> conn_;  // writer thread only (after construction)
  // Per shard, where the chain stands: the sequence number of the next batch, and the hash of
  // the last one written (or read back by resync). Writer thread only.
  std::vector<uint64_t> seq_;
  std::vector<uint64_t> prev_hash_;
  std::vector<uint64_t> failed_below_;  // per shard: chunks of an older epoch fail unwritten
  std::vector<in_doubt> in_doubt_;
  std::vector<std::vector<journal_chunk>> by_shard_;  // reused per round trip
  std::string batch_bytes_;                          // reused per batch
  bool synced_ = false;  // the chains are known: writing may go on (e.g. not while LOADING)
  std::shared_ptr<durable_feed> feed_in_use_;  // writer thread's copy of feed_

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<journal_chunk> queue_;
  std::shared_ptr<durable_feed> feed_;
  size_t queued_records_ = 0;
  bool writer_idle_ = false;   // the writer waits for a first chunk (append wakes it)
  bool stopping_ = false;
  uint64_t batches_ = 0, records_ = 0, failed_round_trips_ = 0;
  std::vector<uint64_t> published_seq_;  // copy of seq_ for next_seq(), under mutex_
  std::thread thread_;
};

}  // namespace settle::persistence
