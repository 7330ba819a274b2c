// Snapshots and recovery against a real redis-server: snapshot + journal gives the same state
// as folding the whole journal, damage is found and named (or cut on request), and snapshots
// can be taken while the journal keeps growing.
#define BOOST_TEST_MODULE snapshot_store
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <thread>

#include "persistence/durable_store.hpp"
#include "persistence/journal_batch.hpp"
#include "persistence/redis_connection.hpp"
#include "persistence/redis_server.hpp"
#include "persistence/snapshot_store.hpp"
#include "tests/persistence/journal_model.hpp"
#include "tests/persistence/redis_fixture.hpp"
#include "tests/persistence/snapshot_images.hpp"

using namespace settle::persistence;
using namespace settle::persistence::test;

namespace {

constexpr uint32_t shards = 4;

/// A real redis-server in a temporary directory, removed afterwards.
struct redis_fixture {
  redis_fixture() {
    ::signal(SIGPIPE, SIG_IGN);
    char tmpl[] = "/tmp/settle-snapshot-XXXXXX";
    dir = mkdtemp(tmpl);
    redis_server_options o;
    o.dir = dir;
    o.appendfsync = "no";  // durability of the test server is not under test
    server = std::make_unique<redis_server>(o);
    addr.unix_socket = server->unix_socket();
  }
  ~redis_fixture() {
    server.reset();
    std::filesystem::remove_all(dir);
  }
  std::string dir;
  std::unique_ptr<redis_server> server;
  redis_address addr;
};

/// The test's own commands; an error reply fails the test (redis_error).
class client {
public:
  explicit client(const redis_address& a) : c_(a) {}

  redis_reply run(const std::vector<std::string>& args) {
    return c_.run(std::vector<std::string_view>(args.begin(), args.end()));
  }
  std::string str(const std::vector<std::string>& args) {
    auto r = run(args);
    return r->type == REDIS_REPLY_STRING ? std::string{reply_text(r.get())} : std::string{};
  }
  long long integer(const std::vector<std::string>& args) { return run(args)->integer; }

private:
  redis_connection c_;
};

std::string stream(uint32_t shard) {
  return journal_stream_key(default_journal_stream_prefix, shard);
}

/// Writes journal batches the way the journal writer does: XADD of encode_batch output,
/// continuing each shard's hash chain.
class appender {
public:
  explicit appender(const redis_address& a) : c_(a), pos_(shards) {}

  /// One batch; `flip` damages one byte of it after encoding. Returns its stream id.
  std::string batch(uint32_t shard, std::vector<journal_record> records, bool flip = false) {
    journal_batch b;
    b.shard = shard;
    b.seq = pos_[shard].next_seq;
    b.prev_hash = pos_[shard].last_hash;
    b.records = std::move(records);
    uint64_t hash = 0;
    std::string bytes = encode_batch(b, hash);
    if (flip)
      bytes[bytes.size() / 2] ^= 0x20;
    std::string id = c_.str({"XADD", stream(shard), "*", "b", bytes});
    // The writer moves on as if the batch were fine (the damage happened in storage).
    pos_[shard] = {b.seq + 1, hash, id};
    ++batches_;
    return id;
  }
  /// All `records`, in order per shard, in batches of up to `per_batch`.
  void all(const std::vector<journal_record>& records, size_t per_batch) {
    std::vector<std::vector<journal_record>> pending(shards);
    for (const auto& r : records) {
      auto s = shard_of(r.account, shards);
      pending[s].push_back(r);
      if (pending[s].size() == per_batch)
        batch(s, std::exchange(pending[s], {}));
    }
    for (uint32_t s = 0; s < shards; ++s)
      if (!pending[s].empty())
        batch(s, std::exchange(pending[s], {}));
  }
  const stream_position& position(uint32_t shard) const { return pos_[shard]; }
  /// Continues from where a load left a shard (after a cut).
  void resume(uint32_t shard, const stream_position& p) { pos_[shard] = p; }
  size_t batches() const { return batches_; }

private:
  client c_;
  std::vector<stream_position> pos_;
  size_t batches_ = 0;
};

/// Folding every record in the order written, at the appender's positions.
durable_image expected(const std::vector<journal_record>& records, const appender& a) {
  durable_image img{shards};
  fold_all(img, records);
  for (uint32_t s = 0; s < shards; ++s)
    img.positions[s] = a.position(s);
  return img;
}

durable_image load(const redis_address& addr, load_report& report, bool cut = false) {
  load_options o;
  o.stop_at_last_good = cut;
  return load_image(addr, shards, o, report);
}

/// The message of the runtime_error `f` throws ("" if it throws none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(empty_redis_loads_an_empty_image) {
  redis_fixture f;
  load_report report;
  auto img = load(f.addr, report);
  BOOST_CHECK_EQUAL(image_difference(img, durable_image{shards}), "");
  BOOST_CHECK_EQUAL(report.batches, 0u);
  client c{f.addr};
  BOOST_CHECK_EQUAL(c.str({"HGET", "settle:meta", "account_shards"}), "4");
}

