// Durability over real processes: settled with its embedded Redis is stopped cleanly or
// killed (-9) at random moments under a pipelined load, restarted on the same data, and
// must come back with exactly the acknowledged state.
#define BOOST_TEST_MODULE recovery
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <thread>

#include "durability_model.hpp"
#include "persistence/journal_stream.hpp"
#include "persistence/redis_connection.hpp"
#include "persistence/redis_server.hpp"

using namespace settle;
using namespace settle::testing::durability;
using settle::testing::engine_process;

BOOST_AUTO_TEST_CASE(kill_and_restart_many_times_loses_nothing_acknowledged) {
  constexpr int64_t initial_deposit = 100'000'000;
  std::mt19937 rng(20261122);
  workload w(7);
  // Snapshots every second, so kills also land during snapshots and after journal trims.
  engine_process engine({"--journal-max-batch-delay-us", "300", "--snapshot-interval-s", "1"});
  setup_accounts(engine, w, initial_deposit);
  std::vector<sent_txn> history;
  constexpr int cycles = 12;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    BOOST_TEST_CONTEXT("cycle " << cycle) {
      // A pipelined load on three connections; the stop lands while batches are in flight.
      int stop_signal = cycle % 3 == 2 ? SIGTERM : SIGKILL;
      auto stop_after = std::chrono::milliseconds(20 + rng() % 200);
      workload_connections wc(engine);
      std::thread stopper([&] {
        std::this_thread::sleep_for(stop_after);
        engine.stop(stop_signal);
      });
      while (send_round(wc, w, history)) {
      }
      stopper.join();
      engine.start();
      retry_all(engine, history);
    }
  }
  BOOST_TEST_MESSAGE(history.size() << " transactions; unanswered at a stop: "
                                    << retry_stats.found_applied << " found applied, "
                                    << retry_stats.applied_on_retry << " applied on retry");
  BOOST_CHECK_GT(retry_stats.found_applied + retry_stats.applied_on_retry, 0u);
  retry_all(engine, history, true);  // every acknowledged answer, once more
  check_state(engine, w, history, initial_deposit);
  // A final clean restart changes nothing.
  engine.stop(SIGTERM);
  engine.start();
  check_state(engine, w, history, initial_deposit);
}

