// The group-commit journal writer against a real redis-server: batching, order, the hash
// chain across writer restarts, and Redis stopped, paused or full.
#define BOOST_TEST_MODULE redis_journal
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "persistence/journal_batch.hpp"
#include "persistence/redis_journal.hpp"
#include "persistence/redis_server.hpp"

using namespace settle::persistence;
using namespace std::chrono_literals;

namespace {

/// A real redis-server in a temporary directory, removed afterwards.
struct redis_fixture {
  redis_fixture(uint64_t maxmemory = 0) {
    ::signal(SIGPIPE, SIG_IGN);  // as settled does: writes to a stopped Redis must not kill us
    char tmpl[] = "/tmp/settle-journal-XXXXXX";
    dir = mkdtemp(tmpl);
    redis_server_options o;
    o.dir = dir;
    o.maxmemory_bytes = maxmemory;
    server = std::make_unique<redis_server>(o);
    journal.unix_socket = server->unix_socket();
    journal.shards = 5;
    journal.deadline_ms = 300;
  }
  ~redis_fixture() {
    server.reset();
    std::filesystem::remove_all(dir);
  }
  std::string dir;
  std::unique_ptr<redis_server> server;
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

/// Waits until `count` reaches `want` (10 s at most).
bool wait_for(const std::atomic<int>& count, int want) {
  for (int i = 0; i < 1000 && count.load() < want; ++i)
    std::this_thread::sleep_for(10ms);
  return count.load() >= want;
}

constexpr uint32_t shard = 4;

/// Appends one record to shard 4 and waits for the first word on it.
durability append_and_wait(redis_journal_writer& w, const std::string& id, size_t pad = 0) {
  auto state = std::make_shared<std::pair<std::atomic<int>, std::atomic<durability>>>();
  BOOST_REQUIRE(w.append(shard, record(id, pad), [state](durability d) {
    if (state->first.load() == 0)
      state->second = d;
    ++state->first;
  }));
  BOOST_REQUIRE(wait_for(state->first, 1));
  return state->second.load();
}

bool landed(redis_journal_writer& w, const std::string& id, size_t pad = 0) {
  return append_and_wait(w, id, pad) == durability::durable;
}

}  // namespace

BOOST_AUTO_TEST_CASE(group_commit_keeps_order_and_chain_per_shard) {
  redis_fixture f;
  f.journal.max_batch_delay_us = 2000;
  std::atomic<int> done{0}, failed{0};
  {
    redis_journal_writer w{f.journal};
    std::vector<std::thread> threads;
    for (uint32_t t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 500; ++i)
          BOOST_CHECK(w.append(t + 1, record("t" + std::to_string(t) + "-" + std::to_string(i)),
                               [&](durability d) {
                                 if (d != durability::durable)
                                   ++failed;
                                 ++done;
                               }));
      });
    for (auto& th : threads)
      th.join();
    BOOST_REQUIRE(wait_for(done, 2000));
    BOOST_CHECK_EQUAL(failed.load(), 0);
    BOOST_CHECK_EQUAL(w.records_written(), 2000u);
    BOOST_CHECK_LT(w.batches_written(), 2000u);  // batched, not one round trip per record
    BOOST_CHECK(!w.append(5, record("x"), [](durability) {}));  // no such shard
  }
  for (uint32_t s = 1; s <= 4; ++s) {
    std::vector<journal_batch> batches;
    auto report = verify_chain(s, read_journal_stream(f.journal, s), batches);
    BOOST_REQUIRE_MESSAGE(report.ok, report.problem);
    int next = 0;  // records appear in append order
    for (auto& b : batches)
      for (auto& r : b.records) {
        BOOST_CHECK_EQUAL(r.txn_id, "t" + std::to_string(s - 1) + "-" + std::to_string(next));
        ++next;
      }
    BOOST_CHECK_EQUAL(next, 500);
  }
}

