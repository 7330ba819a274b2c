// What the ledger shards do with each journal outcome, driven by a scripted journal: a refused
// chunk is undone (with everything applied after it) and answered `unavailable`; a chunk in
// doubt keeps its ids reserved until the outcome is known; answers wait for their chunk while
// later changes go on; a committed transfer's credit is retried until it lands.
#define BOOST_TEST_MODULE journal_outcomes
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "engine_fixture.hpp"
#include "test_journals.hpp"

using namespace settle;
using settle::testing::engine_fixture;
namespace req = settle::testing::req;
using persistence::durability;
using persistence::journal_record;
using protocol::error_code;
using protocol::txn_kind;
using protocol::txn_status;

namespace {

using settle::testing::scripted_journal;

/// The first of prefix, prefix1, prefix2, ... whose shard is (or is not) `shard`.
std::string account_in(const std::string& prefix, uint32_t shard, bool same, uint32_t shards) {
  for (int i = 0;; ++i) {
    auto id = i == 0 ? prefix : prefix + std::to_string(i);
    if ((actors::shard_index(id, shards) == shard) == same)
      return id;
  }
}

struct fixture {
  fixture() : journal(std::make_shared<scripted_journal>()), f(options(journal)) {
    auto home = actors::shard_index("alice", 4);
    bob = account_in("bob", home, false, 4);    // a transfer to bob crosses shards
    carol = account_in("carol", home, true, 4);  // one to carol stays in alice's shard
    for (const auto& id : {std::string{"alice"}, bob, carol})
      BOOST_REQUIRE(f.call(req::open(id, "EUR")).ok());
    BOOST_REQUIRE(f.call(req::txn(txn_kind::deposit, "fund", "alice", 1000, "EUR")).ok());
  }
  static actors::engine_options options(std::shared_ptr<scripted_journal> j) {
    auto o = engine_fixture::default_options();
    o.journal = std::move(j);
    o.shard.journal_retry_ms = 20;
    return o;
  }
  std::shared_ptr<scripted_journal> journal;
  engine_fixture f;
  std::string bob, carol;
};

/// The balance, or -1 while the read itself is answered `unavailable` (a read queued behind a
/// chunk that fails is answered so).
int64_t balance_now(engine_fixture& f, const std::string& account) {
  auto r = f.call(req::balance(account));
  return r.ok() ? r.balance : -1;
}

/// Waits (2 s at most) until `pred` holds.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 200; ++i) {
    if (pred())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_refused_record_is_undone_and_the_retry_applies_once, fixture) {
  auto bet = req::txn(txn_kind::bet, "b1", "alice", 100, "EUR", "acme");
  journal->fail(1);
  auto r = f.call(bet);
  BOOST_CHECK(r.error == error_code::unavailable);
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 1000);
  r = f.call(bet);
  BOOST_REQUIRE_MESSAGE(r.ok(), r.message);
  BOOST_CHECK(r.outcome == txn_status::applied);
  BOOST_CHECK_EQUAL(r.balance, 900);
  BOOST_CHECK_EQUAL(r.version, 2u);  // the refused attempt left no version behind
  BOOST_CHECK(f.call(bet).outcome == txn_status::duplicate);
  BOOST_CHECK_EQUAL(f.balance_of("partner:acme:EUR"), 100);
}

BOOST_FIXTURE_TEST_CASE(an_open_that_is_not_journaled_does_not_exist, fixture) {
  journal->fail(1);
  auto r = f.call(req::open("dora", "EUR"));
  BOOST_CHECK(r.error == error_code::unavailable);
  BOOST_CHECK(f.call(req::balance("dora")).error == error_code::unknown_account);
  BOOST_CHECK(f.call(req::txn(txn_kind::deposit, "d-dora", "dora", 5, "EUR")).error ==
              error_code::unknown_account);
  BOOST_REQUIRE(f.call(req::open("dora", "EUR")).ok());
  BOOST_CHECK_EQUAL(f.balance_of("dora"), 0);
}

BOOST_FIXTURE_TEST_CASE(a_status_change_that_is_not_journaled_is_undone, fixture) {
  journal->fail(1);
  BOOST_CHECK(f.call(req::block("alice")).error == error_code::unavailable);
  auto b = f.call(req::balance("alice"));
  BOOST_CHECK(b.status == protocol::account_status::active);
  BOOST_CHECK_EQUAL(b.version, 1u);
}

