// The group-commit journal writer against a real redis-server: chunks batched per shard in
// order, the hash chain across writer restarts, Redis stopped, paused or full, and the rule
// that a failed chunk takes the later chunks of its epoch with it.
#define BOOST_TEST_MODULE redis_journal
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "persistence/journal_batch.hpp"
#include "persistence/redis_connection.hpp"
#include "persistence/redis_journal.hpp"
#include "persistence/redis_server.hpp"
#include "redis_fixture.hpp"

using namespace settle::persistence;
using namespace std::chrono_literals;
using namespace settle::testing;  // redis_instance, chunks, stored_batches

namespace {

/// A real redis-server with journal options for it.
struct redis_fixture : redis_instance {
  explicit redis_fixture(uint64_t maxmemory = 0) : redis_instance(maxmemory) {
    journal.address.unix_socket = socket();
    journal.shards = 5;
    journal.deadline_ms = 300;
  }
  redis_journal_options journal;
};

journal_record record(const std::string& id, size_t pad = 0) {
  journal_record r;
  r.txn_id = id;
  r.id_namespace = "acme";
  r.account = "alice";
  r.currency = "EUR";
  r.amount = 1;
  r.ref = std::string(pad, 'x');
  return r;
}

constexpr uint32_t shard = 4;

/// Appends one record (in `epoch`: after a failure, the shard's later chunks need a newer
/// one) and waits for the final word.
bool landed(chunks& c, const std::string& id, size_t pad = 0, uint64_t epoch = 0) {
  auto seq = c.append(shard, record(id, pad), epoch);
  BOOST_REQUIRE(seq != 0);
  auto d = c.final_word(shard, seq);
  BOOST_REQUIRE(d.has_value());
  return *d == durability::durable;
}

std::vector<std::string> stored_ids(redis_fixture& f, uint32_t s) {
  std::vector<std::string> ids;
  for (auto& b : stored_batches(f.journal, s))
    for (auto& r : b.records)
      ids.push_back(r.txn_id);
  return ids;
}

}  // namespace

BOOST_AUTO_TEST_CASE(group_commit_keeps_order_and_chain_per_shard) {
  redis_fixture f;
  f.journal.max_batch_delay_us = 2000;
  {
    redis_journal_writer w{f.journal};
    chunks c{w};
    std::vector<std::thread> threads;
    std::vector<std::vector<uint64_t>> seqs(4);
    for (uint32_t t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 500; ++i)
          seqs[t].push_back(
              c.append(t + 1, record("t" + std::to_string(t) + "-" + std::to_string(i))));
      });
    for (auto& th : threads)
      th.join();
    for (uint32_t t = 0; t < 4; ++t)
      for (auto seq : seqs[t]) {
        BOOST_REQUIRE(seq != 0);
        BOOST_CHECK(c.final_word(t + 1, seq) == durability::durable);
      }
    BOOST_CHECK_EQUAL(w.records_written(), 2000u);
    BOOST_CHECK_LT(w.batches_written(), 2000u);  // batched, not one round trip per chunk
    BOOST_CHECK_EQUAL(c.append(5, record("x")), 0u);  // no such shard
  }
  for (uint32_t s = 1; s <= 4; ++s) {
    auto ids = stored_ids(f, s);
    BOOST_REQUIRE_EQUAL(ids.size(), 500u);
    for (int i = 0; i < 500; ++i)  // records appear in append order
      BOOST_CHECK_EQUAL(ids[i], "t" + std::to_string(s - 1) + "-" + std::to_string(i));
  }
}

BOOST_AUTO_TEST_CASE(a_chunk_of_many_records_lands_in_one_batch) {
  redis_fixture f;
  redis_journal_writer w{f.journal};
  chunks c{w};
  std::vector<journal_record> many;
  for (int i = 0; i < 300; ++i)
    many.push_back(record("m" + std::to_string(i)));
  auto seq = c.append(shard, many);
  BOOST_REQUIRE(c.final_word(shard, seq) == durability::durable);
  std::vector<journal_batch> batches;
  BOOST_REQUIRE(verify_chain(shard, read_journal_stream(f.journal, shard), batches).ok);
  BOOST_REQUIRE_EQUAL(batches.size(), 1u);
  BOOST_CHECK_EQUAL(batches[0].records.size(), 300u);
}

BOOST_AUTO_TEST_CASE(a_new_writer_continues_the_chain) {
  redis_fixture f;
  {
    redis_journal_writer w{f.journal};
    chunks c{w};
    BOOST_CHECK(landed(c, "a"));
    BOOST_CHECK(landed(c, "b"));
  }
  redis_journal_writer again{f.journal};
  chunks c{again};
  BOOST_CHECK_EQUAL(again.next_seq(shard), 2u);
  BOOST_CHECK(landed(c, "c"));
  std::vector<journal_batch> batches;
  auto report = verify_chain(4, read_journal_stream(f.journal, shard), batches);
  BOOST_CHECK_MESSAGE(report.ok, report.problem);
  BOOST_CHECK_EQUAL(report.good_batches, 3u);
}

