// The specification of decide(): one row per rule and per refusal, in the order
// docs/protocol.md ("Order of checks") lists them. Each row: the rule, what the engine holds
// before (the account, the transfer target, the request's id, the bet a rollback names), the
// request, and what must come out (the verdict, and for a verdict that applies the account's
// balance and version after, as the record it journals and apply() agree).
#define BOOST_TEST_MODULE decide
#include <boost/test/unit_test.hpp>

#include <optional>

#include "ledger/apply.hpp"
#include "ledger/decide.hpp"
#include "requests.hpp"

using namespace settle::ledger;
using settle::protocol::request;
namespace req = settle::testing::req;

namespace {

constexpr int64_t max_amount = 1'000'000;
constexpr int64_t at_ms = 1'790'000'000'123;

account_state player(int64_t balance, uint64_t version = 1, const char* currency = "EUR",
                     account_status status = account_status::active) {
  account_state a;
  a.balance = balance;
  a.version = version;
  a.currency = pack_currency(currency);
  a.status = status;
  return a;
}
account_state blocked(int64_t balance, uint64_t version = 1) {
  return player(balance, version, "EUR", account_status::blocked);
}

/// A remembered result of request `r` (same fields: a retry of it is a duplicate).
id_entry done_as(const request& r, int64_t balance, uint64_t version) {
  id_entry e;
  e.fingerprint = fingerprint(r);
  e.state = id_state::done;
  e.kind = r.kind;
  e.balance = balance;
  e.version = version;
  e.currency = pack_currency(r.currency);
  return e;
}
/// An applied bet of `amount` on `account`, as the store remembers it.
id_entry bet_entry(const std::string& account, int64_t amount, const char* currency = "EUR") {
  id_entry e;
  e.fingerprint = 42;
  e.state = id_state::done;
  e.kind = txn_kind::bet;
  e.account = account;
  e.amount = amount;
  e.currency = pack_currency(currency);
  return e;
}
id_entry tombstone() {
  id_entry e;
  e.state = id_state::tombstone;
  e.kind = txn_kind::bet;
  e.account = "alice";
  e.currency = pack_currency("EUR");
  return e;
}
id_entry pending(const request& r) {
  auto e = done_as(r, 0, 0);
  e.state = id_state::pending;
  return e;
}
id_entry with(id_entry e, bool rolled_back) {
  e.rolled_back = rolled_back;
  return e;
}

request bet(int64_t amount, std::string id = "b1") {
  return req::txn(txn_kind::bet, std::move(id), "alice", amount, "EUR", "acme");
}
request win(int64_t amount) {
  return req::txn(txn_kind::win, "w1", "alice", amount, "EUR", "acme");
}
request deposit(int64_t amount, const char* currency = "EUR") {
  return req::txn(txn_kind::deposit, "d1", "alice", amount, currency);
}
request withdraw(int64_t amount) {
  return req::txn(txn_kind::withdraw, "x1", "alice", amount, "EUR");
}
request rollback(std::optional<int64_t> amount = std::nullopt, const char* account = "alice") {
  auto r = req::rollback("r1", "b1", account, "EUR", "acme");
  if (amount) {
    r.amount = *amount;
    r.has_amount = true;
  }
  return r;
}
request transfer(int64_t amount, const char* to = "bob") {
  return req::transfer("t1", "alice", to, amount, "EUR");
}
request renamed(request r, std::string account) {
  r.account = std::move(account);
  return r;
}
request other_round(request r) {
  r.round = "another round";
  return r;
}

struct row {
  const char* rule;
  request in;
  std::optional<account_state> account{}, target{};
  std::optional<id_entry> own{}, ref{};
  verdict_kind kind = verdict_kind::apply;
  error_code error = error_code::none;
  txn_status status = txn_status::applied;
  int64_t balance = 0;  // apply: after; duplicate: the stored one
  uint64_t version = 0;
  int64_t target_balance = 0;  // transfers within one shard
  partner_gate gate{};         // what the settlement state says about the partner
};

const row rows[] = {
    // -- check_request: no state needed --
    {.rule = "amount 0 is refused", .in = bet(0), .account = player(100),
     .kind = verdict_kind::refuse, .error = error_code::invalid_amount},
    {.rule = "a negative amount is refused", .in = deposit(-5), .account = player(100),
     .kind = verdict_kind::refuse, .error = error_code::invalid_amount},
    {.rule = "max_amount itself is allowed", .in = deposit(max_amount),
     .account = player(0), .balance = max_amount, .version = 2},
    {.rule = "past max_amount is refused", .in = deposit(max_amount + 1),
     .account = player(0), .kind = verdict_kind::refuse, .error = error_code::invalid_amount},
    {.rule = "a rollback may omit its amount", .in = rollback(), .account = player(0),
     .ref = bet_entry("alice", 30), .balance = 30, .version = 2},
    {.rule = "a rollback's amount, when given, is range-checked", .in = rollback(0),
     .account = player(0), .ref = bet_entry("alice", 30), .kind = verdict_kind::refuse,
     .error = error_code::invalid_amount},
    {.rule = "house accounts cannot be named", .in = renamed(bet(10), "house:EUR"),
     .kind = verdict_kind::refuse, .error = error_code::bad_request},
    {.rule = "partner accounts cannot be named", .in = renamed(deposit(10), "partner:p:EUR"),
     .kind = verdict_kind::refuse, .error = error_code::bad_request},
    {.rule = "a transfer to a reserved account", .in = transfer(10, "house:EUR"),
     .account = player(100), .kind = verdict_kind::refuse, .error = error_code::bad_request},
    {.rule = "a transfer to itself", .in = transfer(10, "alice"), .account = player(100),
     .kind = verdict_kind::refuse, .error = error_code::bad_request},
    {.rule = "amount before id: a bad amount is refused even for a known id",
     .in = bet(0), .account = player(100), .own = done_as(bet(0), 1, 1),
     .kind = verdict_kind::refuse, .error = error_code::invalid_amount},

    // -- check_retry: the id is known --
    {.rule = "a retry with the same fields is a duplicate with the stored result",
     .in = bet(10), .account = player(90, 2), .own = done_as(bet(10), 90, 2),
     .kind = verdict_kind::duplicate, .status = txn_status::duplicate, .balance = 90,
     .version = 2},
    {.rule = "the id with other fields is a conflict", .in = bet(11),
     .account = player(90, 2), .own = done_as(bet(10), 90, 2), .kind = verdict_kind::refuse,
     .error = error_code::id_conflict},
    {.rule = "round and game are part of the identity", .in = other_round(bet(10)),
     .account = player(90, 2), .own = done_as(bet(10), 90, 2), .kind = verdict_kind::refuse,
     .error = error_code::id_conflict},
    {.rule = "a retry is answered even if the account could not take it now",
     .in = bet(10), .account = blocked(0), .own = done_as(bet(10), 90, 2),
     .kind = verdict_kind::duplicate, .status = txn_status::duplicate, .balance = 90,
     .version = 2},
    {.rule = "a bet whose rollback came first is refused", .in = bet(10),
     .account = player(100), .own = tombstone(), .kind = verdict_kind::refuse,
     .error = error_code::rolled_back},
    {.rule = "another kind on a tombstoned id is a conflict", .in = win(10),
     .account = player(100), .own = tombstone(), .kind = verdict_kind::refuse,
     .error = error_code::id_conflict},
    {.rule = "a rollback on a tombstoned id is a conflict", .in = rollback(),
     .account = player(100), .own = tombstone(), .kind = verdict_kind::refuse,
     .error = error_code::id_conflict},
    {.rule = "a transfer already under way waits for its end", .in = transfer(10),
     .account = player(100), .own = pending(transfer(10)), .kind = verdict_kind::in_progress},
    {.rule = "a pending id of another transfer is a conflict", .in = transfer(11),
     .account = player(100), .own = pending(transfer(10)), .kind = verdict_kind::refuse,
     .error = error_code::id_conflict},
    {.rule = "a pending id is a conflict for other kinds", .in = rollback(),
     .account = player(100), .own = pending(rollback()), .kind = verdict_kind::refuse,
     .error = error_code::id_conflict},

    // -- check_new: bets, wins, deposits, withdrawals --
    {.rule = "a bet debits", .in = bet(30), .account = player(100, 4), .balance = 70,
     .version = 5},
    {.rule = "a bet of the whole balance reaches the floor", .in = bet(100),
     .account = player(100), .balance = 0, .version = 2},
    {.rule = "a bet past the balance is refused", .in = bet(101), .account = player(100),
     .kind = verdict_kind::refuse, .error = error_code::insufficient_funds},
    {.rule = "a win credits", .in = win(25), .account = player(100), .balance = 125,
     .version = 2},
    {.rule = "a deposit credits", .in = deposit(25), .account = player(0), .balance = 25,
     .version = 2},
    {.rule = "a withdrawal debits", .in = withdraw(25), .account = player(25),
     .balance = 0, .version = 2},
    {.rule = "a withdrawal past the balance is refused", .in = withdraw(26),
     .account = player(25), .kind = verdict_kind::refuse,
     .error = error_code::insufficient_funds},
    {.rule = "an unknown account", .in = bet(10), .kind = verdict_kind::refuse,
     .error = error_code::unknown_account},
    {.rule = "another currency", .in = deposit(10, "USD"), .account = player(0),
     .kind = verdict_kind::refuse, .error = error_code::currency_mismatch},
    {.rule = "currency before blocked", .in = deposit(10, "USD"), .account = blocked(0),
     .kind = verdict_kind::refuse, .error = error_code::currency_mismatch},
    {.rule = "a blocked account refuses bets", .in = bet(10), .account = blocked(100),
     .kind = verdict_kind::refuse, .error = error_code::account_blocked},
    {.rule = "a blocked account refuses deposits", .in = deposit(10),
     .account = blocked(100), .kind = verdict_kind::refuse, .error = error_code::account_blocked},
    {.rule = "blocked before insufficient funds", .in = bet(1000), .account = blocked(100),
     .kind = verdict_kind::refuse, .error = error_code::account_blocked},
    {.rule = "a blocked account takes wins", .in = win(10), .account = blocked(100),
     .balance = 110, .version = 2},
    {.rule = "a blocked account pays withdrawals", .in = withdraw(10),
     .account = blocked(100), .balance = 90, .version = 2},
    {.rule = "a credit that would overflow", .in = deposit(10),
     .account = player(INT64_MAX - 5), .kind = verdict_kind::refuse,
     .error = error_code::invalid_amount},

    // -- check_new: rollbacks --
    {.rule = "a rollback refunds its bet", .in = rollback(), .account = player(70, 3),
     .ref = bet_entry("alice", 30), .balance = 100, .version = 4},
    {.rule = "a rollback naming the bet's amount", .in = rollback(30),
     .account = player(70, 3), .ref = bet_entry("alice", 30), .balance = 100, .version = 4},
    {.rule = "a rollback on a blocked account refunds", .in = rollback(),
     .account = blocked(70, 3), .ref = bet_entry("alice", 30), .balance = 100, .version = 4},
    {.rule = "a rollback of an unseen bet is a noop (leaves a tombstone)",
     .in = rollback(), .account = player(70, 3), .status = txn_status::noop,
     .balance = 70, .version = 3},
    {.rule = "a second rollback of a bet is a duplicate note", .in = rollback(),
     .account = player(100, 4), .ref = with(bet_entry("alice", 30), true),
     .status = txn_status::duplicate, .balance = 100, .version = 4},
    {.rule = "a rollback of a tombstoned bet is a duplicate note", .in = rollback(),
     .account = player(100, 4), .ref = tombstone(), .status = txn_status::duplicate,
     .balance = 100, .version = 4},
    {.rule = "a rollback on an unknown account", .in = rollback(),
     .ref = bet_entry("alice", 30), .kind = verdict_kind::refuse,
     .error = error_code::unknown_account},
    {.rule = "a rollback in another currency than the account",
     .in = [] { auto r = rollback(); r.currency = "USD"; return r; }(),
     .account = player(70), .ref = bet_entry("alice", 30), .kind = verdict_kind::refuse,
     .error = error_code::currency_mismatch},
    {.rule = "a rollback naming a win", .in = rollback(), .account = player(70),
     .ref = done_as(win(30), 100, 2), .kind = verdict_kind::refuse,
     .error = error_code::ref_mismatch},
    {.rule = "a rollback naming another account's bet", .in = rollback(),
     .account = player(70), .ref = bet_entry("bob", 30), .kind = verdict_kind::refuse,
     .error = error_code::ref_mismatch},
    {.rule = "a rollback of a bet in another currency", .in = rollback(),
     .account = player(70), .ref = bet_entry("alice", 30, "USD"), .kind = verdict_kind::refuse,
     .error = error_code::ref_mismatch},
    {.rule = "a rollback naming another amount", .in = rollback(29), .account = player(70),
     .ref = bet_entry("alice", 30), .kind = verdict_kind::refuse,
     .error = error_code::ref_mismatch},
    {.rule = "a refund that would overflow", .in = rollback(),
     .account = player(INT64_MAX - 5), .ref = bet_entry("alice", 30),
     .kind = verdict_kind::refuse, .error = error_code::invalid_amount},

    // -- check_new: transfers with both accounts at hand --
    {.rule = "a transfer debits the source and credits the target", .in = transfer(40),
     .account = player(100, 2), .target = player(5, 7), .balance = 60, .version = 3,
     .target_balance = 45},
    {.rule = "an unknown target", .in = transfer(40), .account = player(100),
     .kind = verdict_kind::refuse, .error = error_code::unknown_account},
    {.rule = "target before source: both unknown names the target", .in = transfer(40),
     .kind = verdict_kind::refuse, .error = error_code::unknown_account},
    {.rule = "a target in another currency", .in = transfer(40), .account = player(100),
     .target = player(0, 1, "USD"), .kind = verdict_kind::refuse,
     .error = error_code::currency_mismatch},
    {.rule = "a blocked target", .in = transfer(40), .account = player(100),
     .target = blocked(0), .kind = verdict_kind::refuse, .error = error_code::account_blocked},
    {.rule = "an unknown source", .in = transfer(40), .target = player(0),
     .kind = verdict_kind::refuse, .error = error_code::unknown_account},
    {.rule = "a blocked source", .in = transfer(40), .account = blocked(100),
     .target = player(0), .kind = verdict_kind::refuse, .error = error_code::account_blocked},
    {.rule = "a source without the money", .in = transfer(101), .account = player(100),
     .target = player(0), .kind = verdict_kind::refuse,
     .error = error_code::insufficient_funds},
    {.rule = "a target that would overflow", .in = transfer(40), .account = player(100),
     .target = player(INT64_MAX - 5), .kind = verdict_kind::refuse,
     .error = error_code::invalid_amount},
    // -- the partner's gate (settlement): after the retry checks, before the accounts --
    {.rule = "a bet past the partner's max_tps: rate_limited", .in = bet(10),
     .account = player(100), .kind = verdict_kind::refuse, .error = error_code::rate_limited,
     .gate = {.over_rate = true}},
    {.rule = "the rate is checked before the account", .in = bet(10),
     .kind = verdict_kind::refuse, .error = error_code::rate_limited,
     .gate = {.over_rate = true}},
    {.rule = "a win past the rate too", .in = win(10), .account = player(100),
     .kind = verdict_kind::refuse, .error = error_code::rate_limited,
     .gate = {.over_rate = true}},
    {.rule = "a bet of a suspended partner: partner_suspended", .in = bet(10),
     .account = player(100), .kind = verdict_kind::refuse,
     .error = error_code::partner_suspended, .gate = {.suspended = true}},
    {.rule = "a win of a suspended partner applies", .in = win(10), .account = player(100),
     .balance = 110, .version = 2, .gate = {.suspended = true}},
    {.rule = "a rollback of a suspended partner applies", .in = rollback(),
     .account = player(0), .ref = bet_entry("alice", 30), .balance = 30, .version = 2,
     .gate = {.suspended = true, .credit_exhausted = true}},
    {.rule = "a bet through a supplier without credit: credit_exhausted", .in = bet(10),
     .account = player(100), .kind = verdict_kind::refuse,
     .error = error_code::credit_exhausted, .gate = {.credit_exhausted = true}},
    {.rule = "a win with the supplier's credit exhausted applies", .in = win(10),
     .account = player(100), .balance = 110, .version = 2,
     .gate = {.credit_exhausted = true}},
    {.rule = "a retry of an applied bet is a duplicate, whatever the partner's gate",
     .in = bet(10), .account = player(90, 2), .own = done_as(bet(10), 90, 2),
     .kind = verdict_kind::duplicate, .status = txn_status::duplicate, .balance = 90,
     .version = 2, .gate = {.over_rate = true, .suspended = true}},
    {.rule = "deposits name no partner: no gate", .in = deposit(10), .account = player(100),
     .balance = 110, .version = 2, .gate = {.over_rate = true, .suspended = true}},
};

}  // namespace