BOOST_AUTO_TEST_CASE(load_equals_the_folded_records) {
  redis_fixture f;
  record_writer w;
  mixed_workload(w, 1, 40, 6000, "a");
  appender a{f.addr};
  a.all(w.records, 1);  // one record per batch: more than one XRANGE page per shard
  BOOST_REQUIRE_GT(a.position(0).next_seq, 1000u);

  load_report report;
  auto img = load(f.addr, report);
  BOOST_CHECK_EQUAL(image_difference(img, expected(w.records, a)), "");
  BOOST_CHECK_EQUAL(report.batches, a.batches());
  BOOST_CHECK_EQUAL(report.records, w.records.size());
  BOOST_CHECK_EQUAL(report.snapshot_accounts, 0u);
  BOOST_CHECK(report.truncated.empty());
  BOOST_CHECK_EQUAL(check_zero_sum(img), "");
}

BOOST_AUTO_TEST_CASE(snapshot_plus_later_batches_equals_everything_folded) {
  redis_fixture f;
  record_writer w;
  appender a{f.addr};
  client c{f.addr};
  mixed_workload(w, 2, 40, 1500, "a");
  a.all(w.records, 7);

  load_report report;
  auto first = load(f.addr, report);
  size_t bytes = write_snapshot(f.addr, first);
  BOOST_CHECK_GT(bytes, 0u);
  // Trimmed: only each stream's last folded entry is left (where a writer continues).
  for (uint32_t s = 0; s < shards; ++s) {
    BOOST_CHECK_EQUAL(c.integer({"XLEN", stream(s)}), 1);
    auto last = c.run({"XRANGE", stream(s), "-", "+"});
    BOOST_CHECK_EQUAL(std::string(last->element[0]->element[0]->str),
                      first.positions[s].last_entry_id);
  }

  size_t before = w.records.size(), batches_before = a.batches();
  mixed_workload(w, 3, 40, 1000, "b");
  a.all({w.records.begin() + static_cast<ptrdiff_t>(before), w.records.end()}, 5);

  auto second = load(f.addr, report);
  BOOST_CHECK_EQUAL(image_difference(second, expected(w.records, a)), "");
  BOOST_CHECK_EQUAL(report.snapshot_accounts, 40u);
  BOOST_CHECK_EQUAL(report.snapshot_ids, first.ids.size());
  BOOST_CHECK_EQUAL(report.batches, a.batches() - batches_before);
  BOOST_CHECK_EQUAL(report.records, w.records.size() - before);
  BOOST_CHECK_EQUAL(check_zero_sum(second), "");

  // A second snapshot replaces the first: one generation is left, and it loads the same.
  write_snapshot(f.addr, second);
  auto keys = c.run({"KEYS", "settle:snapshot:chunk:*"});
  auto head = c.str({"GET", "settle:snapshot:head"});
  BOOST_REQUIRE_EQUAL(keys->elements, 1u);
  BOOST_CHECK(contains(head, " 1"));
  BOOST_CHECK(contains(std::string(keys->element[0]->str), head.substr(0, head.find(' ')) + ":0"));
  auto third = load(f.addr, report);
  BOOST_CHECK_EQUAL(report.batches, 0u);
  BOOST_CHECK_EQUAL(image_difference(third, second), "");
}

