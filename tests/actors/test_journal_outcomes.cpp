// What the actors do with each journal outcome, driven by a scripted journal: a refused
// record is undone and answered `unavailable`; a record in doubt keeps its id reserved until
// the outcome is known; a committed transfer's credit is retried until it lands.
#define BOOST_TEST_MODULE journal_outcomes
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "engine_fixture.hpp"

using namespace settle;
using settle::testing::engine_fixture;
namespace req = settle::testing::req;
using persistence::durability;
using persistence::journal_record;
using protocol::error_code;
using protocol::txn_kind;
using protocol::txn_status;

namespace {

/// A journal whose next outcomes the test decides: `durable` by default; `fail` refuses the
/// next records; `hold` keeps the next record in doubt until `release`.
class scripted_journal final : public persistence::journal_writer {
public:
  bool append_group(uint32_t, std::vector<journal_record> group, completion done) override {
    std::unique_lock<std::mutex> lock(mutex_);
    bool matches = false;
    for (auto& rec : group) {
      matches = matches || (fail_pred_left_ > 0 && fail_pred_(rec));
      records_.push_back(std::move(rec));
    }
    if (matches)
      --fail_pred_left_;
    if (fail_next_ > 0 || matches) {
      if (!matches)
        --fail_next_;
      lock.unlock();
      done(durability::failed);
      return true;
    }
    ++groups_;
    if (delay_next_ > 0) {  // held without a word until release()
      --delay_next_;
      held_.push_back(std::move(done));
      return true;
    }
    if (hold_next_ > 0) {
      --hold_next_;
      held_.push_back(std::move(done));
      lock.unlock();
      held_.back()(durability::uncertain);
      return true;
    }
    lock.unlock();
    done(durability::durable);
    return true;
  }
  void fail(int n) {
    std::lock_guard<std::mutex> lock(mutex_);
    fail_next_ = n;
  }
  /// Refuses the next `n` records matching `pred`.
  void fail_when(std::function<bool(const journal_record&)> pred, int n) {
    std::lock_guard<std::mutex> lock(mutex_);
    fail_pred_ = std::move(pred);
    fail_pred_left_ = n;
  }
  /// Keeps the next `n` groups waiting silently (a slow Redis within the deadline).
  void delay(int n) {
    std::lock_guard<std::mutex> lock(mutex_);
    delay_next_ = n;
  }
  size_t groups() {
    std::lock_guard<std::mutex> lock(mutex_);
    return groups_;
  }
  void hold(int n) {
    std::lock_guard<std::mutex> lock(mutex_);
    hold_next_ = n;
  }
  /// Settles every record in doubt with `d`.
  void release(durability d) {
    std::deque<completion> held;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      held.swap(held_);
    }
    for (auto& done : held)
      done(d);
  }
  size_t records() {
    std::lock_guard<std::mutex> lock(mutex_);
    return records_.size();
  }

private:
  std::mutex mutex_;
  std::vector<journal_record> records_;
  std::deque<completion> held_;
  int fail_next_ = 0, hold_next_ = 0, fail_pred_left_ = 0, delay_next_ = 0;
  size_t groups_ = 0;
  std::function<bool(const journal_record&)> fail_pred_;
};

struct fixture {
  fixture() : journal(std::make_shared<scripted_journal>()), f(options(journal)) {
    BOOST_REQUIRE(f.call(req::open("alice", "EUR")).ok());
    BOOST_REQUIRE(f.call(req::open("bob", "EUR")).ok());
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
};

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
  auto r = f.call(req::open("carol", "EUR"));
  BOOST_CHECK(r.error == error_code::unavailable);
  BOOST_CHECK(f.call(req::balance("carol")).error == error_code::unknown_account);
  BOOST_CHECK(f.call(req::txn(txn_kind::deposit, "d-carol", "carol", 5, "EUR")).error ==
              error_code::unknown_account);
  BOOST_REQUIRE(f.call(req::open("carol", "EUR")).ok());
  BOOST_CHECK_EQUAL(f.balance_of("carol"), 0);
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
  auto t = req::transfer("t1", "alice", "bob", 250, "EUR");
  // The debit is journaled; the credit's first two attempts are refused.
  journal->fail_when(
      [](const journal_record& r) { return r.role == persistence::leg_role::transfer_credit; },
      2);
  auto r = f.call(t);
  BOOST_CHECK(r.error == error_code::unavailable);
  // The transfer is committed: the credit lands by itself, and the retry finds it applied.
  BOOST_REQUIRE(eventually([&] { return f.balance_of("bob") == 250; }));
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 750);
  BOOST_REQUIRE(eventually([&] {
    r = f.call(t);
    return r.ok();
  }));
  BOOST_CHECK(r.outcome == txn_status::duplicate);
  BOOST_CHECK_EQUAL(r.balance, 750);
}

BOOST_FIXTURE_TEST_CASE(a_noop_rollback_that_is_not_journaled_leaves_no_tombstone, fixture) {
  auto rb = req::rollback("rb1", "never-seen", "alice", "EUR", "acme");
  journal->fail(1);
  BOOST_CHECK(f.call(rb).error == error_code::unavailable);
  // The bet it named is still welcome.
  auto bet = f.call(req::txn(txn_kind::bet, "never-seen", "alice", 10, "EUR", "acme"));
  BOOST_CHECK_MESSAGE(bet.ok(), bet.message);
}

BOOST_FIXTURE_TEST_CASE(legs_that_wait_together_are_journaled_as_one_group, fixture) {
  journal->delay(1);
  std::vector<std::thread> clients;
  std::atomic<int> applied{0};
  auto bet = [&](int i) {
    auto r = f.call(req::txn(txn_kind::bet, "g" + std::to_string(i), "alice", 10, "EUR", "acme"));
    if (r.ok() && r.outcome == txn_status::applied)
      ++applied;
  };
  clients.emplace_back(bet, 0);  // its group waits in the journal...
  BOOST_REQUIRE(eventually([&] { return journal->groups() >= 4; }));  // (3 for the fixture)
  auto groups_before = journal->groups();
  for (int i = 1; i <= 20; ++i)  // ...while 20 more bets reach the account
    clients.emplace_back(bet, i);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  journal->release(durability::durable);
  for (auto& c : clients)
    c.join();
  BOOST_CHECK_EQUAL(applied.load(), 21);
  BOOST_CHECK_EQUAL(f.balance_of("alice"), 1000 - 21 * 10);
  // The 20 waited together: far fewer groups than legs.
  BOOST_TEST_MESSAGE(journal->groups() - groups_before << " groups for 20 legs");
  BOOST_CHECK_LE(journal->groups() - groups_before, 5u);
}