namespace settle::ledger {
std::ostream& operator<<(std::ostream& os, verdict_kind k) {
  const char* names[] = {"refuse", "duplicate", "in_progress", "apply", "unchanged"};
  return os << names[static_cast<int>(k)];
}
}  // namespace settle::ledger

BOOST_AUTO_TEST_CASE(every_rule_of_decide) {
  for (const auto& t : rows) {
    BOOST_TEST_CONTEXT(t.rule) {
      const auto r = settle::protocol::view_of(t.in);
      const known_ids ids{t.own ? &*t.own : nullptr, t.ref ? &*t.ref : nullptr};
      const known_accounts accounts{t.account ? &*t.account : nullptr,
                                    t.target ? &*t.target : nullptr};
      auto v = decide(r, fingerprint(r), ids, accounts, txn_limits{max_amount}, t.gate);
      BOOST_CHECK_EQUAL(v.kind, t.kind);
      BOOST_CHECK_EQUAL(static_cast<int>(v.error), static_cast<int>(t.error));
      if (v.refused()) {
        BOOST_CHECK(!v.message.empty());  // every refusal says why
        continue;
      }
      if (t.kind != verdict_kind::apply && t.kind != verdict_kind::duplicate)
        continue;
      BOOST_CHECK(v.status == t.status);
      BOOST_CHECK_EQUAL(v.balance, t.balance);
      BOOST_CHECK_EQUAL(v.version, t.version);
      if (t.kind != verdict_kind::apply)
        continue;
      // What the verdict journals, applied: the same account after.
      if (r.kind == txn_kind::transfer) {
        BOOST_CHECK_EQUAL(v.target_balance, t.target_balance);
        const transfer_terms terms{r.id, r.account, r.to, r.currency, r.amount, fingerprint(r)};
        auto debit = transfer_record(terms, leg_role::transfer_debit, v.balance, v.version, at_ms);
        auto c = apply(debit, &*t.account);
        BOOST_CHECK_MESSAGE(c.fits(), c.problem);
        BOOST_CHECK_EQUAL(c.account.balance, t.balance);
        continue;
      }
      auto rec = txn_record(r, fingerprint(r), v, at_ms);
      auto c = apply(rec, &*t.account);
      BOOST_CHECK_MESSAGE(c.fits(), c.problem);
      BOOST_CHECK(!c.stale);
      BOOST_CHECK_EQUAL(c.account.balance, t.balance);
      BOOST_CHECK_EQUAL(c.account.version, t.version);
    }
  }
}

