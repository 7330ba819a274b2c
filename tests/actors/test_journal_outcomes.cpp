// What the ledger shards do with each journal outcome, driven by a scripted journal: a refused
// chunk is undone (with everything applied after it) and answered `unavailable`; a chunk in
// doubt keeps its ids reserved until the outcome is known; answers wait for their chunk while
// later changes go on; a committed transfer's credit is retried until it lands.
//
// The actors are stepped (stepped_engine): every message runs on this thread when the test
// says so, and timers fire only when the test moves the clock. So each test checks what was
// answered before what, not what happened to be answered after a while.
#define BOOST_TEST_MODULE journal_outcomes
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <set>

#include "stepped_engine.hpp"
#include "test_journals.hpp"

using namespace settle;
using namespace std::chrono_literals;
using settle::testing::stepped_engine;
namespace req = settle::testing::req;
using persistence::durability;
using persistence::journal_record;
using persistence::leg_role;
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
  ~fixture() { BOOST_CHECK(f.unexpected().empty()); }
  static actors::engine_options options(std::shared_ptr<scripted_journal> j) {
    auto o = stepped_engine::default_options();
    o.journal = std::move(j);
    o.shard.journal_retry_ms = 20;
    return o;
  }
  std::shared_ptr<scripted_journal> journal;
  stepped_engine f;
  std::string bob, carol;
};

/// How many records of `role` the journal was handed (landed or not).
size_t records_of(scripted_journal& j, leg_role role) {
  size_t n = 0;
  for (const auto& r : j.records())
    n += r.type == persistence::record_type::txn && r.role == role ? 1 : 0;
  return n;
}

protocol::request bet(const std::string& id, const std::string& account, int64_t amount) {
  return req::txn(txn_kind::bet, id, account, amount, "EUR", "acme");
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_refused_record_is_undone_and_the_retry_applies_once, fixture) {
  auto b = bet("b1", "alice", 100);
  journal->fail(1);
  const auto chunks_before = journal->chunks();
  auto r = f.call(b);
  BOOST_CHECK(r.error == error_code::unavailable);
  BOOST_CHECK_EQUAL(journal->chunks(), chunks_before + 1);  // the refusal is the journal's
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 1000);
  r = f.call(b);
  BOOST_REQUIRE_MESSAGE(r.ok(), r.message);
  BOOST_CHECK(r.outcome == txn_status::applied);
  BOOST_CHECK_EQUAL(r.balance, 900);
  BOOST_CHECK_EQUAL(r.version, 2u);  // the refused attempt left no version behind
  BOOST_CHECK(f.call(b).outcome == txn_status::duplicate);
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
  auto b = bet("b2", "alice", 300);
  journal->hold(1);
  auto r = f.call(b);  // answered while the journal is in doubt, before any outcome
  BOOST_CHECK(r.error == error_code::unavailable);
  // While in doubt: the id stays reserved, the account answers `unavailable`.
  BOOST_CHECK(f.call(b).error == error_code::unavailable);
  BOOST_CHECK(f.call(req::balance("alice")).error == error_code::unavailable);
  journal->release(durability::durable);
  f.run();
  // The bet was answered once, in doubt: the outcome brings no second answer.
  BOOST_CHECK(f.pending().empty());
  // Right after the outcome is handled, not eventually.
  BOOST_REQUIRE(f.call(req::balance("alice")).ok());
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 700);
  r = f.call(b);
  BOOST_CHECK(r.outcome == txn_status::duplicate);
  BOOST_CHECK_EQUAL(r.balance, 700);
  BOOST_CHECK_EQUAL(f.balance_of("partner:acme:EUR"), 300);
}

BOOST_FIXTURE_TEST_CASE(in_doubt_then_failed_lets_the_retry_apply, fixture) {
  auto b = bet("b3", "alice", 300);
  journal->hold(1);
  BOOST_CHECK(f.call(b).error == error_code::unavailable);
  journal->release(durability::failed);
  f.run();
  BOOST_CHECK(f.pending().empty());  // answered once, in doubt
  BOOST_REQUIRE(f.call(req::balance("alice")).ok());
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 1000);
  auto r = f.call(b);  // the first retry after the outcome applies
  BOOST_REQUIRE_MESSAGE(r.ok(), r.message);
  BOOST_CHECK(r.outcome == txn_status::applied);
  BOOST_CHECK_EQUAL(r.balance, 700);
}