BOOST_FIXTURE_TEST_CASE(in_doubt_then_durable_answers_duplicate_afterwards, fixture) {
  auto bet = req::txn(txn_kind::bet, "b2", "alice", 300, "EUR", "acme");
  journal->hold(1);
  auto r = f.call(bet);
  BOOST_CHECK(r.error == error_code::unavailable);
  // While in doubt: the id stays reserved, the account answers `unavailable`.
  BOOST_CHECK(f.call(bet).error == error_code::unavailable);
  BOOST_CHECK(f.call(req::balance("alice")).error == error_code::unavailable);
  journal->release(durability::durable);
  BOOST_REQUIRE(eventually([&] { return f.call(req::balance("alice")).ok(); }));
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 700);
  r = f.call(bet);
  BOOST_CHECK(r.outcome == txn_status::duplicate);
  BOOST_CHECK_EQUAL(r.balance, 700);
  BOOST_REQUIRE(eventually([&] { return f.balance_of("partner:acme:EUR") == 300; }));
}

BOOST_FIXTURE_TEST_CASE(in_doubt_then_failed_lets_the_retry_apply, fixture) {
  auto bet = req::txn(txn_kind::bet, "b3", "alice", 300, "EUR", "acme");
  journal->hold(1);
  BOOST_CHECK(f.call(bet).error == error_code::unavailable);
  journal->release(durability::failed);
  BOOST_REQUIRE(eventually([&] { return f.call(req::balance("alice")).ok(); }));
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 1000);
  protocol::response r;
  BOOST_REQUIRE(eventually([&] {
    r = f.call(bet);
    return r.ok();
  }));
  BOOST_CHECK(r.outcome == txn_status::applied);
  BOOST_CHECK_EQUAL(r.balance, 700);
}

BOOST_FIXTURE_TEST_CASE(a_committed_transfer_credit_is_retried_until_it_lands, fixture) {
  auto t = req::transfer("t1", "alice", bob, 250, "EUR");
  // The debit is journaled; the credit's first two attempts are refused.
  journal->fail_when(
      [](const journal_record& r) { return r.role == persistence::leg_role::transfer_credit; },
      2);
  auto r = f.call(t);
  BOOST_CHECK(r.error == error_code::unavailable);
  // The transfer is committed: the credit lands by itself, and the retry finds it applied.
  BOOST_REQUIRE(eventually([&] { return balance_now(f, bob) == 250; }));
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 750);
  BOOST_REQUIRE(eventually([&] {
    r = f.call(t);
    return r.ok();
  }));
  BOOST_CHECK(r.outcome == txn_status::duplicate);
  BOOST_CHECK_EQUAL(r.balance, 750);
}

BOOST_FIXTURE_TEST_CASE(a_transfer_within_one_shard_lands_whole_or_not_at_all, fixture) {
  auto t = req::transfer("t2", "alice", carol, 300, "EUR");
  journal->fail(1);  // both legs travel in one chunk: both are undone
  BOOST_CHECK(f.call(t).error == error_code::unavailable);
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 1000);
  BOOST_CHECK_EQUAL(f.balance_of(carol), 0);
  auto r = f.call(t);
  BOOST_REQUIRE_MESSAGE(r.ok(), r.message);
  BOOST_CHECK(r.outcome == txn_status::applied);
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 700);
  BOOST_CHECK_EQUAL(f.balance_of(carol), 300);
}

BOOST_FIXTURE_TEST_CASE(a_cross_shard_transfer_whose_debit_fails_moves_nothing, fixture) {
  auto t = req::transfer("t3", "alice", bob, 400, "EUR");
  journal->fail_when(
      [](const journal_record& r) { return r.role == persistence::leg_role::transfer_debit; }, 1);
  BOOST_CHECK(f.call(t).error == error_code::unavailable);
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 1000);
  BOOST_CHECK_EQUAL(f.balance_of(bob), 0);
  auto r = f.call(t);  // the id was forgotten: the retry is a new attempt
  BOOST_REQUIRE_MESSAGE(r.ok(), r.message);
  BOOST_CHECK(r.outcome == txn_status::applied);
  BOOST_CHECK_EQUAL(f.balance_of(bob), 400);
}

BOOST_FIXTURE_TEST_CASE(a_noop_rollback_that_is_not_journaled_leaves_no_tombstone, fixture) {
  auto rb = req::rollback("rb1", "never-seen", "alice", "EUR", "acme");
  journal->fail(1);
  BOOST_CHECK(f.call(rb).error == error_code::unavailable);
  // The bet it named is still welcome.
  auto bet = f.call(req::txn(txn_kind::bet, "never-seen", "alice", 10, "EUR", "acme"));
  BOOST_CHECK_MESSAGE(bet.ok(), bet.message);
}