BOOST_AUTO_TEST_CASE(refusal_messages_name_what_is_wrong) {
  auto says = [](const request& rq, const known_ids& ids, const known_accounts& acc,
                 const std::string& text) {
    const auto r = settle::protocol::view_of(rq);
    auto v = decide(r, fingerprint(r), ids, acc, txn_limits{max_amount});
    BOOST_CHECK_MESSAGE(v.message.find(text) != std::string::npos,
                        "'" << v.message << "' does not say '" << text << "'");
  };
  const auto alice = player(100);
  const auto bob_bet = bet_entry("bob", 30);
  const auto t = tombstone();
  says(bet(0), {}, {&alice}, "amount must be between 1 and 1000000");
  says(bet(101), {}, {&alice}, "balance 100 is less than amount 101");
  says(bet(10), {}, {}, "account 'alice' does not exist");
  says(bet(10), {&t}, {&alice}, "bet 'b1' was rolled back before it arrived");
  auto known = done_as(bet(10), 90, 2);
  says(bet(11), {&known}, {&alice}, "id 'b1' was used with different fields");
  says(rollback(), {nullptr, &bob_bet}, {&alice}, "the bet was on account 'bob'");
  says(transfer(40), {}, {&alice}, "target account 'bob' does not exist");
}

BOOST_AUTO_TEST_CASE(transfers_across_shards_decide_in_steps) {
  // The target's shard checks the target, the source's shard debits, the target's shard
  // credits (checking again), and a refused credit gives the money back.
  const auto cur = pack_currency("EUR");
  const auto target = player(0, 3);
  BOOST_CHECK(check_transfer_target("bob", cur, &target).applies());
  BOOST_CHECK(check_transfer_target("bob", cur, nullptr).error == error_code::unknown_account);
  const auto source = player(100, 5);
  auto debit = check_transfer_source(settle::protocol::view_of(transfer(40)), &source);
  BOOST_CHECK(debit.applies());
  BOOST_CHECK_EQUAL(debit.balance, 60);
  BOOST_CHECK_EQUAL(debit.version, 6u);
  auto credit = check_transfer_credit("bob", cur, 40, &target);
  BOOST_CHECK_EQUAL(credit.balance, 40);
  BOOST_CHECK_EQUAL(credit.version, 4u);
  const auto target_blocked_since = blocked(0, 4);
  BOOST_CHECK(check_transfer_credit("bob", cur, 40, &target_blocked_since).error ==
              error_code::account_blocked);
  const auto debited = player(60, 6, "EUR", account_status::blocked);
  auto back = check_transfer_refund(40, cur, debited);  // even blocked: the money comes back
  BOOST_CHECK(back.applies());
  BOOST_CHECK_EQUAL(back.balance, 100);
  BOOST_CHECK_EQUAL(back.version, 7u);
}