BOOST_FIXTURE_TEST_CASE(a_committed_transfer_credit_is_retried_until_it_lands, fixture) {
  auto t = req::transfer("t1", "alice", bob, 250, "EUR");
  // The debit is journaled; the credit's first two attempts are refused.
  journal->fail_when([](const journal_record& r) { return r.role == leg_role::transfer_credit; },
                     2);
  auto r = f.call(t);
  BOOST_CHECK(r.error == error_code::unavailable);
  // The client heard `unavailable` once the first credit was refused: the debit stands.
  BOOST_CHECK_EQUAL(records_of(*journal, leg_role::transfer_credit), 1u);
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 750);
  BOOST_CHECK_EQUAL(f.balance_of(bob), 0);
  BOOST_CHECK_EQUAL(f.stats().transfers, 1u);
  // A retry while it is under way is told so at once.
  BOOST_CHECK(f.call(t).error == error_code::unavailable);
  // The next credit goes when its timer fires, not before.
  f.advance(19ms);
  BOOST_CHECK_EQUAL(records_of(*journal, leg_role::transfer_credit), 1u);
  f.advance(1ms);
  BOOST_CHECK_EQUAL(records_of(*journal, leg_role::transfer_credit), 2u);  // refused again
  f.advance(20ms);
  BOOST_CHECK_EQUAL(records_of(*journal, leg_role::transfer_credit), 3u);
  BOOST_CHECK(f.pending().empty());  // the client was answered once, when the first failed
  // The transfer is committed: the credit lands by itself, and the retry finds it applied.
  BOOST_CHECK_EQUAL(f.balance_of(bob), 250);
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 750);
  BOOST_CHECK_EQUAL(f.stats().transfers, 0u);
  r = f.call(t);
  BOOST_REQUIRE_MESSAGE(r.ok(), r.message);
  BOOST_CHECK(r.outcome == txn_status::duplicate);
  BOOST_CHECK_EQUAL(r.balance, 750);
  // Nothing more is retried once it landed.
  f.advance(100ms);
  BOOST_CHECK_EQUAL(records_of(*journal, leg_role::transfer_credit), 3u);
}

BOOST_FIXTURE_TEST_CASE(a_transfer_within_one_shard_lands_whole_or_not_at_all, fixture) {
  auto t = req::transfer("t2", "alice", carol, 300, "EUR");
  journal->fail(1);  // both legs travel in one chunk: both are undone
  const auto chunks_before = journal->chunks();
  BOOST_CHECK(f.call(t).error == error_code::unavailable);
  BOOST_CHECK_EQUAL(journal->chunks(), chunks_before + 1);
  BOOST_CHECK_EQUAL(records_of(*journal, leg_role::transfer_debit), 1u);
  BOOST_CHECK_EQUAL(records_of(*journal, leg_role::transfer_credit), 1u);
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
  journal->fail_when([](const journal_record& r) { return r.role == leg_role::transfer_debit; },
                     1);
  BOOST_CHECK(f.call(t).error == error_code::unavailable);
  BOOST_CHECK_EQUAL(records_of(*journal, leg_role::transfer_credit), 0u);  // never asked for
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 1000);
  BOOST_CHECK_EQUAL(f.balance_of(bob), 0);
  BOOST_CHECK_EQUAL(f.stats().transfers, 0u);
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
  auto b = f.call(bet("never-seen", "alice", 10));
  BOOST_CHECK_MESSAGE(b.ok(), b.message);
}

BOOST_FIXTURE_TEST_CASE(changes_go_on_while_a_chunk_is_on_its_way, fixture) {
  journal->delay(1);
  const auto chunks_before = journal->chunks();
  std::vector<uint64_t> rids;
  rids.push_back(f.send(bet("g0", "alice", 10)));  // its chunk waits in the journal...
  f.run();
  BOOST_CHECK_EQUAL(journal->chunks(), chunks_before + 1);
  for (int i = 1; i <= 20; ++i) {  // ...while 20 more bets are applied and journaled behind it
    rids.push_back(f.send(bet("g" + std::to_string(i), "alice", 10)));
    f.run();
    // The later ones did not wait to go: each chunk was handed over as its bet was applied.
    BOOST_CHECK_EQUAL(journal->chunks(), chunks_before + 1 + i);
  }
  BOOST_CHECK_EQUAL(f.stats().in_flight, 21u);
  BOOST_CHECK(f.pending().empty());  // nobody is answered before the first chunk lands
  journal->release(durability::durable);
  f.run();
  auto got = f.answers();
  BOOST_REQUIRE_EQUAL(got.size(), 21u);
  int applied = 0;
  for (size_t k = 0; k < got.size(); ++k) {  // answered in the order they were applied
    BOOST_CHECK_EQUAL(got[k].rid, rids[k]);
    BOOST_CHECK_EQUAL(got[k].balance, 1000 - 10 * static_cast<int64_t>(k + 1));
    if (got[k].ok() && got[k].outcome == txn_status::applied)
      ++applied;
  }
  BOOST_CHECK_EQUAL(applied, 21);
  BOOST_CHECK_EQUAL(f.stats().in_flight, 0u);
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 1000 - 21 * 10);
  BOOST_CHECK_EQUAL(f.balance_of("partner:acme:EUR"), 210);
}

