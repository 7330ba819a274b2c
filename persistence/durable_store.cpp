#include "persistence/durable_store.hpp"

#include <chrono>
#include <future>
#include <stdexcept>

#include "base/wall_clock.hpp"
#include "ledger/stable_hash.hpp"
#include "persistence/history_scan.hpp"
#include "persistence/journal_batch.hpp"
#include "persistence/redis_connection.hpp"

namespace settle::persistence {

namespace {

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

std::string fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

durable_store::durable_store(durable_store_options opts) : opts_(std::move(opts)) {
  auto t0 = clock_type::now();
  if (opts_.embedded) {
    opts_.server.die_with_parent = true;
    server_ = std::make_unique<redis_server>(opts_.server);
    opts_.address = redis_address{};
    opts_.address.unix_socket = server_->unix_socket();
    opts_.log("embedded redis-server started (pid " + std::to_string(server_->pid()) +
              ", socket " + server_->unix_socket() + ", appendfsync " +
              opts_.server.appendfsync + ") in " + fixed1(ms_since(t0)) + " ms");
  }
  opts_.journal.address = opts_.address;
  opts_.journal.shards = opts_.shards;

  load_report report;
  load_options lo;
  lo.stop_at_last_good = opts_.stop_at_last_good;
  lo.stream_prefix = opts_.journal.stream_prefix;  // the streams the writer below continues
  image_ = std::make_unique<durable_image>(load_image(opts_.address, opts_.shards, lo, report));
  opts_.log("recovery: snapshot with " + std::to_string(report.snapshot_accounts) +
            " accounts and " + std::to_string(report.snapshot_ids) + " ids loaded in " +
            fixed1(report.snapshot_ms) + " ms; journal replay of " +
            std::to_string(report.batches) + " batches, " + std::to_string(report.records) +
            " records in " + fixed1(report.replay_ms) + " ms");
  if (!report.truncated.empty())
    opts_.log("recovery: journal cut at the last good batch as asked: " + report.truncated);

  auto t1 = clock_type::now();
  writer_ = std::make_shared<redis_journal_writer>(opts_.journal);
  if (opts_.publish_events) {
    // Its own connection to the same Redis: publishing never holds up the journal.
    opts_.events.address = opts_.address;
    publisher_ = std::make_shared<redis_event_publisher>(opts_.events);
    writer_->set_feed(publisher_);  // before the first append (repair_transfers below)
  }
  repair_transfers(*image_);
  expire_ids(*image_, unix_ms() / 1000, opts_.id_retention_s);
  if (auto why = check_zero_sum(*image_); !why.empty())
    throw std::runtime_error("recovery: the recovered ledger does not sum to zero: " + why);
  size_t accounts = 0;
  for (const auto& shard : image_->accounts)
    accounts += shard.size();
  opts_.log("recovery: " + std::to_string(accounts) + " accounts, " +
            std::to_string(image_->ids.size()) + " remembered ids; transfers repaired and "
            "zero-sum verified in " + fixed1(ms_since(t1)) + " ms; total " +
            fixed1(ms_since(t0)) + " ms");
}

durable_store::~durable_store() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (snapshot_thread_.joinable())
    snapshot_thread_.join();
  for (auto& done : requests_)
    done(false, "the engine is stopping");
  writer_.reset();     // drains what is queued while Redis is still there
  publisher_.reset();  // then publishes what the writer fed it (the writer held it too)
  server_.reset();
}

durable_image durable_store::take_image() {
  if (!image_)
    throw std::logic_error("durable_store::take_image called twice");
  durable_image img = std::move(*image_);
  image_.reset();
  return img;
}

void durable_store::repair_transfers(durable_image& img) {
  // A transfer is committed once its debit is durable. If the engine stopped before the
  // credit was journaled, journal the credit now, exactly as the engine would have.
  std::vector<open_transfer> missing;
  for (const auto& [key, t] : img.transfers) {
    if (t.debit_seen && !t.credit_seen)
      missing.push_back(t);
    else
      throw std::runtime_error("recovery: transfer '" + t.txn_id +
                               "' has a journaled credit but no debit");
  }
  for (const auto& t : missing) {
    uint32_t shard = static_cast<uint32_t>(ledger::stable_hash(t.target) % img.shards);
    auto it = img.accounts[shard].find(t.target);
    if (it == img.accounts[shard].end())
      throw std::runtime_error("recovery: transfer '" + t.txn_id + "' credits account '" +
                               t.target + "', which does not exist");
    journal_record rec;
    rec.type = record_type::txn;
    rec.account = t.target;
    rec.currency = t.currency;
    rec.at_unix_ms = unix_ms();
    rec.role = leg_role::transfer_credit;
    rec.kind = protocol::txn_kind::transfer;
    rec.txn_id = t.txn_id;
    rec.to = t.source;
    rec.fingerprint = t.fingerprint;
    rec.amount = t.amount;
    rec.balance_after = it->second.balance + t.amount;
    rec.version_after = it->second.version + 1;
    // Before the engine exists: the shard's outcomes come here until its actor attaches.
    auto landed = std::make_shared<std::promise<durability>>();
    auto result = landed->get_future();
    writer_->attach(shard, [landed](uint64_t, uint64_t, durability d) {
      if (d != durability::uncertain)
        landed->set_value(d);
    });
    journal_chunk chunk;
    chunk.shard = shard;
    chunk.seq = 1;
    chunk.records = 1;
    append_record(chunk.bytes, view_of(rec));
    if (!writer_->append(std::move(chunk)))
      throw std::runtime_error("recovery: cannot queue the repair of transfer " + t.txn_id);
    auto outcome = result.get();
    writer_->attach(shard, nullptr);
    if (outcome != durability::durable)
      throw std::runtime_error("recovery: Redis refused the repair of transfer " + t.txn_id);
    fold(img, shard, rec);
    opts_.log("recovery: transfer '" + t.txn_id + "' was committed but not credited; credited " +
              std::to_string(t.amount) + " to '" + t.target + "'");
  }
}

void durable_store::start_snapshots() {
  snapshot_thread_ = std::thread([this] { snapshot_loop(); });
}

void durable_store::request_snapshot(std::function<void(bool, std::string)> done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_) {
      requests_.push_back(std::move(done));
      done = nullptr;
    }
  }
  if (done)
    done(false, "the engine is stopping");
  wake_.notify_all();
}