BOOST_AUTO_TEST_CASE(opens_and_status_changes) {
  const auto eur = player(5, 3);
  auto open_new = decide_open(settle::protocol::view_of(req::open("alice", "EUR")), nullptr);
  BOOST_CHECK(open_new.applies());
  BOOST_CHECK(decide_open(settle::protocol::view_of(req::open("alice", "EUR")), &eur).kind ==
              verdict_kind::unchanged);
  BOOST_CHECK(decide_open(settle::protocol::view_of(req::open("alice", "USD")), &eur).error ==
              error_code::account_exists);
  BOOST_CHECK(decide_open(settle::protocol::view_of(req::open("house:EUR", "EUR")), nullptr)
                  .error == error_code::bad_request);
  auto block = decide_status(settle::protocol::view_of(req::block("alice")), &eur);
  BOOST_CHECK(block.applies());
  BOOST_CHECK_EQUAL(block.version, 4u);  // a status change is a change of the account
  BOOST_CHECK_EQUAL(block.balance, 5);
  const auto already = blocked(5, 4);
  BOOST_CHECK(decide_status(settle::protocol::view_of(req::block("alice")), &already).kind ==
              verdict_kind::unchanged);
  BOOST_CHECK(decide_status(settle::protocol::view_of(req::unblock("alice")), &already)
                  .applies());
  BOOST_CHECK(decide_status(settle::protocol::view_of(req::block("nobody")), nullptr).error ==
              error_code::unknown_account);
}
