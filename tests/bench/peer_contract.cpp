#include "tests/bench/peer_contract.hpp"

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <vector>

using settle::protocol::error_code;
using settle::protocol::request;
using settle::protocol::response;
using settle::protocol::txn_kind;
using settle::protocol::txn_status;

namespace settle::test {

namespace {

constexpr int answer_timeout_ms = 10'000;

/// A prefix no other check (or earlier run against the same server) uses.
std::string fresh_prefix(const std::string& check) {
  static std::atomic<int> counter{0};
  return check + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-";
}

request txn(txn_kind kind, const std::string& id, const std::string& account, int64_t amount,
            const std::string& currency = "EUR", const std::string& partner = "prov1") {
  request r;
  r.op = protocol::op_kind::txn;
  r.kind = kind;
  r.id = id;
  r.account = account;
  r.amount = amount;
  r.has_amount = true;
  r.currency = currency;
  if (kind == txn_kind::bet || kind == txn_kind::win || kind == txn_kind::rollback)
    r.partner = partner;
  if (kind == txn_kind::bet || kind == txn_kind::win)
    r.round = "round-" + id;
  return r;
}

request rollback(const std::string& id, const std::string& ref, const std::string& account,
                 const std::string& currency = "EUR", const std::string& partner = "prov1") {
  auto r = txn(txn_kind::rollback, id, account, 0, currency, partner);
  r.has_amount = false;
  r.ref = ref;
  return r;
}

/// Sends one transaction and waits for its answer.
response call(bench::wallet_target& w, const request& r) {
  static uint64_t next_tag = 1'000'000;
  auto tag = next_tag++;
  w.send(tag, r);
  w.flush();
  uint64_t got = 0;
  response resp;
  BOOST_REQUIRE_MESSAGE(w.receive(got, resp, answer_timeout_ms), "no answer for " << r.id);
  BOOST_REQUIRE_EQUAL(got, tag);
  return resp;
}

std::string describe(const response& r) {
  if (r.ok())
    return std::string{protocol::to_string(r.outcome)} + " balance " + std::to_string(r.balance);
  return std::string{protocol::to_string(r.error)} + ": " + r.message;
}

void expect_ok(const response& r, txn_status status, int64_t balance) {
  BOOST_CHECK_MESSAGE(r.ok() && r.outcome == status && r.balance == balance,
                      "expected " << protocol::to_string(status) << " balance " << balance
                                  << ", got " << describe(r));
}

void expect_refused(const response& r, error_code code, int64_t balance) {
  BOOST_CHECK_MESSAGE(r.error == code && r.has_balance && r.balance == balance,
                      "expected " << protocol::to_string(code) << " with balance " << balance
                                  << ", got " << describe(r)
                                  << (r.has_balance ? "" : " (no balance)"));
}

/// Opens `accounts` with `balance` each in `currency` through a fresh connection.
std::unique_ptr<bench::wallet_target> funded(peer_under_test& peer,
                                             const std::vector<std::string>& accounts,
                                             int64_t balance, const std::string& currency = "EUR") {
  auto w = peer.connect();
  std::vector<bench::account_spec> specs;
  for (const auto& a : accounts)
    specs.push_back({a, currency, balance});
  w->setup(specs);
  return w;
}

}  // namespace

void setup_opens_and_funds_once(peer_under_test& peer) {
  auto p = fresh_prefix("setup");
  std::vector<bench::account_spec> specs{{p + "a", "EUR", 1000}, {p + "b", "USD", 500},
                                         {p + "c", "KRW", 7}};
  {
    auto w = peer.connect();
    w->setup(specs);
    w->setup(specs);  // idempotent: funds nothing twice
  }
  for (const auto& s : specs)
    BOOST_CHECK_EQUAL(peer.stored_balance(s.id), s.initial_balance);
  // The funding deposit is the engine's (id d<account>): resending it is a duplicate.
  auto w = peer.connect();
  auto r = call(*w, txn(txn_kind::deposit, "d" + p + "a", p + "a", 1000));
  expect_ok(r, txn_status::duplicate, 1000);
  BOOST_CHECK_EQUAL(r.version, 1u);
  BOOST_CHECK_EQUAL(peer.stored_balance(p + "a"), 1000);
}

void movements_change_the_balance(peer_under_test& peer) {
  auto p = fresh_prefix("moves");
  auto w = funded(peer, {p + "a"}, 1000);
  auto a = p + "a";
  auto r = call(*w, txn(txn_kind::bet, p + "bet", a, 100));
  expect_ok(r, txn_status::applied, 900);
  BOOST_CHECK_EQUAL(r.version, 2u);  // setup's deposit was change 1
  r = call(*w, txn(txn_kind::win, p + "win", a, 50));
  expect_ok(r, txn_status::applied, 950);
  BOOST_CHECK_EQUAL(r.version, 3u);
  expect_ok(call(*w, txn(txn_kind::deposit, p + "dep", a, 25)), txn_status::applied, 975);
  r = call(*w, txn(txn_kind::withdraw, p + "wd", a, 75));
  expect_ok(r, txn_status::applied, 900);
  BOOST_CHECK_EQUAL(r.version, 5u);
  BOOST_CHECK_EQUAL(peer.stored_balance(a), 900);
}

void insufficient_funds_is_refused_with_the_balance(peer_under_test& peer) {
  auto p = fresh_prefix("funds");
  auto w = funded(peer, {p + "a"}, 1000);
  auto a = p + "a";
  expect_refused(call(*w, txn(txn_kind::withdraw, p + "wd", a, 5000)),
                 error_code::insufficient_funds, 1000);
  expect_refused(call(*w, txn(txn_kind::bet, p + "bet", a, 1001)), error_code::insufficient_funds,
                 1000);
  BOOST_CHECK_EQUAL(peer.stored_balance(a), 1000);
  // The whole balance may go; refusals are not remembered, so the same id is decided again.
  expect_ok(call(*w, txn(txn_kind::deposit, p + "dep", a, 4000)), txn_status::applied, 5000);
  expect_ok(call(*w, txn(txn_kind::withdraw, p + "wd", a, 5000)), txn_status::applied, 0);
  BOOST_CHECK_EQUAL(peer.stored_balance(a), 0);
}

void retry_answers_duplicate_and_changes_nothing(peer_under_test& peer) {
  auto p = fresh_prefix("retry");
  auto w = funded(peer, {p + "a"}, 1000);
  auto a = p + "a";
  auto bet = txn(txn_kind::bet, p + "bet", a, 100);
  auto first = call(*w, bet);
  expect_ok(first, txn_status::applied, 900);
  expect_ok(call(*w, txn(txn_kind::win, p + "win", a, 10)), txn_status::applied, 910);
  // The retry gets the original result (balance and version then), not today's balance.
  auto again = call(*w, bet);
  expect_ok(again, txn_status::duplicate, 900);
  BOOST_CHECK_EQUAL(again.version, first.version);
  auto other = peer.connect();  // from another connection too
  expect_ok(call(*other, bet), txn_status::duplicate, 900);
  expect_ok(call(*w, txn(txn_kind::deposit, p + "dep", a, 5)), txn_status::applied, 915);
  expect_ok(call(*w, txn(txn_kind::deposit, p + "dep", a, 5)), txn_status::duplicate, 915);
  BOOST_CHECK_EQUAL(peer.stored_balance(a), 915);
}

void same_id_with_other_fields_is_id_conflict(peer_under_test& peer) {
  auto p = fresh_prefix("conflict");
  auto w = funded(peer, {p + "a"}, 1000);
  auto a = p + "a";
  auto id = p + "x";
  expect_ok(call(*w, txn(txn_kind::bet, id, a, 100)), txn_status::applied, 900);
  expect_refused(call(*w, txn(txn_kind::bet, id, a, 200)), error_code::id_conflict, 900);
  expect_refused(call(*w, txn(txn_kind::win, id, a, 100)), error_code::id_conflict, 900);
  auto other_game = txn(txn_kind::bet, id, a, 100);
  other_game.game = "slot9";
  expect_refused(call(*w, other_game), error_code::id_conflict, 900);
  // Ids live in their partner's namespace, and deposits in their own.
  expect_ok(call(*w, txn(txn_kind::bet, id, a, 100, "EUR", "prov2")), txn_status::applied, 800);
  expect_ok(call(*w, txn(txn_kind::deposit, id, a, 50)), txn_status::applied, 850);
  expect_refused(call(*w, txn(txn_kind::withdraw, id, a, 50)), error_code::id_conflict, 850);
  BOOST_CHECK_EQUAL(peer.stored_balance(a), 850);
}

void rollback_refunds_the_bet_once(peer_under_test& peer) {
  auto p = fresh_prefix("rollback");
  auto w = funded(peer, {p + "a", p + "b"}, 1000);
  auto a = p + "a", b = p + "b";
  expect_ok(call(*w, txn(txn_kind::bet, p + "bet", a, 100)), txn_status::applied, 900);
  auto rb = rollback(p + "rb1", p + "bet", a);
  auto r = call(*w, rb);
  expect_ok(r, txn_status::applied, 1000);
  BOOST_CHECK_EQUAL(r.version, 3u);
  expect_ok(call(*w, rb), txn_status::duplicate, 1000);                       // its retry
  expect_ok(call(*w, rollback(p + "rb2", p + "bet", a)), txn_status::duplicate, 1000);  // another id
  BOOST_CHECK_EQUAL(peer.stored_balance(a), 1000);

  // A rollback must agree with its bet: account, currency, amount (when given), a bet at all.
  expect_ok(call(*w, txn(txn_kind::bet, p + "bet2", a, 300)), txn_status::applied, 700);
  expect_refused(call(*w, rollback(p + "rb3", p + "bet2", b)), error_code::ref_mismatch, 1000);
  auto wrong_amount = rollback(p + "rb4", p + "bet2", a);
  wrong_amount.has_amount = true;
  wrong_amount.amount = 299;
  expect_refused(call(*w, wrong_amount), error_code::ref_mismatch, 700);
  expect_ok(call(*w, txn(txn_kind::win, p + "win", a, 5)), txn_status::applied, 705);
  expect_refused(call(*w, rollback(p + "rb5", p + "win", a)), error_code::ref_mismatch, 705);
  expect_refused(call(*w, rollback(p + "rb6", p + "rb6", a)), error_code::ref_mismatch, 705);
  expect_refused(call(*w, rollback(p + "rb7", p + "bet2", a, "USD")),
                 error_code::currency_mismatch, 705);
  // Refused rollbacks left nothing behind: the right one still refunds, with its amount.
  auto right = rollback(p + "rb4", p + "bet2", a);
  right.has_amount = true;
  right.amount = 300;
  expect_ok(call(*w, right), txn_status::applied, 1005);
  BOOST_CHECK_EQUAL(peer.stored_balance(a), 1005);
  BOOST_CHECK_EQUAL(peer.stored_balance(b), 1000);
}

void rollback_before_its_bet_leaves_a_tombstone(peer_under_test& peer) {
  auto p = fresh_prefix("tombstone");
  auto w = funded(peer, {p + "a"}, 1000);
  auto a = p + "a";
  auto bet_id = p + "late-bet";
  expect_ok(call(*w, rollback(p + "rb", bet_id, a)), txn_status::noop, 1000);
  expect_refused(call(*w, txn(txn_kind::bet, bet_id, a, 100)), error_code::rolled_back, 1000);
  expect_refused(call(*w, txn(txn_kind::bet, bet_id, a, 100)), error_code::rolled_back, 1000);
  expect_ok(call(*w, rollback(p + "rb", bet_id, a)), txn_status::duplicate, 1000);  // retry
  expect_ok(call(*w, rollback(p + "rb2", bet_id, a)), txn_status::duplicate, 1000);
  expect_refused(call(*w, txn(txn_kind::win, bet_id, a, 100)), error_code::id_conflict, 1000);
  // The tombstone is in the rollback's partner namespace only.
  expect_ok(call(*w, txn(txn_kind::bet, bet_id, a, 100, "EUR", "prov2")), txn_status::applied,
            900);
  BOOST_CHECK_EQUAL(peer.stored_balance(a), 900);
}

void unknown_account_currency_and_amount_are_refused(peer_under_test& peer) {
  auto p = fresh_prefix("refusals");
  auto w = funded(peer, {p + "a"}, 1000);
  auto a = p + "a";
  auto r = call(*w, txn(txn_kind::bet, p + "x1", p + "nobody", 10));
  BOOST_CHECK_EQUAL(protocol::to_string(r.error), "unknown_account");
  BOOST_CHECK(!r.has_balance);
  r = call(*w, rollback(p + "x2", p + "x1", p + "nobody"));
  BOOST_CHECK_EQUAL(protocol::to_string(r.error), "unknown_account");
  expect_refused(call(*w, txn(txn_kind::deposit, p + "x3", a, 10, "USD")),
                 error_code::currency_mismatch, 1000);
  expect_refused(call(*w, txn(txn_kind::bet, p + "x4", a, 0)), error_code::invalid_amount, 1000);
  expect_refused(call(*w, txn(txn_kind::win, p + "x5", a, -5)), error_code::invalid_amount, 1000);
  expect_refused(call(*w, txn(txn_kind::deposit, p + "x6", a, 1'000'000'000'001)),
                 error_code::invalid_amount, 1000);
  BOOST_CHECK_EQUAL(peer.stored_balance(a), 1000);
}

void pipelined_mix_moves_exactly_the_applied_amounts(peer_under_test& peer) {
  auto p = fresh_prefix("mix");
  const int64_t initial = 2000;
  std::vector<std::string> accounts{p + "a", p + "b", p + "c"};
  auto w = funded(peer, accounts, initial);
  std::mt19937_64 rng(42);
  std::map<uint64_t, request> sent;
  std::map<std::string, int64_t> bet_amounts;  // bet id -> amount, for rollback refunds
  std::vector<request> bets, all;
  for (uint64_t tag = 1; tag <= 400; ++tag) {
    auto account = accounts[rng() % accounts.size()];
    auto amount = static_cast<int64_t>(1 + rng() % 400);  // some bets overdraw: refused
    auto id = p + std::to_string(tag);
    auto dice = rng() % 100;
    request r;
    if (dice < 8 && !all.empty()) {
      r = all[rng() % all.size()];  // a retry, pipelined with everything else
    } else if (dice < 50 || bets.empty()) {
      r = txn(txn_kind::bet, id, account, amount);
      bets.push_back(r);
      bet_amounts[id] = amount;
    } else if (dice < 75) {
      r = txn(txn_kind::win, id, account, amount);
    } else if (dice < 85) {
      const auto& bet = bets[rng() % bets.size()];
      r = rollback(id, dice < 83 ? bet.id : p + "never-" + id, bet.account);
    } else if (dice < 93) {
      r = txn(txn_kind::deposit, id, account, amount);
    } else {
      r = txn(txn_kind::withdraw, id, account, amount);
    }
    all.push_back(r);
    sent[tag] = r;
    w->send(tag, r);
  }
  w->flush();
  int64_t moved = 0;
  std::set<uint64_t> answered;
  std::map<std::string, int> outcomes;
  for (size_t i = 0; i < sent.size(); ++i) {
    uint64_t tag = 0;
    response resp;
    BOOST_REQUIRE_MESSAGE(w->receive(tag, resp, answer_timeout_ms), "answer " << i << " missing");
    BOOST_REQUIRE_MESSAGE(sent.count(tag) == 1 && answered.insert(tag).second,
                          "unexpected or repeated tag " << tag);
    const auto& r = sent[tag];
    ++outcomes[std::string{resp.ok() ? protocol::to_string(resp.outcome)
                                     : protocol::to_string(resp.error)}];
    BOOST_CHECK_MESSAGE(resp.ok() || resp.error == error_code::insufficient_funds ||
                            resp.error == error_code::rolled_back,
                        "tag " << tag << ": " << describe(resp));
    if (!resp.ok() || resp.outcome != txn_status::applied)
      continue;
    switch (r.kind) {
      case txn_kind::bet:
      case txn_kind::withdraw:
        moved -= r.amount;
        break;
      case txn_kind::win:
      case txn_kind::deposit:
        moved += r.amount;
        break;
      case txn_kind::rollback:
        moved += bet_amounts.at(r.ref);
        break;
      default:
        break;
    }
  }
  BOOST_CHECK(!w->answer_ready());
  int64_t stored = 0;
  for (const auto& a : accounts)
    stored += peer.stored_balance(a);
  BOOST_CHECK_EQUAL(stored, initial * static_cast<int64_t>(accounts.size()) + moved);
  // The mix exercised what it should.
  for (const char* o : {"applied", "duplicate", "insufficient_funds"})
    BOOST_CHECK_MESSAGE(outcomes[o] > 0, "no " << o << " in the mix");
}

void racing_copies_of_one_id_apply_once(peer_under_test& peer) {
  auto p = fresh_prefix("race");
  auto w1 = funded(peer, {p + "a"}, 100'000);
  auto w2 = peer.connect();
  const int rounds = 30;
  for (int i = 0; i < rounds; ++i) {
    auto bet = txn(txn_kind::bet, p + std::to_string(i), p + "a", 10);
    w1->send(1, bet);
    w2->send(2, bet);
    w1->flush();
    w2->flush();
    uint64_t tag = 0;
    response r1, r2;
    BOOST_REQUIRE(w1->receive(tag, r1, answer_timeout_ms));
    BOOST_REQUIRE(w2->receive(tag, r2, answer_timeout_ms));
    BOOST_REQUIRE_MESSAGE(r1.ok() && r2.ok(), describe(r1) << " / " << describe(r2));
    std::multiset<txn_status> outcomes{r1.outcome, r2.outcome};
    BOOST_CHECK(outcomes == (std::multiset<txn_status>{txn_status::applied,
                                                       txn_status::duplicate}));
    BOOST_CHECK_EQUAL(r1.balance, r2.balance);  // the duplicate answers the original result
  }
  BOOST_CHECK_EQUAL(peer.stored_balance(p + "a"), 100'000 - 10 * rounds);
}

}  // namespace settle::test
