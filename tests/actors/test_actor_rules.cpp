// Ledger rules as the actors apply them: accounts, idempotency, rollbacks, blocking,
// transfers (within a shard and across shards), partner totals, and the zero-sum invariant.
// The actors are stepped on this thread (stepped_engine): what arrives together in a mailbox
// is known exactly. The engine on CAF's real threads runs in test_property and the
// integration tests.
#define BOOST_TEST_MODULE actor_rules
#include <boost/test/unit_test.hpp>

#include "stepped_engine.hpp"

using namespace settle;
using settle::testing::stepped_engine;
namespace req = settle::testing::req;
using protocol::error_code;
using protocol::txn_kind;
using protocol::txn_status;

namespace {

void open_funded(stepped_engine& f, const std::string& acc, const std::string& cur,
                 int64_t amount) {
  BOOST_REQUIRE(f.call(req::open(acc, cur)).ok());
  if (amount > 0) {
    auto r = f.call(req::txn(txn_kind::deposit, "fund-" + acc, acc, amount, cur));
    BOOST_REQUIRE_MESSAGE(r.ok(), r.message);
  }
}

/// Every currency's balances (players + house + partners) must sum to zero.
void check_zero_sum(stepped_engine& f, const std::vector<std::string>& players,
                    const std::vector<std::string>& partners, const std::string& cur) {
  int64_t sum = 0;
  for (auto& p : players) {
    auto r = f.call(req::balance(p));
    if (r.ok() && r.currency == cur)
      sum += r.balance;
  }
  auto house = f.call(req::balance("house:" + cur));
  if (house.ok())
    sum += house.balance;
  for (auto& p : partners) {
    auto r = f.call(req::balance("partner:" + p + ":" + cur));
    if (r.ok())
      sum += r.balance;
  }
  BOOST_CHECK_EQUAL(sum, 0);
}

}  // namespace

BOOST_AUTO_TEST_CASE(open_and_balance) {
  stepped_engine f;
  auto r = f.call(req::open("alice", "EUR"));
  BOOST_CHECK(r.ok());
  BOOST_CHECK_EQUAL(r.account, "alice");
  BOOST_CHECK(f.call(req::open("alice", "EUR")).ok());
  BOOST_CHECK(f.call(req::open("alice", "USD")).error == error_code::account_exists);
  BOOST_CHECK(f.call(req::open("house:EUR", "EUR")).error == error_code::bad_request);
  BOOST_CHECK(f.call(req::open("partner:x:EUR", "EUR")).error == error_code::bad_request);
  auto b = f.call(req::balance("alice"));
  BOOST_CHECK(b.ok());
  BOOST_CHECK_EQUAL(b.balance, 0);
  BOOST_CHECK_EQUAL(b.version, 0u);
  BOOST_CHECK_EQUAL(b.currency, "EUR");
  BOOST_CHECK(f.call(req::balance("nobody")).error == error_code::unknown_account);
  BOOST_CHECK(f.call(req::balance("house:EUR")).error == error_code::unknown_account);
}

BOOST_AUTO_TEST_CASE(deposit_bet_win_withdraw_move_money_double_entry) {
  stepped_engine f;
  open_funded(f, "alice", "EUR", 1000);
  BOOST_CHECK_EQUAL(f.balance_of("house:EUR"), -1000);
  auto bet = f.call(req::txn(txn_kind::bet, "b1", "alice", 300, "EUR", "acme"));
  BOOST_CHECK(bet.ok());
  BOOST_CHECK(bet.outcome == txn_status::applied);
  BOOST_CHECK_EQUAL(bet.balance, 700);
  BOOST_CHECK_EQUAL(bet.version, 2u);
  auto win = f.call(req::txn(txn_kind::win, "w1", "alice", 500, "EUR", "acme"));
  BOOST_CHECK_EQUAL(win.balance, 1200);
  BOOST_CHECK_EQUAL(f.balance_of("partner:acme:EUR"), -200);
  auto wd = f.call(req::txn(txn_kind::withdraw, "wd1", "alice", 200, "EUR"));
  BOOST_CHECK_EQUAL(wd.balance, 1000);
  BOOST_CHECK_EQUAL(f.balance_of("house:EUR"), -800);
  check_zero_sum(f, {"alice"}, {"acme"}, "EUR");
}