BOOST_FIXTURE_TEST_CASE(a_failed_chunk_undoes_everything_applied_after_it, fixture) {
  journal->delay(1);
  std::set<uint64_t> rids;
  rids.insert(f.send(bet("u0", "alice", 10)));
  f.run();
  BOOST_CHECK_EQUAL(f.stats().in_flight, 1u);
  for (int i = 1; i <= 10; ++i) {
    rids.insert(f.send(bet("u" + std::to_string(i), "alice", 10)));
    f.run();
  }
  BOOST_CHECK_EQUAL(f.stats().in_flight, 11u);
  // A read shows only durable state: it waits behind the bets it would show.
  const auto read = f.send(req::balance("alice"));
  f.run();
  BOOST_CHECK(f.pending().empty());  // the later chunks are durable, but behind the first
  // The first chunk fails: the later ones were built on it, so they go too, and the read
  // queued behind them is answered `unavailable` with them.
  journal->release(durability::failed);
  f.run();
  BOOST_CHECK(f.answer(read).error == error_code::unavailable);
  auto got = f.answers();
  BOOST_REQUIRE_EQUAL(got.size(), 11u);
  int unavailable = 0;
  std::set<uint64_t> answered;
  for (const auto& r : got) {
    answered.insert(r.rid);
    if (r.error == error_code::unavailable)
      ++unavailable;
  }
  BOOST_CHECK_EQUAL(unavailable, 11);
  BOOST_CHECK(answered == rids);
  BOOST_CHECK_EQUAL(f.stats().in_flight, 0u);
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 1000);
  // Nothing was remembered: every retry applies once.
  for (int i = 0; i <= 10; ++i) {
    auto r = f.call(bet("u" + std::to_string(i), "alice", 10));
    BOOST_CHECK_MESSAGE(r.ok() && r.outcome == txn_status::applied, r.message);
  }
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 1000 - 11 * 10);
}

BOOST_FIXTURE_TEST_CASE(the_shard_queue_limit_answers_overloaded, fixture) {
  // max_pending is 100,000 in the fixture; a shard with a slow journal is tested with 2.
  auto slow = std::make_shared<scripted_journal>();
  auto opts = fixture::options(slow);
  opts.shard.max_pending = 2;
  stepped_engine g{opts};
  BOOST_REQUIRE(g.call(req::open("busy", "EUR")).ok());
  BOOST_REQUIRE(g.call(req::txn(txn_kind::deposit, "fund-busy", "busy", 1000, "EUR")).ok());
  slow->delay(1);
  const auto& shard = g.eng().routes().shard_for("busy");
  const int n = 50;
  std::vector<uint64_t> rids;
  for (int i = 0; i < n; ++i)  // all in the shard's mailbox before it takes the first
    rids.push_back(g.send_to(shard, bet("q" + std::to_string(i), "busy", 1)));
  g.run();
  // The first two wait for the journal; every later one was refused at once, in order.
  BOOST_CHECK_EQUAL(g.stats().in_flight, 2u);
  auto early = g.answers();
  BOOST_REQUIRE_EQUAL(early.size(), static_cast<size_t>(n - 2));
  int applied = 0, overloaded = 0;
  for (size_t k = 0; k < early.size(); ++k) {
    BOOST_CHECK_EQUAL(early[k].rid, rids[k + 2]);
    BOOST_CHECK(early[k].error == error_code::overloaded);
    BOOST_CHECK(protocol::is_retryable(early[k].error));
    if (early[k].error == error_code::overloaded)
      ++overloaded;
  }
  slow->release(durability::durable);
  g.run();
  auto late = g.answers();
  BOOST_REQUIRE_EQUAL(late.size(), 2u);
  for (size_t k = 0; k < late.size(); ++k) {
    BOOST_CHECK_EQUAL(late[k].rid, rids[k]);
    BOOST_CHECK_MESSAGE(late[k].ok(), late[k].message);
    if (late[k].ok())
      ++applied;
  }
  BOOST_CHECK_EQUAL(applied, 2);
  BOOST_CHECK_EQUAL(overloaded, n - 2);
  // Nothing overloaded was applied: the balance reflects exactly the applied bets.
  BOOST_CHECK_EQUAL(g.balance_of("busy"), 1000 - applied);
  BOOST_CHECK(g.unexpected().empty());
}

// After two refused chunks in a row the second began a new epoch: the chunk before it was
// undone by the first refusal, so what stands is the last durable one, and an answer with
// nothing to journal (a read, a refusal) goes out at once instead of waiting for some later
// chunk to land (while Redis is away, that could be never).
BOOST_FIXTURE_TEST_CASE(a_read_after_two_refused_chunks_in_a_row_is_answered, fixture) {
  journal->fail(2);
  BOOST_CHECK(f.call(bet("f1", "alice", 10)).error == error_code::unavailable);
  BOOST_CHECK(f.call(bet("f2", "alice", 10)).error == error_code::unavailable);
  auto read = f.send(req::balance("alice"));
  f.run();
  BOOST_REQUIRE(f.answered(read));
  BOOST_CHECK_EQUAL(f.stats().in_flight, 0u);
  auto r = f.answer(read);
  BOOST_REQUIRE_MESSAGE(r.ok(), r.message);
  BOOST_CHECK_EQUAL(r.balance, 1000);
  BOOST_REQUIRE(f.call(bet("f3", "alice", 10)).ok());  // and the next change lands
}