BOOST_AUTO_TEST_CASE(a_large_snapshot_is_written_in_chunks) {
  redis_fixture f;
  durable_image img{shards};
  for (int i = 0; i < 200'000; ++i) {
    std::string id = "player-with-a-fairly-long-account-id-" + std::to_string(i);
    auto& a = img.accounts[shard_of(id, shards)][id];
    a.balance = i * 7;
    a.version = static_cast<uint64_t>(i % 13);
    a.currency = settle::ledger::pack_currency(i % 2 ? "EUR" : "USD");
    a.status = i % 5 ? settle::protocol::account_status::active
                     : settle::protocol::account_status::blocked;
  }
  for (int i = 0; i < 20'000; ++i) {
    settle::ledger::id_entry e;
    e.state = settle::ledger::id_state::done;
    e.fingerprint = static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ull;
    e.created_at_s = 1'790'000'000 + i;
    e.account = "player-" + std::to_string(i);
    e.amount = i;
    e.rolled_back = i % 3 == 0;
    img.ids[settle::ledger::hash_id("acme", "bet-" + std::to_string(i))] = e;
  }
  img.clearing[{"acme", settle::ledger::pack_currency("EUR")}].bets = 5;
  img.transfers["t"] = open_transfer{"a", "b", "EUR", 5, "t", 9, 10, true, false};
  img.positions[2] = {17, 0xabcdef, "12345-6"};
  balance_with_house(img);  // a snapshot is of a ledger that sums to zero

  size_t bytes = write_snapshot(f.addr, img);
  BOOST_CHECK_GT(bytes, 8u << 20);
  client c{f.addr};
  auto head = c.str({"GET", "settle:snapshot:head"});
  std::string gen = head.substr(0, head.find(' '));
  uint32_t chunks = static_cast<uint32_t>(std::stoul(head.substr(head.find(' ') + 1)));
  BOOST_CHECK_GE(chunks, 2u);
  size_t total = 0;
  for (uint32_t i = 0; i < chunks; ++i) {
    auto len = c.integer({"STRLEN", "settle:snapshot:chunk:" + gen + ":" + std::to_string(i)});
    BOOST_CHECK_LE(len, 8 << 20);
    total += static_cast<size_t>(len);
  }
  BOOST_CHECK_EQUAL(total, bytes);

  load_report report;
  auto loaded = load(f.addr, report);
  BOOST_CHECK_EQUAL(image_difference(loaded, img), "");
  BOOST_CHECK_EQUAL(report.snapshot_accounts, 200'000u);
  BOOST_CHECK_EQUAL(report.snapshot_ids, 20'000u);
}

BOOST_AUTO_TEST_CASE(a_damaged_batch_is_named_or_cut) {
  redis_fixture f;
  record_writer w;
  appender a{f.addr};
  mixed_workload(w, 4, 20, 300, "a");
  a.all(w.records, 3);

  // Five more batches on shard 1; the third is damaged in storage.
  std::string p;
  for (const auto& [id, acc] : w.accounts)
    if (shard_of(id, shards) == 1)
      p = id;
  BOOST_REQUIRE(!p.empty());
  uint64_t bad_seq = a.position(1).next_seq + 2;
  size_t good_records = 0;
  for (int i = 0; i < 5; ++i) {
    w.player(p, txn_kind::deposit, "late" + std::to_string(i), 10);
    a.batch(1, {w.records.back()}, i == 2);
    if (i == 0)
      good_records = w.records.size() + 1;  // up to and including the second late deposit
  }

  load_report report;
  auto problem = error_of([&] { load(f.addr, report); });
  BOOST_CHECK_MESSAGE(contains(problem, "journal shard 1, batch " + std::to_string(bad_seq)),
                      problem);
  BOOST_CHECK_MESSAGE(contains(problem, "checksum mismatch"), problem);

  // Cut at the last good batch: the good prefix loads, the rest is gone from the stream.
  auto img = load(f.addr, report, true);
  std::vector<journal_record> good{w.records.begin(),
                                   w.records.begin() + static_cast<ptrdiff_t>(good_records)};
  durable_image want{shards};
  fold_all(want, good);
  for (uint32_t s = 0; s < shards; ++s)
    want.positions[s] = s == 1 ? img.positions[1] : a.position(s);
  BOOST_CHECK_EQUAL(image_difference(img, want), "");
  BOOST_CHECK_EQUAL(img.positions[1].next_seq, bad_seq);
  BOOST_CHECK_MESSAGE(contains(report.truncated, "journal shard 1: cut 3 batch"),
                      report.truncated);
  BOOST_CHECK_MESSAGE(contains(report.truncated, "checksum mismatch"), report.truncated);
  client c{f.addr};
  BOOST_CHECK_EQUAL(c.integer({"XLEN", stream(1)}), static_cast<long long>(bad_seq));

  // The journal is whole again.
  auto again = load(f.addr, report);
  BOOST_CHECK(report.truncated.empty());
  BOOST_CHECK_EQUAL(image_difference(again, img), "");

  // After a snapshot, batches are counted from the snapshot's position.
  write_snapshot(f.addr, again);
  a.resume(1, again.positions[1]);
  w.records.resize(good_records);
  w.accounts[p].balance -= 30;
  w.accounts[p].version -= 3;
  w.player(p, txn_kind::deposit, "later0", 10);
  a.batch(1, {w.records.back()});
  w.player(p, txn_kind::deposit, "later1", 10);
  a.batch(1, {w.records.back()}, true);
  problem = error_of([&] { load(f.addr, report); });
  BOOST_CHECK_MESSAGE(contains(problem, "journal shard 1, batch 1 "), problem);
}

BOOST_AUTO_TEST_CASE(a_record_that_does_not_fold_is_refused_with_its_position) {
  redis_fixture f;
  record_writer w;
  appender a{f.addr};
  w.open("alice");
  w.player("alice", txn_kind::deposit, "d1", 100);
  auto bad = w.player("alice", txn_kind::bet, "b1", -10);
  bad.balance_after = 7;
  uint32_t s = shard_of("alice", shards);
  a.batch(s, {w.records[0], w.records[1]});
  a.batch(s, {bad});
  load_report report;
  auto problem = error_of([&] { load(f.addr, report); });
  BOOST_CHECK_MESSAGE(contains(problem, "journal shard " + std::to_string(s) + ", batch 1"),
                      problem);
  BOOST_CHECK_MESSAGE(contains(problem, "alice") && contains(problem, "balance_after"), problem);
}

BOOST_AUTO_TEST_CASE(a_damaged_snapshot_is_refused) {
  redis_fixture f;
  record_writer w;
  appender a{f.addr};
  mixed_workload(w, 5, 10, 100, "a");
  a.all(w.records, 4);
  load_report report;
  write_snapshot(f.addr, load(f.addr, report));

  client c{f.addr};
  auto head = c.str({"GET", "settle:snapshot:head"});
  std::string key = "settle:snapshot:chunk:" + head.substr(0, head.find(' ')) + ":0";
  std::string byte = c.str({"GETRANGE", key, "40", "40"});
  byte[0] ^= 0x01;
  c.run({"SETRANGE", key, "40", byte});
  auto problem = error_of([&] { load(f.addr, report); });
  BOOST_CHECK_MESSAGE(contains(problem, "snapshot generation") &&
                          contains(problem, "chunk 0") && contains(problem, "checksum"),
                      problem);

  c.run({"DEL", key});
  problem = error_of([&] { load(f.addr, report); });
  BOOST_CHECK_MESSAGE(contains(problem, "chunk 0: missing"), problem);
}

BOOST_AUTO_TEST_CASE(a_different_shard_count_is_refused) {
  redis_fixture f;
  load_report report;
  load(f.addr, report);  // records 4
  auto problem = error_of([&] { load_image(f.addr, 5, {}, report); });
  BOOST_CHECK_MESSAGE(contains(problem, "4 account shards") && contains(problem, "5"), problem);
  problem = error_of([&] { write_snapshot(f.addr, durable_image{5}); });
  BOOST_CHECK_MESSAGE(contains(problem, "4 account shards"), problem);
  client c{f.addr};
  BOOST_CHECK_EQUAL(c.integer({"EXISTS", "settle:snapshot:head"}), 0);
}

BOOST_AUTO_TEST_CASE(snapshots_taken_while_the_journal_grows) {
  redis_fixture f;
  record_writer w;
  mixed_workload(w, 6, 40, 3000, "a");
  appender a{f.addr};
  std::atomic<bool> writing{true};
  std::atomic<int> snapshots{0}, loads{0};
  std::string snapshot_problem, load_problem;
  // `body` until the journal is written (at least once); the first error ends it.
  auto loop = [&](std::atomic<int>& count, std::string& problem, auto body) {
    return std::thread([&, body] {
      try {
        do {
          load_report report;
          auto img = load(f.addr, report);
          if (auto sum = check_zero_sum(img); !sum.empty())
            throw std::runtime_error(sum);
          body(img);
          ++count;
        } while (writing.load());
      } catch (const std::exception& e) {
        problem = e.what();
      }
    });
  };
  // The engine's background snapshot: load, check, write, and again soon (far more often than
  // the engine does, but not back to back, which would starve the reader's retries).
  auto snapshotter = loop(snapshots, snapshot_problem, [&](const durable_image& img) {
    write_snapshot(f.addr, img);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  });
  // A reader whose snapshot and journal are replaced and trimmed under it.
  auto reader = loop(loads, load_problem, [](const durable_image&) {});
  a.all(w.records, 3);
  writing = false;
  snapshotter.join();
  reader.join();
  BOOST_REQUIRE_MESSAGE(snapshot_problem.empty(), snapshot_problem);
  BOOST_REQUIRE_MESSAGE(load_problem.empty(), load_problem);
  BOOST_CHECK_GE(snapshots.load(), 1);
  BOOST_TEST_MESSAGE(snapshots.load() << " snapshots and " << loads.load()
                                      << " loads while the journal grew");

  load_report report;
  auto img = load(f.addr, report);
  BOOST_CHECK_EQUAL(image_difference(img, expected(w.records, a)), "");
  BOOST_CHECK_EQUAL(check_zero_sum(img), "");
}

BOOST_AUTO_TEST_CASE(another_stream_prefix_serves_journal_snapshot_and_recovery) {
  redis_fixture f;
  const std::string prefix = "books:2:journal:";
  durable_store_options o;
  o.embedded = false;
  o.address = f.addr;
  o.shards = shards;
  o.journal.stream_prefix = prefix;  // what settled's journal.stream_prefix sets
  o.publish_events = false;
  o.snapshot_interval_s = 0;
  o.id_retention_s = int64_t{1} << 40;  // the records' times are made up: keep their ids
  o.history.retention_ms = 0;  // no history: the journal is trimmed behind the snapshot
  record_writer w;
  auto player = [](int i) { return "p" + std::to_string(i); };
  for (int i = 0; i < 12; ++i) {
    w.open(player(i));
    w.player(player(i), txn_kind::deposit, "d" + std::to_string(i), 100);
    w.player(player(i), txn_kind::bet, "b" + std::to_string(i), -10);
  }
  // Each record its own chunk, durable before the next.
  auto journal = [&](durable_store& store, size_t from) {
    settle::testing::chunks c{*store.writer()};
    for (size_t i = from; i < w.records.size(); ++i)
      c.append_durable(shard_of(w.records[i].account, shards), {w.records[i]});
  };
  size_t before_snapshot = 0;
  {
    durable_store store{o};
    journal(store, 0);
    store.start_snapshots();
    std::promise<std::pair<bool, std::string>> done;
    store.request_snapshot([&](bool ok, std::string why) { done.set_value({ok, why}); });
    auto [ok, why] = done.get_future().get();
    BOOST_REQUIRE_MESSAGE(ok, why);
    before_snapshot = w.records.size();
    for (int i = 0; i < 12; ++i)
      w.player(player(i), txn_kind::win, "w" + std::to_string(i), 5);
    journal(store, before_snapshot);
  }
  client c{f.addr};
  BOOST_CHECK_EQUAL(c.run({"KEYS", "settle:journal:*"})->elements, 0u);
  // Trimmed behind the snapshot: each stream keeps its last folded batch and the wins.
  long long entries = 0;
  for (uint32_t s = 0; s < shards; ++s)
    entries += c.integer({"XLEN", prefix + std::to_string(s)});
  BOOST_CHECK_LE(entries, static_cast<long long>(shards + w.records.size() - before_snapshot));
  BOOST_CHECK_GE(entries, static_cast<long long>(w.records.size() - before_snapshot));

  // Recovery: the snapshot, then the wins from the same streams.
  durable_store again{o};
  auto img = again.take_image();
  durable_image want{shards};
  fold_all(want, w.records);
  want.positions = img.positions;
  BOOST_CHECK_EQUAL(image_difference(img, want), "");
  BOOST_CHECK_EQUAL(check_zero_sum(img), "");
  // The default prefix finds the snapshot but no journal after it: the prefix is what counts.
  load_report report;
  auto snapshot_only = load_image(f.addr, shards, {}, report);
  BOOST_CHECK_EQUAL(report.batches, 0u);
  BOOST_CHECK_EQUAL(report.snapshot_accounts, 12u);
  BOOST_CHECK_NE(image_difference(snapshot_only, want), "");
}