BOOST_AUTO_TEST_CASE(refusals_carry_balance_and_change_nothing) {
  stepped_engine f;
  open_funded(f, "bob", "EUR", 100);
  auto r = f.call(req::txn(txn_kind::bet, "b1", "bob", 101, "EUR", "acme"));
  BOOST_CHECK(r.error == error_code::insufficient_funds);
  BOOST_CHECK(r.has_balance);
  BOOST_CHECK_EQUAL(r.balance, 100);
  BOOST_CHECK(!protocol::is_retryable(r.error));
  BOOST_CHECK(f.call(req::txn(txn_kind::bet, "b2", "bob", 0, "EUR", "acme")).error ==
              error_code::invalid_amount);
  BOOST_CHECK(f.call(req::txn(txn_kind::bet, "b3", "bob", -5, "EUR", "acme")).error ==
              error_code::invalid_amount);
  BOOST_CHECK(f.call(req::txn(txn_kind::bet, "b4", "bob", 2'000'000'000, "EUR", "acme")).error ==
              error_code::invalid_amount);
  BOOST_CHECK(f.call(req::txn(txn_kind::bet, "b5", "bob", 10, "USD", "acme")).error ==
              error_code::currency_mismatch);
  auto unknown = f.call(req::txn(txn_kind::bet, "b6", "ghost", 10, "EUR", "acme"));
  BOOST_CHECK(unknown.error == error_code::unknown_account);
  BOOST_CHECK(!unknown.has_balance);
  // A refused id is not remembered: the same id succeeds once funds allow it.
  BOOST_CHECK(f.call(req::txn(txn_kind::deposit, "d2", "bob", 1, "EUR")).ok());
  auto retry = f.call(req::txn(txn_kind::bet, "b1", "bob", 101, "EUR", "acme"));
  BOOST_CHECK(retry.ok());
  BOOST_CHECK_EQUAL(retry.balance, 0);
}

BOOST_AUTO_TEST_CASE(idempotent_retry_and_conflict) {
  stepped_engine f;
  open_funded(f, "carol", "EUR", 1000);
  auto first = f.call(req::txn(txn_kind::bet, "t1", "carol", 100, "EUR", "acme"));
  BOOST_CHECK(first.outcome == txn_status::applied);
  auto again = f.call(req::txn(txn_kind::bet, "t1", "carol", 100, "EUR", "acme"));
  BOOST_CHECK(again.ok());
  BOOST_CHECK(again.outcome == txn_status::duplicate);
  BOOST_CHECK_EQUAL(again.balance, first.balance);
  BOOST_CHECK_EQUAL(again.version, first.version);
  auto conflict = f.call(req::txn(txn_kind::bet, "t1", "carol", 101, "EUR", "acme"));
  BOOST_CHECK(conflict.error == error_code::id_conflict);
  BOOST_CHECK_EQUAL(conflict.balance, 900);
  // Ids are per partner: the same id for another partner is a new transaction.
  auto other = f.call(req::txn(txn_kind::bet, "t1", "carol", 100, "EUR", "beta"));
  BOOST_CHECK(other.outcome == txn_status::applied);
  BOOST_CHECK_EQUAL(f.balance_of("carol"), 800);
}

BOOST_AUTO_TEST_CASE(concurrent_retries_apply_once) {
  stepped_engine f;
  open_funded(f, "dave", "EUR", 1000);
  auto r = req::txn(txn_kind::bet, "race", "dave", 10, "EUR", "acme");
  // All 50 are in the shard's mailbox before it takes the first: the first is applied, the
  // copies find its id.
  std::vector<uint64_t> rids;
  for (int i = 0; i < 50; ++i)
    rids.push_back(f.send(r));
  f.run();
  auto got = f.answers();
  BOOST_REQUIRE_EQUAL(got.size(), 50u);
  BOOST_CHECK(got.front().outcome == txn_status::applied);
  int applied = 0, duplicate = 0;
  for (size_t k = 0; k < got.size(); ++k) {
    const auto& a = got[k];
    BOOST_CHECK_EQUAL(a.rid, rids[k]);  // answered in the order they arrived
    BOOST_CHECK(a.ok());
    BOOST_CHECK_EQUAL(a.balance, 990);
    BOOST_CHECK_EQUAL(a.version, 2u);
    (a.outcome == txn_status::applied ? applied : duplicate)++;
  }
  BOOST_CHECK_EQUAL(applied, 1);
  BOOST_CHECK_EQUAL(duplicate, 49);
  BOOST_CHECK_EQUAL(f.balance_of("dave"), 990);
  BOOST_CHECK(f.unexpected().empty());
}

BOOST_AUTO_TEST_CASE(rollback_refunds_once) {
  stepped_engine f;
  open_funded(f, "erin", "EUR", 1000);
  BOOST_REQUIRE(f.call(req::txn(txn_kind::bet, "b1", "erin", 250, "EUR", "acme")).ok());
  auto rb = f.call(req::rollback("r1", "b1", "erin", "EUR", "acme"));
  BOOST_CHECK(rb.ok());
  BOOST_CHECK(rb.outcome == txn_status::applied);
  BOOST_CHECK_EQUAL(rb.balance, 1000);
  auto again = f.call(req::rollback("r1", "b1", "erin", "EUR", "acme"));
  BOOST_CHECK(again.outcome == txn_status::duplicate);
  auto second = f.call(req::rollback("r2", "b1", "erin", "EUR", "acme"));
  BOOST_CHECK(second.ok());
  BOOST_CHECK(second.outcome == txn_status::duplicate);
  BOOST_CHECK_EQUAL(f.balance_of("erin"), 1000);
  auto totals = f.call(req::partner("acme"));
  BOOST_REQUIRE(totals.ok());
  BOOST_REQUIRE_EQUAL(totals.totals.size(), 1u);
  BOOST_CHECK_EQUAL(totals.totals[0].bets, 250);
  BOOST_CHECK_EQUAL(totals.totals[0].rollbacks, 250);
  BOOST_CHECK_EQUAL(totals.totals[0].rollback_count, 1u);
  BOOST_CHECK_EQUAL(totals.totals[0].ggr, 0);
  check_zero_sum(f, {"erin"}, {"acme"}, "EUR");
}

BOOST_AUTO_TEST_CASE(rollback_before_bet_leaves_tombstone) {
  stepped_engine f;
  open_funded(f, "fay", "EUR", 1000);
  auto rb = f.call(req::rollback("r1", "late-bet", "fay", "EUR", "acme"));
  BOOST_CHECK(rb.ok());
  BOOST_CHECK(rb.outcome == txn_status::noop);
  BOOST_CHECK_EQUAL(rb.balance, 1000);
  auto bet = f.call(req::txn(txn_kind::bet, "late-bet", "fay", 100, "EUR", "acme"));
  BOOST_CHECK(bet.error == error_code::rolled_back);
  BOOST_CHECK(bet.has_balance);
  BOOST_CHECK_EQUAL(bet.balance, 1000);
  BOOST_CHECK(f.call(req::rollback("r2", "late-bet", "fay", "EUR", "acme")).outcome ==
              txn_status::duplicate);
  BOOST_CHECK_EQUAL(f.balance_of("fay"), 1000);
}

BOOST_AUTO_TEST_CASE(rollback_mismatch) {
  stepped_engine f;
  open_funded(f, "gus", "EUR", 1000);
  open_funded(f, "hal", "EUR", 1000);
  BOOST_REQUIRE(f.call(req::txn(txn_kind::bet, "b1", "gus", 100, "EUR", "acme")).ok());
  BOOST_REQUIRE(f.call(req::txn(txn_kind::win, "w1", "gus", 100, "EUR", "acme")).ok());
  auto wrong_account = f.call(req::rollback("r1", "b1", "hal", "EUR", "acme"));
  BOOST_CHECK(wrong_account.error == error_code::ref_mismatch);
  auto wrong_amount = req::rollback("r2", "b1", "gus", "EUR", "acme");
  wrong_amount.amount = 99;
  wrong_amount.has_amount = true;
  BOOST_CHECK(f.call(wrong_amount).error == error_code::ref_mismatch);
  BOOST_CHECK(f.call(req::rollback("r3", "w1", "gus", "EUR", "acme")).error ==
              error_code::ref_mismatch);
  // Another partner's namespace does not see acme's bet: a noop there.
  BOOST_CHECK(f.call(req::rollback("r4", "b1", "gus", "EUR", "beta")).outcome ==
              txn_status::noop);
  auto right = req::rollback("r5", "b1", "gus", "EUR", "acme");
  right.amount = 100;
  right.has_amount = true;
  BOOST_CHECK(f.call(right).outcome == txn_status::applied);
  BOOST_CHECK_EQUAL(f.balance_of("gus"), 1100);  // 1000 - 100 bet + 100 win + 100 refund
}

BOOST_AUTO_TEST_CASE(blocked_accounts_keep_their_money_reachable) {
  stepped_engine f;
  open_funded(f, "ivy", "EUR", 1000);
  auto blk = f.call(req::block("ivy"));
  BOOST_CHECK(blk.ok());
  BOOST_CHECK(blk.status == protocol::account_status::blocked);
  BOOST_CHECK(f.call(req::txn(txn_kind::bet, "b1", "ivy", 10, "EUR", "acme")).error ==
              error_code::account_blocked);
  BOOST_CHECK(f.call(req::txn(txn_kind::deposit, "d1", "ivy", 10, "EUR")).error ==
              error_code::account_blocked);
  BOOST_CHECK(f.call(req::txn(txn_kind::win, "w1", "ivy", 10, "EUR", "acme")).ok());
  BOOST_CHECK(f.call(req::txn(txn_kind::withdraw, "wd1", "ivy", 10, "EUR")).ok());
  BOOST_CHECK(f.call(req::unblock("ivy")).status == protocol::account_status::active);
  BOOST_CHECK(f.call(req::txn(txn_kind::bet, "b1", "ivy", 10, "EUR", "acme")).ok());
  BOOST_CHECK(f.call(req::block("ghost")).error == error_code::unknown_account);
}

BOOST_AUTO_TEST_CASE(transfers) {
  stepped_engine f;
  open_funded(f, "jay", "EUR", 500);
  open_funded(f, "kim", "EUR", 0);
  open_funded(f, "lee", "USD", 0);
  auto t = f.call(req::transfer("t1", "jay", "kim", 200, "EUR"));
  BOOST_CHECK(t.ok());
  BOOST_CHECK_EQUAL(t.balance, 300);
  BOOST_CHECK_EQUAL(f.balance_of("kim"), 200);
  BOOST_CHECK(f.call(req::transfer("t2", "jay", "ghost", 1, "EUR")).error ==
              error_code::unknown_account);
  BOOST_CHECK(f.call(req::transfer("t3", "jay", "lee", 1, "EUR")).error ==
              error_code::currency_mismatch);
  BOOST_CHECK(f.call(req::transfer("t4", "jay", "kim", 301, "EUR")).error ==
              error_code::insufficient_funds);
  BOOST_CHECK(f.call(req::transfer("t5", "jay", "jay", 1, "EUR")).error ==
              error_code::bad_request);
  BOOST_CHECK(f.call(req::block("kim")).ok());
  BOOST_CHECK(f.call(req::transfer("t6", "jay", "kim", 1, "EUR")).error ==
              error_code::account_blocked);
  BOOST_CHECK_EQUAL(f.balance_of("jay"), 300);
  BOOST_CHECK_EQUAL(f.balance_of("kim"), 200);
  check_zero_sum(f, {"jay", "kim"}, {}, "EUR");
}

BOOST_AUTO_TEST_CASE(partner_totals_equal_clearing_balance) {
  stepped_engine f;
  open_funded(f, "max", "EUR", 10'000);
  open_funded(f, "ned", "USD", 10'000);
  int n = 0;
  for (int i = 0; i < 20; ++i) {
    BOOST_REQUIRE(f.call(req::txn(txn_kind::bet, "b" + std::to_string(n++), "max", 100, "EUR",
                                  "acme")).ok());
    BOOST_REQUIRE(f.call(req::txn(txn_kind::bet, "b" + std::to_string(n++), "ned", 50, "USD",
                                  "acme")).ok());
  }
  BOOST_REQUIRE(f.call(req::txn(txn_kind::win, "w", "max", 700, "EUR", "acme")).ok());
  auto p = f.call(req::partner("acme"));
  BOOST_REQUIRE(p.ok());
  BOOST_REQUIRE_EQUAL(p.totals.size(), 2u);
  for (auto& t : p.totals) {
    BOOST_CHECK_EQUAL(t.ggr, t.bets - t.wins - t.rollbacks);
    BOOST_CHECK_EQUAL(t.ggr, f.balance_of("partner:acme:" + t.currency));
  }
  BOOST_CHECK_EQUAL(p.totals[0].currency, "EUR");
  BOOST_CHECK_EQUAL(p.totals[0].bets, 2000);
  BOOST_CHECK_EQUAL(p.totals[0].wins, 700);
  BOOST_CHECK_EQUAL(p.totals[0].bet_count, 20u);
  BOOST_CHECK(f.call(req::partner("nobody")).error == error_code::unknown_partner);
  check_zero_sum(f, {"max", "ned"}, {"acme"}, "EUR");
  check_zero_sum(f, {"max", "ned"}, {"acme"}, "USD");
}

BOOST_AUTO_TEST_CASE(transfers_across_shards_and_within_one) {
  stepped_engine f;
  // Enough accounts that some pairs share a shard and others do not (4 shards).
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    ids.push_back("x" + std::to_string(i));
    open_funded(f, ids.back(), "EUR", 1000);
  }
  int n = 0;
  for (size_t a = 0; a < ids.size(); ++a)
    for (size_t b = 0; b < ids.size(); ++b) {
      if (a == b)
        continue;
      auto r = f.call(req::transfer("xt" + std::to_string(n++), ids[a], ids[b], 10, "EUR"));
      BOOST_REQUIRE_MESSAGE(r.ok() && r.outcome == txn_status::applied, r.message);
    }
  // Everyone paid 7 x 10 and received 7 x 10.
  for (const auto& id : ids)
    BOOST_CHECK_EQUAL(f.balance_of(id), 1000);
  check_zero_sum(f, ids, {}, "EUR");
  BOOST_CHECK_EQUAL(f.stats().transfers, 0u);  // none left under way
}
