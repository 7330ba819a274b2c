#include "bench/recovery/prepare.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "ledger/stable_hash.hpp"
#include "persistence/durable_image.hpp"
#include "persistence/journal_batch.hpp"
#include "persistence/redis_journal.hpp"

namespace settle::bench::recovery {

namespace {

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Chunks handed to the writer and not yet reported: bounded so the writer's queue (sized
/// for it below) never refuses one.
constexpr uint64_t max_chunks_in_flight = 16;

persistence::durable_image build_image(const prepare_options& o) {
  persistence::durable_image img{o.shards};
  // Reserved up front like the snapshot loader does: growth would rehash 10M entries a few
  // times and is not what is measured.
  for (auto& shard : img.accounts)
    shard.reserve(o.accounts / o.shards + o.accounts / (8 * o.shards) + 16);
  ledger::account_state fresh;
  fresh.currency = ledger::pack_currency("EUR");
  fresh.kind = protocol::account_kind::player;
  for (uint64_t i = 0; i < o.accounts; ++i) {
    auto id = account_id(i);
    auto shard = shard_of(id, o.shards);
    img.accounts[shard].emplace(std::move(id), fresh);
  }
  return img;
}

/// What the writer has reported, shared with its thread (outcomes run there).
struct journal_progress {
  std::mutex mutex;
  std::condition_variable changed;
  uint64_t appended = 0, durable = 0;
  bool failed = false;
};

/// The writer's options: `addr`, one chunk per batch, room for every chunk in flight.
persistence::redis_journal_options journal_options(const persistence::redis_address& addr,
                                                   const prepare_options& o) {
  persistence::redis_journal_options jo;
  jo.address = addr;
  jo.shards = o.shards;
  jo.max_batch_records = o.records_per_chunk;  // one chunk per batch, like a busy engine's
  jo.deadline_ms = 10'000;  // a slow round trip on a busy 2-core machine is not a failure here
  jo.max_queued_records =
      std::max<uint64_t>(jo.max_queued_records, max_chunks_in_flight * o.records_per_chunk);
  return jo;
}

/// Has every shard of `writer` report its outcomes into `progress`.
void report_into(persistence::redis_journal_writer& writer, uint32_t shards,
                 journal_progress& progress) {
  for (uint32_t s = 0; s < shards; ++s)
    writer.attach(s, [&progress](uint64_t first, uint64_t last, persistence::durability d) {
      if (d == persistence::durability::uncertain)
        return;  // durable or failed follows
      std::lock_guard<std::mutex> lock(progress.mutex);
      if (d == persistence::durability::durable)
        progress.durable += last - first + 1;
      else
        progress.failed = true;
      progress.changed.notify_all();
    });
}

/// The journal record of the deposit to account `account` (`txn_id` its id).
persistence::record_view deposit_record(std::string_view account, std::string_view txn_id,
                                        int64_t at_unix_ms) {
  persistence::record_view r;
  r.type = persistence::record_type::txn;
  r.account = account;
  r.currency = "EUR";
  r.at_unix_ms = at_unix_ms;
  r.role = persistence::leg_role::player;
  r.kind = protocol::txn_kind::deposit;
  r.outcome = protocol::txn_status::applied;
  r.txn_id = txn_id;
  r.id_namespace = "";
  r.fingerprint = ledger::stable_hash(txn_id);
  r.amount = deposit_minor_units;
  r.balance_after = deposit_minor_units;  // every prepared account starts at 0, version 0
  r.version_after = 1;
  return r;
}

/// The open chunk of every shard, handed to the writer when full, at most
/// max_chunks_in_flight of them not yet durable.
class chunk_feeder {
public:
  chunk_feeder(persistence::redis_journal_writer& writer, journal_progress& progress,
               uint32_t shards)
      : writer_(writer), progress_(progress), open_(shards), next_seq_(shards, 1) {
    for (uint32_t s = 0; s < shards; ++s)
      open_[s].shard = s;
  }

  /// The chunk records of shard `s` go into.
  persistence::journal_chunk& open(uint32_t s) { return open_[s]; }

  /// Hands shard `s`'s chunk (if it has records) to the writer, once fewer than
  /// max_chunks_in_flight are in flight.
  void hand_over(uint32_t s) {
    if (open_[s].records == 0)
      return;
    {
      std::unique_lock<std::mutex> lock(progress_.mutex);
      progress_.changed.wait(lock, [&] {
        return progress_.failed || progress_.appended - progress_.durable < max_chunks_in_flight;
      });
      if (progress_.failed)
        throw std::runtime_error("the journal writer reported a chunk failed");
      ++progress_.appended;
    }
    open_[s].seq = next_seq_[s]++;
    if (!writer_.append(std::move(open_[s])))
      throw std::runtime_error("the journal writer refused a chunk");
    open_[s] = persistence::journal_chunk{};
    open_[s].shard = s;
  }

private:
  persistence::redis_journal_writer& writer_;
  journal_progress& progress_;
  std::vector<persistence::journal_chunk> open_;
  std::vector<uint64_t> next_seq_;
};

/// Appends the deposits of accounts 0..records-1 and waits until every chunk is durable.
uint64_t write_journal(const persistence::redis_address& addr, const prepare_options& o) {
  journal_progress progress;  // outlives the writer, whose thread reports into it
  persistence::redis_journal_writer writer{journal_options(addr, o)};
  report_into(writer, o.shards, progress);
  chunk_feeder chunks{writer, progress, o.shards};
  const int64_t at_unix_ms = unix_ms_now();
  for (uint64_t i = 0; i < o.records; ++i) {
    auto account = account_id(i);
    auto txn_id = fmt::format("dep{}", i);
    auto s = shard_of(account, o.shards);
    auto& chunk = chunks.open(s);
    persistence::append_record(chunk.bytes, deposit_record(account, txn_id, at_unix_ms));
    if (++chunk.records == o.records_per_chunk)
      chunks.hand_over(s);
  }
  for (uint32_t s = 0; s < o.shards; ++s)
    chunks.hand_over(s);

  std::unique_lock<std::mutex> lock(progress.mutex);
  progress.changed.wait(lock,
                        [&] { return progress.failed || progress.durable == progress.appended; });
  if (progress.failed)
    throw std::runtime_error("the journal writer reported a chunk failed");
  return progress.appended;
}

}  // namespace

std::string account_id(uint64_t index) {
  return fmt::format("p{:07}", index);
}

uint32_t shard_of(std::string_view account, uint32_t shards) {
  return static_cast<uint32_t>(ledger::stable_hash(account) % shards);
}

prepare_report prepare_state(const persistence::redis_address& addr, const prepare_options& o) {
  if (o.shards == 0 || o.records_per_chunk == 0 || o.records > o.accounts)
    throw std::invalid_argument("prepare_state: shards and chunk size must be positive and "
                                "records at most accounts");
  prepare_report rep;
  auto t0 = clock_type::now();
  {
    auto img = build_image(o);
    rep.image_build_ms = ms_since(t0);
    auto t1 = clock_type::now();
    // Also records settle:meta account_shards = img.shards (HSETNX), as settled expects.
    rep.snapshot_bytes = persistence::write_snapshot(addr, img);
    rep.snapshot_write_ms = ms_since(t1);
  }  // the image is freed here: the verification load and settled need the memory
  auto t2 = clock_type::now();
  rep.journal_chunks = write_journal(addr, o);
  rep.journal_write_ms = ms_since(t2);
  return rep;
}

}  // namespace settle::bench::recovery
