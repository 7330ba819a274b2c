// The PostgreSQL ledger (bench/peers/ledger.sql) against a real PostgreSQL 15 started for the
// test: the engine's transaction rules, pipelining, retries of racing ids, and setup.
#define BOOST_TEST_MODULE postgres_target
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <memory>
#include <set>

#include <libpq-fe.h>

#include "bench/peer_targets.hpp"
#include "tests/bench/peer_contract.hpp"
#include "tests/bench/postgres_server.hpp"

using namespace settle;

namespace {

/// One PostgreSQL cluster for the whole run. Fails every test with what to install when
/// PostgreSQL is missing: these tests are never skipped.
class postgres_peer final : public test::peer_under_test {
public:
  explicit postgres_peer(std::string options = "") : conninfo_(server_.conninfo() + options) {
    reader_ = PQconnectdb(server_.conninfo().c_str());
    if (PQstatus(reader_) != CONNECTION_OK)
      throw std::runtime_error(std::string{"cannot connect to the test server: "} +
                               PQerrorMessage(reader_));
    PQsetNoticeProcessor(reader_, [](void*, const char*) {}, nullptr);  // "skipping" notices
  }
  ~postgres_peer() override { PQfinish(reader_); }

  std::unique_ptr<bench::wallet_target> connect() override {
    return bench::make_peer_target("postgres", "", conninfo_);
  }
  int64_t stored_balance(const std::string& account) override {
    auto v = query("SELECT balance FROM accounts WHERE id = $1", account);
    BOOST_REQUIRE_MESSAGE(!v.empty(), "no account " << account);
    return std::stoll(v);
  }
  /// The first column of the first row of `sql` with one text parameter ("" for no row).
  std::string query(const std::string& sql, const std::string& param) {
    const char* values[] = {param.c_str()};
    PGresult* r = PQexecParams(reader_, sql.c_str(), 1, nullptr, values, nullptr, nullptr, 0);
    BOOST_REQUIRE_MESSAGE(PQresultStatus(r) == PGRES_TUPLES_OK, PQresultErrorMessage(r));
    std::string out = PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    return out;
  }
  /// Runs a statement without results; throws std::runtime_error on failure.
  void exec(const std::string& sql) {
    PGresult* r = PQexec(reader_, sql.c_str());
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    std::string why = PQresultErrorMessage(r);
    PQclear(r);
    if (!ok)
      throw std::runtime_error(why);
  }
  const test::postgres_server& server() const { return server_; }

private:
  test::postgres_server server_;
  std::string conninfo_;
  PGconn* reader_ = nullptr;
};

postgres_peer& peer() {
  static postgres_peer p;
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(setup_opens_and_funds_once) { test::setup_opens_and_funds_once(peer()); }
BOOST_AUTO_TEST_CASE(movements_change_the_balance) { test::movements_change_the_balance(peer()); }
BOOST_AUTO_TEST_CASE(insufficient_funds_is_refused_with_the_balance) {
  test::insufficient_funds_is_refused_with_the_balance(peer());
}
BOOST_AUTO_TEST_CASE(retry_answers_duplicate_and_changes_nothing) {
  test::retry_answers_duplicate_and_changes_nothing(peer());
}
BOOST_AUTO_TEST_CASE(same_id_with_other_fields_is_id_conflict) {
  test::same_id_with_other_fields_is_id_conflict(peer());
}
BOOST_AUTO_TEST_CASE(rollback_refunds_the_bet_once) { test::rollback_refunds_the_bet_once(peer()); }
BOOST_AUTO_TEST_CASE(rollback_before_its_bet_leaves_a_tombstone) {
  test::rollback_before_its_bet_leaves_a_tombstone(peer());
}
BOOST_AUTO_TEST_CASE(unknown_account_currency_and_amount_are_refused) {
  test::unknown_account_currency_and_amount_are_refused(peer());
}
BOOST_AUTO_TEST_CASE(pipelined_mix_moves_exactly_the_applied_amounts) {
  test::pipelined_mix_moves_exactly_the_applied_amounts(peer());
}
BOOST_AUTO_TEST_CASE(racing_copies_of_one_id_apply_once) {
  test::racing_copies_of_one_id_apply_once(peer());
}

BOOST_AUTO_TEST_CASE(rows_record_results_and_tombstones) {
  auto& p = peer();
  test::rollback_before_its_bet_leaves_a_tombstone(p);
  // The tombstone is a row of its own, in the rollback's partner namespace.
  BOOST_CHECK_EQUAL(p.query("SELECT string_agg(DISTINCT namespace, ',') FROM transactions "
                            "WHERE state = 'tombstone' AND id LIKE $1 || '%'",
                            "tombstone-"),
                    "prov1");
  // No player balance below zero can exist: the schema refuses it, whatever the caller does.
  BOOST_CHECK_EQUAL(p.query("SELECT count(*) FROM accounts WHERE kind = $1 AND balance < 0",
                            "player"),
                    "0");
  BOOST_CHECK_THROW(p.exec("UPDATE accounts SET balance = -1 WHERE id LIKE 'tombstone-%'"),
                    std::runtime_error);
}

namespace {

protocol::request bet(const std::string& id, const std::string& account, int64_t amount) {
  protocol::request r;
  r.op = protocol::op_kind::txn;
  r.kind = protocol::txn_kind::bet;
  r.id = id;
  r.account = account;
  r.currency = "EUR";
  r.partner = "prov1";
  r.amount = amount;
  r.has_amount = true;
  return r;
}

protocol::response answer(bench::wallet_target& w) {
  uint64_t tag = 0;
  protocol::response r;
  BOOST_REQUIRE_MESSAGE(w.receive(tag, r, 10'000), "no answer");
  return r;
}

/// Holds the lock on one account row (another session's transaction) until release().
class row_lock {
public:
  row_lock(std::string conninfo, const std::string& account)
      : conninfo_(std::move(conninfo)), conn_(PQconnectdb(conninfo_.c_str())) {
    run("BEGIN");
    run("SELECT 1 FROM accounts WHERE id = '" + account + "' FOR UPDATE");
  }
  ~row_lock() { PQfinish(conn_); }
  void release() { run("COMMIT"); }
  /// Waits until `n` other sessions wait for a lock.
  void wait_for_waiters(int n) const {
    for (int i = 0; i < 500; ++i) {
      // A new session each time: pg_stat_activity is a snapshot per transaction.
      PGconn* c = PQconnectdb(conninfo_.c_str());
      PGresult* r =
          PQexec(c, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'");
      int waiting = PQresultStatus(r) == PGRES_TUPLES_OK ? std::stoi(PQgetvalue(r, 0, 0)) : -1;
      PQclear(r);
      PQfinish(c);
      if (waiting >= n)
        return;
      ::usleep(10'000);
    }
    BOOST_FAIL("the calls never waited for the row lock");
  }

private:
  void run(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    auto st = PQresultStatus(r);
    PQclear(r);
    BOOST_REQUIRE(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
  }
  std::string conninfo_;
  PGconn* conn_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_copy_that_loses_the_race_for_its_id_is_answered_duplicate) {
  // Both copies miss the id in their first SELECT and queue on the account row; the second
  // meets the first's row at the primary key, is rolled back, re-sent, and answered from it.
  auto& p = peer();
  auto w1 = p.connect();
  w1->setup({{"race-pk", "EUR", 1000}});
  auto w2 = p.connect();
  row_lock lock{p.server().conninfo(), "race-pk"};
  w1->send(1, bet("race-pk-bet", "race-pk", 100));
  w1->flush();
  w2->send(2, bet("race-pk-bet", "race-pk", 100));
  w2->flush();
  lock.wait_for_waiters(2);
  lock.release();
  auto r1 = answer(*w1), r2 = answer(*w2);
  BOOST_REQUIRE(r1.ok() && r2.ok());
  BOOST_CHECK((std::multiset<protocol::txn_status>{r1.outcome, r2.outcome} ==
               std::multiset<protocol::txn_status>{protocol::txn_status::applied,
                                                   protocol::txn_status::duplicate}));
  BOOST_CHECK_EQUAL(r1.balance, 900);
  BOOST_CHECK_EQUAL(r2.balance, 900);
  BOOST_CHECK_EQUAL(p.stored_balance("race-pk"), 900);
}

BOOST_AUTO_TEST_CASE(a_bet_that_loses_the_race_to_its_rollback_is_rolled_back) {
  // The bet waits on its account row; meanwhile its rollback leaves a tombstone (a noop moves
  // nothing, so it needs no account lock). The bet then meets the tombstone and is refused.
  auto& p = peer();
  auto w1 = p.connect();
  w1->setup({{"race-tomb", "EUR", 1000}});
  auto w2 = p.connect();
  row_lock lock{p.server().conninfo(), "race-tomb"};
  w1->send(1, bet("race-tomb-bet", "race-tomb", 100));
  w1->flush();
  lock.wait_for_waiters(1);
  auto rb = bet("race-tomb-rb", "race-tomb", 0);
  rb.kind = protocol::txn_kind::rollback;
  rb.has_amount = false;
  rb.ref = "race-tomb-bet";
  w2->send(2, rb);
  w2->flush();
  auto r2 = answer(*w2);
  BOOST_CHECK(r2.ok() && r2.outcome == protocol::txn_status::noop);
  lock.release();
  auto r1 = answer(*w1);
  BOOST_CHECK_EQUAL(protocol::to_string(r1.error), "rolled_back");
  BOOST_CHECK_EQUAL(r1.balance, 1000);
  BOOST_CHECK_EQUAL(p.stored_balance("race-tomb"), 1000);
}

BOOST_AUTO_TEST_CASE(asynchronous_commit_is_a_connection_option) {
  // What bench/compare.sh uses for its synchronous_commit=off rows.
  postgres_peer async_peer{" options='-c synchronous_commit=off'"};
  test::movements_change_the_balance(async_peer);
}

BOOST_AUTO_TEST_CASE(setup_of_many_accounts_is_batched) {
  auto w = peer().connect();
  std::vector<bench::account_spec> specs;
  for (int i = 0; i < 120'000; ++i)  // more than two setup statements
    specs.push_back({"many-" + std::to_string(i), i % 2 ? "EUR" : "USD", 50});
  w->setup(specs);
  w->setup(specs);
  BOOST_CHECK_EQUAL(peer().query("SELECT count(*) FROM accounts WHERE id LIKE $1 || '%'", "many-"),
                    "120000");
  BOOST_CHECK_EQUAL(
      peer().query("SELECT sum(balance) FROM accounts WHERE id LIKE $1 || '%'", "many-"),
      "6000000");
  BOOST_CHECK_EQUAL(peer().stored_balance("many-119999"), 50);
}

BOOST_AUTO_TEST_CASE(fails_clearly) {
  BOOST_CHECK_THROW(bench::make_peer_target("postgres", "", "host=127.0.0.1 port=1 user=x"),
                    std::runtime_error);
  // Without setup() a database has no settle_txn: the first send() says so.
  peer().exec("DROP DATABASE IF EXISTS no_schema");
  peer().exec("CREATE DATABASE no_schema");
  auto w = bench::make_peer_target(
      "postgres", "",
      "host=127.0.0.1 port=" + std::to_string(peer().server().port()) +
          " user=postgres dbname=no_schema");
  protocol::request r;
  r.op = protocol::op_kind::txn;
  r.kind = protocol::txn_kind::deposit;
  r.id = "x";
  r.account = "a";
  r.currency = "EUR";
  r.amount = 1;
  r.has_amount = true;
  BOOST_CHECK_THROW(w->send(1, r), std::runtime_error);
}
