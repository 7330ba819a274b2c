// The engine's durable side: the embedded (or configured) Redis, recovery at start, the
// journal writer, and periodic snapshots on a background thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ledger/history.hpp"
#include "persistence/durable_image.hpp"
#include "persistence/redis_event_publisher.hpp"
#include "persistence/redis_journal.hpp"
#include "persistence/redis_server.hpp"
#include "persistence/snapshot_store.hpp"

namespace settle::persistence {

/// Everything the durable side is told.
struct durable_store_options {
  bool embedded = true;             // start our own redis-server under data_dir/redis
  redis_server_options server;      // embedded: how (dir, appendfsync, maxmemory, ...)
  redis_address address;            // external: where (embedded: filled in)
  uint32_t shards = 8;              // journal shards = account shards
  redis_journal_options journal;    // batching, deadline, queue, stream_prefix (address and
                                    // shards filled in; recovery and snapshots use its
                                    // stream_prefix too)
  bool publish_events = true;       // publish durable batches' events to Redis Pub/Sub
  redis_event_options events;       // channels, queue, timeouts (address filled in)
  uint32_t snapshot_interval_s = 300;  // 0: only on request
  int64_t id_retention_s = 7 * 24 * 3600;
  ledger::history_limits history;  // the journal is kept history.retention_ms for it
  bool stop_at_last_good = false;
  std::function<void(const std::string&)> log = [](const std::string&) {};
};

/// Starts Redis (if embedded), recovers the durable image, repairs transfers whose credit
/// had not been journaled, checks that every currency sums to zero, and opens the journal.
/// Throws std::runtime_error (with the reason) when any of that fails: the engine must not
/// start on a state it cannot vouch for.
class durable_store {
public:
  explicit durable_store(durable_store_options opts);
  ~durable_store();
  durable_store(const durable_store&) = delete;
  durable_store& operator=(const durable_store&) = delete;

  /// The recovered image (moved out; call once, before the engine starts).
  durable_image take_image();
  /// Per shard, the accounts' history rebuilt from the journal of the last
  /// history.retention_ms (call once, before the engine starts; persistence/history_scan).
  std::vector<ledger::history_log> load_history();
  std::shared_ptr<redis_journal_writer> writer() const { return writer_; }
  /// The Redis Pub/Sub publisher fed by the writer; null when publish_events is off.
  std::shared_ptr<redis_event_publisher> event_publisher() const { return publisher_; }
  redis_server* embedded_server() const { return server_.get(); }

  /// Journal entries added at or after this Unix ms outlive snapshots (partner settlement
  /// reads open periods from the journal; its actor moves the hold as periods close).
  std::shared_ptr<std::atomic<int64_t>> journal_hold() const { return journal_hold_; }
  const redis_address& address() const { return opts_.address; }
  const std::string& journal_stream_prefix() const { return opts_.journal.stream_prefix; }
  /// Starts the snapshot thread (periodic, and on request).
  void start_snapshots();
  /// Asks for a snapshot now; `done(ok, message)` runs on the snapshot thread when it is
  /// written (or failed). Needs start_snapshots().
  void request_snapshot(std::function<void(bool, std::string)> done);

private:
  void repair_transfers(durable_image& img);
  void snapshot_loop();
  std::string take_snapshot();  // "" on success, else why not

  durable_store_options opts_;
  std::unique_ptr<redis_server> server_;
  std::shared_ptr<redis_event_publisher> publisher_;  // also held by writer_ (its feed)
  std::shared_ptr<redis_journal_writer> writer_;
  std::unique_ptr<durable_image> image_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::function<void(bool, std::string)>> requests_;
  bool stopping_ = false;
  std::thread snapshot_thread_;
  std::shared_ptr<std::atomic<int64_t>> journal_hold_ =
      std::make_shared<std::atomic<int64_t>>(INT64_MAX);
};

}  // namespace settle::persistence