std::vector<ledger::history_log> durable_store::load_history() {
  auto t0 = clock_type::now();
  redis_connection conn{opts_.address};
  auto out = scan_history(conn, opts_.journal.stream_prefix, opts_.shards, opts_.history,
                          wall_clock_ms(), wall_clock_offset_ms().load());
  size_t changes = 0;
  for (const auto& log : out)
    changes += log.changes();
  opts_.log("history: " + std::to_string(changes) + " changes read from the journal in " +
            fixed1(ms_since(t0)) + " ms");
  return out;
}

std::string durable_store::take_snapshot() {
  try {
    auto t0 = clock_type::now();
    load_report report;
    load_options lo;
    lo.stream_prefix = opts_.journal.stream_prefix;
    auto img = load_image(opts_.address, opts_.shards, lo, report);
    expire_ids(img, unix_ms() / 1000, opts_.id_retention_s);
    // The journal is kept for partner settlement's open periods and for account history.
    const int64_t keep_from = std::min(journal_hold_->load(),
                                       opts_.history.retention_ms <= 0
                                           ? INT64_MAX
                                           : unix_ms() - opts_.history.retention_ms);
    auto bytes = write_snapshot(opts_.address, img, opts_.journal.stream_prefix, keep_from);
    size_t accounts = 0;
    for (const auto& shard : img.accounts)
      accounts += shard.size();
    opts_.log("snapshot: " + std::to_string(accounts) + " accounts, " +
              std::to_string(img.ids.size()) + " ids, " + std::to_string(bytes) +
              " bytes, folded " + std::to_string(report.records) + " journal records; " +
              fixed1(ms_since(t0)) + " ms on the snapshot thread");
    return {};
  } catch (const std::exception& e) {
    opts_.log(std::string{"snapshot failed: "} + e.what());
    return e.what();
  }
}

void durable_store::snapshot_loop() {
  auto next = clock_type::now() + std::chrono::seconds(opts_.snapshot_interval_s);
  for (;;) {
    std::vector<std::function<void(bool, std::string)>> asked;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      auto due = [&] { return stopping_ || !requests_.empty(); };
      if (opts_.snapshot_interval_s == 0)
        wake_.wait(lock, due);
      else
        wake_.wait_until(lock, next, due);
      if (stopping_)
        return;
      asked.swap(requests_);
    }
    auto why = take_snapshot();
    next = clock_type::now() + std::chrono::seconds(opts_.snapshot_interval_s);
    for (auto& done : asked)
      done(why.empty(), why.empty() ? "snapshot written" : why);
  }
}

}  // namespace settle::persistence