BOOST_AUTO_TEST_CASE(redis_stopped_then_back) {
  redis_fixture f;
  redis_journal_writer w{f.journal};
  chunks c{w};
  BOOST_CHECK(landed(c, "before"));
  f.server->stop();
  auto t0 = std::chrono::steady_clock::now();
  auto during = c.append(shard, record("during"));
  auto first = c.first_word(shard, during);  // not durable, and said promptly
  BOOST_REQUIRE(first.has_value());
  BOOST_CHECK(*first != durability::durable);
  BOOST_CHECK_LT(std::chrono::steady_clock::now() - t0, 5s);
  f.server->restart();
  BOOST_CHECK(c.final_word(shard, during) == durability::failed);  // it never reached Redis
  BOOST_CHECK(landed(c, "after", 0, 1));
  auto ids = stored_ids(f, shard);
  BOOST_REQUIRE_EQUAL(ids.size(), 2u);
  BOOST_CHECK_EQUAL(ids[1], "after");
}

BOOST_AUTO_TEST_CASE(redis_paused_past_the_deadline) {
  redis_fixture f;
  f.journal.max_queued_records = 50;
  f.journal.max_batch_records = 10;
  redis_journal_writer w{f.journal};
  chunks c{w};
  BOOST_CHECK(landed(c, "before"));
  f.server->signal(SIGSTOP);
  // The first word comes within the deadline; the final one once Redis answers again.
  auto paused = c.append(shard, record("paused"));
  BOOST_REQUIRE(paused != 0);
  BOOST_CHECK(c.first_word(shard, paused) == durability::uncertain);
  // While Redis is stuck, the queue is bounded: appends beyond it are refused at once.
  std::vector<uint64_t> accepted;
  for (int i = 0; i < 200; ++i)
    if (auto seq = c.append(shard, record("q" + std::to_string(i))); seq != 0)
      accepted.push_back(seq);
  // 50 queued, plus at most one batch the writer took off the queue meanwhile (it is in
  // flight to the stopped Redis, no longer queued): how often that happens is timing.
  BOOST_CHECK_LE(accepted.size(), 50u + 10u);
  f.server->signal(SIGCONT);
  auto final_word = c.final_word(shard, paused);
  BOOST_REQUIRE(final_word.has_value());
  for (auto seq : accepted)
    BOOST_CHECK(c.final_word(shard, seq).has_value());
  BOOST_CHECK(landed(c, "after", 0, 1));
  std::vector<journal_batch> batches;
  auto report = verify_chain(4, read_journal_stream(f.journal, shard), batches);
  BOOST_CHECK_MESSAGE(report.ok, report.problem);
  // The final word on the chunk in doubt matches what Redis holds.
  bool stored = false;
  for (auto& b : batches)
    for (auto& r : b.records)
      stored = stored || r.txn_id == "paused";
  BOOST_CHECK_EQUAL(stored, *final_word == durability::durable);
}

BOOST_AUTO_TEST_CASE(chunks_in_doubt_are_settled_without_new_appends) {
  redis_fixture f;
  redis_journal_writer w{f.journal};
  chunks c{w};
  BOOST_CHECK(landed(c, "before"));
  f.server->signal(SIGSTOP);
  auto seq = c.append(shard, record("stuck"));
  BOOST_CHECK(c.first_word(shard, seq) == durability::uncertain);
  f.server->signal(SIGCONT);
  // Nothing else is appended: the writer reconnects on its own and says what became of it.
  auto d = c.final_word(shard, seq);
  BOOST_REQUIRE(d.has_value());
  auto ids = stored_ids(f, shard);
  BOOST_CHECK_EQUAL(std::count(ids.begin(), ids.end(), "stuck"), *d == durability::durable);
}

BOOST_AUTO_TEST_CASE(a_failed_chunk_fails_the_later_chunks_of_its_epoch) {
  redis_fixture f{4 * 1024 * 1024};
  redis_journal_writer w{f.journal};
  chunks c{w};
  // Fill Redis until a chunk is refused (OOM)...
  uint64_t refused = 0;
  for (int i = 0; i < 400 && refused == 0; ++i) {
    auto seq = c.append(shard, record("big" + std::to_string(i), 32 * 1024));
    if (c.final_word(shard, seq) == durability::failed)
      refused = seq;
  }
  BOOST_REQUIRE(refused != 0);
  // ...then give it room again: a later chunk of the same epoch still fails (it may rest on
  // the refused one), one of a newer epoch lands.
  redis_connection{f.journal.address}.run({"CONFIG", "SET", "maxmemory", "0"});
  auto stale = c.append(shard, record("stale"), 0);
  BOOST_CHECK(c.final_word(shard, stale) == durability::failed);
  auto fresh = c.append(shard, record("fresh"), 1);
  BOOST_CHECK(c.final_word(shard, fresh) == durability::durable);
  auto ids = stored_ids(f, shard);  // what was written is intact
  BOOST_CHECK(std::find(ids.begin(), ids.end(), "stale") == ids.end());
  BOOST_CHECK(std::find(ids.begin(), ids.end(), "fresh") != ids.end());
}