namespace {

persistence::redis_connection connect_to(const std::string& socket) {
  persistence::redis_address a;
  a.unix_socket = socket;
  return persistence::redis_connection{a};
}

/// Rewrites journal stream `key` of the Redis at `socket` with one byte of entry `index`
/// flipped (entries keep their order; the stream is rebuilt because entries are immutable).
void flip_a_byte(const std::string& socket, const std::string& key, size_t index) {
  auto c = connect_to(socket);
  auto all = c.run({"XRANGE", key, "-", "+"});
  auto entries = persistence::parse_stream_entries(all.get(), key);
  BOOST_REQUIRE_GT(entries.batches.size(), index + 1);  // a batch in the middle, not the last
  auto& batch = entries.batches[index];
  batch[batch.size() / 2] ^= 0x20;
  c.run({"DEL", key});
  for (const auto& b : entries.batches)
    c.run({"XADD", key, "*", "b", b});
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_damaged_journal_is_refused_unless_told_to_cut_it) {
  workload w(3);
  auto engine = std::make_unique<engine_process>(
      std::vector<std::string>{"--snapshot-interval-s", "0", "--shards", "1",
                               "--journal-max-batch-records", "16"});
  setup_accounts(*engine, w, 1000);  // 80 records in batches of at most 16
  engine->stop(SIGTERM);
  std::string dir = engine->data_dir();
  {
    // Redis on the engine's data, to damage batch 2 of journal shard 0.
    persistence::redis_server_options o;
    o.dir = dir + "/redis";
    persistence::redis_server redis{o};
    flip_a_byte(redis.unix_socket(),
                persistence::journal_stream_key(persistence::default_journal_stream_prefix, 0),
                2);
  }
  auto [text, code] = engine->start_expecting_failure();
  BOOST_TEST_MESSAGE("refusal: " << text);
  BOOST_CHECK_NE(code, 0);
  BOOST_CHECK_MESSAGE(text.find("journal shard 0, batch 2") != std::string::npos, text);
  BOOST_CHECK(text.find("checksum") != std::string::npos);
  BOOST_CHECK(text.find("settled listening") == std::string::npos);

  // Told to stop at the last good batch, it starts with the good prefix: the accounts opened
  // in batches 0 and 1 exist, later ones do not, and the ledger still sums to zero.
  engine_process cut({"--snapshot-interval-s", "0", "--shards", "1",
                      "--recover-to-last-good-batch"},
                     dir);
  auto admin = cut.connect(testing::admin_token);
  BOOST_CHECK(admin->balance(w.accounts().front()).ok());
  BOOST_CHECK(admin->balance(w.accounts().back()).error == error_code::unknown_account);
  auto house = admin->balance("house:EUR");
  int64_t sum = house.ok() ? house.balance : 0;
  for (const auto& a : w.accounts())
    if (auto r = admin->balance(a); r.ok())
      sum += r.balance;
  BOOST_CHECK_EQUAL(sum, 0);
  // And it journals again after the cut: a new change survives another restart.
  BOOST_REQUIRE(admin->open("after-cut", "EUR").ok());
  cut.stop(SIGKILL);
  cut.start();
  BOOST_CHECK(cut.connect(testing::admin_token)->balance("after-cut").ok());
}

namespace {

/// Entries in every journal stream of the engine's embedded Redis.
size_t journal_entries(const engine_process& engine, uint32_t shards) {
  auto c = connect_to(engine.data_dir() + "/redis/redis.sock");
  size_t total = 0;
  for (uint32_t s = 0; s < shards; ++s) {
    auto key = persistence::journal_stream_key(persistence::default_journal_stream_prefix, s);
    auto r = c.run({"XLEN", key});
    BOOST_REQUIRE(r->type == REDIS_REPLY_INTEGER);
    total += static_cast<size_t>(r->integer);
  }
  return total;
}

}  // namespace

BOOST_AUTO_TEST_CASE(snapshot_on_demand_trims_the_journal_and_recovery_uses_it) {
  constexpr int64_t initial_deposit = 1'000'000;
  workload w(5);
  // No account history: the journal is then kept for nothing and trimmed to the snapshot.
  engine_process engine(
      {"--snapshot-interval-s", "0", "--shards", "4", "--history-retention-s", "0"});
  setup_accounts(engine, w, initial_deposit);
  std::vector<sent_txn> history;
  {
    workload_connections wc(engine);
    for (int i = 0; i < 10; ++i)
      BOOST_REQUIRE(send_round(wc, w, history));
  }
  auto before = journal_entries(engine, 4);
  // Only admins may ask for a snapshot.
  BOOST_CHECK(engine.connect(testing::acme_token)->snapshot().error == error_code::forbidden);
  auto r = engine.connect(testing::admin_token)->snapshot();
  BOOST_REQUIRE_MESSAGE(r.ok(), r.message);
  auto after = journal_entries(engine, 4);
  BOOST_TEST_MESSAGE("journal entries: " << before << " before the snapshot, " << after
                                         << " after");
  BOOST_CHECK_LE(after, 4u);  // each stream keeps its last batch: where its chain continues
  BOOST_CHECK_LT(after, before);
  {
    workload_connections wc(engine);  // more after the snapshot: recovery needs both
    for (int i = 0; i < 5; ++i)
      BOOST_REQUIRE(send_round(wc, w, history));
  }
  engine.stop(SIGKILL);
  engine.start();
  retry_all(engine, history, true);
  check_state(engine, w, history, initial_deposit);
}