BOOST_FIXTURE_TEST_CASE(changes_go_on_while_a_chunk_is_on_its_way, fixture) {
  journal->delay(1);
  std::vector<std::thread> clients;
  std::atomic<int> applied{0};
  auto bet = [&](int i) {
    auto r = f.call(req::txn(txn_kind::bet, "g" + std::to_string(i), "alice", 10, "EUR", "acme"));
    if (r.ok() && r.outcome == txn_status::applied)
      ++applied;
  };
  auto chunks_before = journal->chunks();
  clients.emplace_back(bet, 0);  // its chunk waits in the journal...
  BOOST_REQUIRE(eventually([&] { return journal->chunks() > chunks_before; }));
  for (int i = 1; i <= 20; ++i)  // ...while 20 more bets are applied and journaled behind it
    clients.emplace_back(bet, i);
  BOOST_REQUIRE(eventually([&] { return f.stats().in_flight >= 21; }));
  BOOST_CHECK_EQUAL(applied.load(), 0);  // nobody is answered before the first chunk lands
  BOOST_CHECK_GT(journal->chunks(), chunks_before + 1);  // the later ones did not wait to go
  journal->release(durability::durable);
  for (auto& c : clients)
    c.join();
  BOOST_CHECK_EQUAL(applied.load(), 21);
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 1000 - 21 * 10);
  BOOST_REQUIRE(eventually([&] { return f.balance_of("partner:acme:EUR") == 210; }));
}

BOOST_FIXTURE_TEST_CASE(a_failed_chunk_undoes_everything_applied_after_it, fixture) {
  journal->delay(1);
  std::vector<std::thread> clients;
  std::atomic<int> unavailable{0};
  auto bet = [&](int i) {
    auto r = f.call(req::txn(txn_kind::bet, "u" + std::to_string(i), "alice", 10, "EUR", "acme"));
    if (r.error == error_code::unavailable)
      ++unavailable;
  };
  clients.emplace_back(bet, 0);
  BOOST_REQUIRE(eventually([&] { return f.stats().in_flight >= 1; }));
  for (int i = 1; i <= 10; ++i)
    clients.emplace_back(bet, i);
  BOOST_REQUIRE(eventually([&] { return f.stats().in_flight >= 11; }));
  // The first chunk fails: the later ones were built on it, so they go too.
  journal->release(durability::failed);
  for (auto& c : clients)
    c.join();
  BOOST_CHECK_EQUAL(unavailable.load(), 11);
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 1000);
  // Nothing was remembered: every retry applies once.
  for (int i = 0; i <= 10; ++i) {
    auto r = f.call(req::txn(txn_kind::bet, "u" + std::to_string(i), "alice", 10, "EUR", "acme"));
    BOOST_CHECK_MESSAGE(r.ok() && r.outcome == txn_status::applied, r.message);
  }
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 1000 - 11 * 10);
}

BOOST_FIXTURE_TEST_CASE(the_shard_queue_limit_answers_overloaded, fixture) {
  // max_pending is 100,000 in the fixture; a shard with a slow journal is tested with 2.
  auto slow = std::make_shared<scripted_journal>();
  auto opts = fixture::options(slow);
  opts.shard.max_pending = 2;
  engine_fixture g{opts};
  BOOST_REQUIRE(g.call(req::open("busy", "EUR")).ok());
  BOOST_REQUIRE(g.call(req::txn(txn_kind::deposit, "fund-busy", "busy", 1000, "EUR")).ok());
  slow->delay(1);
  caf::scoped_actor self{*g.sys};
  const auto& shard = g.eng->routes().shard_for("busy");
  const int n = 50;
  for (int i = 0; i < n; ++i)
    self->send(shard, req::txn(txn_kind::bet, "q" + std::to_string(i), "busy", 1, "EUR", "acme"));
  BOOST_REQUIRE(eventually([&] { return g.stats().in_flight >= 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  slow->release(durability::durable);
  int applied = 0, overloaded = 0;
  for (int i = 0; i < n; ++i)
    self->receive([&](protocol::response& r) {
      if (r.ok()) {
        ++applied;
      } else {
        BOOST_CHECK(r.error == error_code::overloaded);
        BOOST_CHECK(protocol::is_retryable(r.error));
        ++overloaded;
      }
    });
  BOOST_CHECK_EQUAL(applied, 2);
  BOOST_CHECK_EQUAL(overloaded, n - 2);
  // Nothing overloaded was applied: the balance reflects exactly the applied bets.
  BOOST_CHECK_EQUAL(g.balance_of("busy"), 1000 - applied);
}