BOOST_AUTO_TEST_CASE(a_new_writer_continues_the_chain) {
  redis_fixture f;
  {
    redis_journal_writer w{f.journal};
    BOOST_CHECK(landed(w, "a"));
    BOOST_CHECK(landed(w, "b"));
  }
  redis_journal_writer again{f.journal};
  BOOST_CHECK_EQUAL(again.next_seq(shard), 2u);
  BOOST_CHECK(landed(again, "c"));
  std::vector<journal_batch> batches;
  auto report = verify_chain(4, read_journal_stream(f.journal, shard), batches);
  BOOST_CHECK_MESSAGE(report.ok, report.problem);
  BOOST_CHECK_EQUAL(report.good_batches, 3u);
}

BOOST_AUTO_TEST_CASE(redis_stopped_then_back) {
  redis_fixture f;
  redis_journal_writer w{f.journal};
  BOOST_CHECK(landed(w, "before"));
  f.server->stop();
  auto t0 = std::chrono::steady_clock::now();
  BOOST_CHECK(!landed(w, "during"));  // refused, and promptly
  BOOST_CHECK_LT(std::chrono::steady_clock::now() - t0, 5s);
  f.server->restart();
  BOOST_CHECK(landed(w, "after"));
  std::vector<journal_batch> batches;
  auto report = verify_chain(4, read_journal_stream(f.journal, shard), batches);
  BOOST_CHECK_MESSAGE(report.ok, report.problem);
  BOOST_REQUIRE_EQUAL(batches.size(), 2u);
  BOOST_CHECK_EQUAL(batches[1].records[0].txn_id, "after");
}

BOOST_AUTO_TEST_CASE(redis_paused_past_the_deadline) {
  redis_fixture f;
  f.journal.max_queued_records = 50;
  f.journal.max_batch_records = 10;
  redis_journal_writer w{f.journal};
  BOOST_CHECK(landed(w, "before"));
  f.server->signal(SIGSTOP);
  // The first word comes within the deadline; the final one once Redis answers again.
  std::atomic<int> words{0};
  std::atomic<durability> first{durability::durable}, final_word{durability::uncertain};
  BOOST_REQUIRE(w.append(shard, record("paused"), [&](durability d) {
    (words.load() == 0 ? first : final_word) = d;
    ++words;
  }));
  BOOST_REQUIRE(wait_for(words, 1));
  BOOST_CHECK(first.load() == durability::uncertain);
  // While Redis is stuck, the queue is bounded: appends beyond it are refused at once.
  std::atomic<int> done{0};
  int accepted = 0;
  for (int i = 0; i < 200; ++i)
    accepted += w.append(shard, record("q" + std::to_string(i)), [&](durability d) {
      if (d != durability::uncertain)
        ++done;
    });
  // At most the queue plus the one batch the writer is trying to write.
  BOOST_CHECK_LE(accepted, 50 + 10);
  BOOST_CHECK_LT(accepted, 200);
  f.server->signal(SIGCONT);
  BOOST_CHECK(wait_for(done, accepted));
  BOOST_CHECK(wait_for(words, 2));
  BOOST_CHECK(landed(w, "after"));
  std::vector<journal_batch> batches;
  auto report = verify_chain(4, read_journal_stream(f.journal, shard), batches);
  BOOST_CHECK_MESSAGE(report.ok, report.problem);
  // The final word on the record in doubt matches what Redis holds.
  bool stored = false;
  for (auto& b : batches)
    for (auto& r : b.records)
      stored = stored || r.txn_id == "paused";
  BOOST_CHECK_EQUAL(stored, final_word.load() == durability::durable);
}

BOOST_AUTO_TEST_CASE(redis_out_of_memory) {
  redis_fixture f{4 * 1024 * 1024};
  redis_journal_writer w{f.journal};
  bool refused = false;
  for (int i = 0; i < 400 && !refused; ++i)
    refused = !landed(w, "big" + std::to_string(i), 32 * 1024);
  BOOST_CHECK(refused);
  std::vector<journal_batch> batches;
  auto report = verify_chain(4, read_journal_stream(f.journal, shard), batches);
  BOOST_CHECK_MESSAGE(report.ok, report.problem);  // what was written is intact
}
