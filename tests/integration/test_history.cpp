// Account history on a running engine (docs/protocol.md "History and audit"): newest first
// with round and game, paging with limit and before_version, what each role sees, the
// per-account limit at and past its value, bad input, and the same history after a snapshot
// (which trims the journal) and kill -9; the audit stream of admin ops, read back newest
// first and after kill -9.
#define BOOST_TEST_MODULE history
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <chrono>
#include <ostream>
#include <thread>

#include "engine_process.hpp"
#include "requests.hpp"

using namespace settle;
using settle::testing::engine_process;
using protocol::error_code;
using protocol::op_kind;
using protocol::response;
using protocol::txn_kind;
namespace req = settle::testing::req;

namespace settle::protocol {
// Boost.Test prints the operands of a failed check.
inline std::ostream& boost_test_print_type(std::ostream& os, error_code e) {
  return os << to_string(e);
}
inline std::ostream& boost_test_print_type(std::ostream& os, op_kind o) {
  return os << to_string(o);
}
}  // namespace settle::protocol

namespace {

protocol::request history(std::string account, uint32_t limit = 0, uint64_t before_version = 0,
                          std::string partner = "") {
  protocol::request r;
  r.op = op_kind::history;
  r.account = std::move(account);
  r.limit = limit;
  r.before_version = before_version;
  r.partner = std::move(partner);
  return r;
}

protocol::request bet(std::string id, std::string partner, int64_t amount, std::string round,
                      std::string game) {
  auto r = req::txn(txn_kind::bet, std::move(id), "h1", amount, "EUR", std::move(partner));
  r.round = std::move(round);
  r.game = std::move(game);
  return r;
}

response must(client::connection& c, const protocol::request& r) {
  auto resp = c.call(r);
  BOOST_REQUIRE_MESSAGE(resp.ok(), std::string{protocol::to_string(r.op)} + ": " +
                                       std::string{protocol::to_string(resp.error)} + " " +
                                       resp.message);
  return resp;
}

/// h1: deposit 1000 (v1), acme bet 100 (v2), beta bet 50 (v3), acme win 300 (v4), rollback of
/// beta's bet (v5).
void play(client::connection& c) {
  must(c, req::open("h1", "EUR"));
  must(c, req::txn(txn_kind::deposit, "d1", "h1", 1000, "EUR", ""));
  must(c, bet("b1", "acme", 100, "r1", "slots-7"));
  must(c, bet("b2", "beta", 50, "r2", "poker"));
  auto win = req::txn(txn_kind::win, "w1", "h1", 300, "EUR", "acme");
  win.round = "r1";
  win.game = "slots-7";
  must(c, win);
  must(c, req::rollback("rb1", "b2", "h1", "EUR", "beta"));
}

void check_full(const response& h) {
  BOOST_CHECK_EQUAL(h.op, op_kind::history);
  BOOST_CHECK_EQUAL(h.account, "h1");
  BOOST_REQUIRE_EQUAL(h.changes.size(), 5u);
  const auto& rb = h.changes[0];
  BOOST_CHECK_EQUAL(rb.txn, "rb1");
  BOOST_CHECK(rb.kind == txn_kind::rollback);
  BOOST_CHECK_EQUAL(rb.amount, 50);
  BOOST_CHECK_EQUAL(rb.balance, 1200);
  BOOST_CHECK_EQUAL(rb.version, 5u);
  BOOST_CHECK_EQUAL(rb.ref, "b2");
  BOOST_CHECK_EQUAL(rb.partner, "beta");
  const auto& w = h.changes[1];
  BOOST_CHECK_EQUAL(w.txn, "w1");
  BOOST_CHECK_EQUAL(w.amount, 300);
  BOOST_CHECK_EQUAL(w.balance, 1150);
  BOOST_CHECK_EQUAL(w.round, "r1");
  BOOST_CHECK_EQUAL(w.game, "slots-7");
  const auto& b = h.changes[3];
  BOOST_CHECK_EQUAL(b.txn, "b1");
  BOOST_CHECK_EQUAL(b.amount, -100);
  BOOST_CHECK_EQUAL(b.balance, 900);
  BOOST_CHECK_EQUAL(b.partner, "acme");
  BOOST_CHECK_EQUAL(b.round, "r1");
  BOOST_CHECK_EQUAL(b.game, "slots-7");
  BOOST_CHECK_EQUAL(h.changes[2].game, "poker");
  const auto& d = h.changes[4];
  BOOST_CHECK(d.kind == txn_kind::deposit);
  BOOST_CHECK_EQUAL(d.version, 1u);
  BOOST_CHECK(d.partner.empty());
  for (const auto& c : h.changes)
    BOOST_CHECK_GT(c.at_unix_ms, 1'700'000'000'000);
}

}  // namespace

BOOST_AUTO_TEST_CASE(newest_first_with_round_and_game_and_the_same_after_snapshot_and_kill_9) {
  engine_process eng;
  auto c = eng.connect();
  play(*c);
  check_full(must(*c, history("h1")));
  // Paging: two at a time, each page before the oldest version of the last.
  auto p1 = must(*c, history("h1", 2));
  BOOST_REQUIRE_EQUAL(p1.changes.size(), 2u);
  BOOST_CHECK_EQUAL(p1.changes[1].version, 4u);
  auto p2 = must(*c, history("h1", 2, 4));
  BOOST_REQUIRE_EQUAL(p2.changes.size(), 2u);
  BOOST_CHECK_EQUAL(p2.changes[0].version, 3u);
  BOOST_CHECK_EQUAL(p2.changes[1].version, 2u);
  BOOST_CHECK_EQUAL(must(*c, history("h1", 2, 2)).changes.size(), 1u);
  // An admin may filter by partner.
  BOOST_CHECK_EQUAL(must(*c, history("h1", 0, 0, "beta")).changes.size(), 2u);
  // A snapshot trims the journal behind it; history is kept whatever the snapshots.
  protocol::request snap;
  snap.op = op_kind::snapshot;
  must(*c, snap);
  c.reset();
  eng.stop(SIGKILL);
  eng.start();
  auto again = eng.connect();
  check_full(must(*again, history("h1")));
  // Changes after the restart follow on.
  must(*again, req::txn(txn_kind::withdraw, "wd1", "h1", 150, "EUR", ""));
  auto after = must(*again, history("h1", 1));
  BOOST_REQUIRE_EQUAL(after.changes.size(), 1u);
  BOOST_CHECK_EQUAL(after.changes[0].version, 6u);
  BOOST_CHECK_EQUAL(after.changes[0].balance, 1050);
}

BOOST_AUTO_TEST_CASE(a_partner_sees_its_own_changes_a_viewer_reads_and_bad_input_is_refused) {
  engine_process eng;
  auto admin = eng.connect();
  play(*admin);
  auto acme = eng.connect(testing::acme_token);
  auto mine = must(*acme, history("h1"));
  BOOST_REQUIRE_EQUAL(mine.changes.size(), 2u);  // the bet and the win, not beta's or payments
  for (const auto& ch : mine.changes)
    BOOST_CHECK_EQUAL(ch.partner, "acme");
  BOOST_CHECK_EQUAL(acme->call(history("h1", 0, 0, "beta")).error, error_code::forbidden);
  BOOST_CHECK_EQUAL(acme->call(history("partner:acme:EUR")).error, error_code::forbidden);
  auto viewer = eng.connect(testing::viewer_token);
  BOOST_CHECK_EQUAL(must(*viewer, history("h1")).changes.size(), 5u);
  // limit: 1..1000.
  BOOST_CHECK_EQUAL(must(*admin, history("h1", 1000)).changes.size(), 5u);
  auto over = admin->call(history("h1", 1001));
  BOOST_CHECK_EQUAL(over.error, error_code::bad_request);
  BOOST_CHECK_NE(over.message.find("limit"), std::string::npos);
  BOOST_CHECK_EQUAL(admin->call(history("nobody")).error, error_code::unknown_account);
  BOOST_CHECK_EQUAL(admin->call(history("bad account!")).error, error_code::bad_request);
  // An account without changes has an empty history.
  must(*admin, req::open("h2", "EUR"));
  BOOST_CHECK(must(*admin, history("h2")).changes.empty());
}

BOOST_AUTO_TEST_CASE(history_max_bytes_at_its_least_and_the_same_after_kill_9) {
  // One 1 MiB block, the least: what fits is kept (past it, the oldest block goes: the
  // ledger tests fill blocks); 4 changes here.
  engine_process eng({"--history-max-bytes", "1048576"});
  auto c = eng.connect();
  must(*c, req::open("h1", "EUR"));
  for (int i = 0; i < 4; ++i)
    must(*c, req::txn(txn_kind::deposit, "d" + std::to_string(i), "h1", 10, "EUR", ""));
  auto h = must(*c, history("h1"));
  BOOST_REQUIRE_EQUAL(h.changes.size(), 4u);
  BOOST_CHECK_EQUAL(h.changes[0].version, 4u);
  c.reset();
  eng.stop(SIGKILL);
  eng.start();
  auto again = eng.connect();
  BOOST_CHECK_EQUAL(must(*again, history("h1")).changes.size(), 4u);
}

BOOST_AUTO_TEST_CASE(no_history_when_retention_is_zero) {
  engine_process eng({"--history-retention-s", "0"});
  auto c = eng.connect();
  must(*c, req::open("h1", "EUR"));
  must(*c, req::txn(txn_kind::deposit, "d1", "h1", 10, "EUR", ""));
  BOOST_CHECK(must(*c, history("h1")).changes.empty());
}

namespace {

protocol::request audit(uint32_t limit = 0, std::string before = "") {
  protocol::request r;
  r.op = op_kind::audit;
  r.limit = limit;
  r.before = std::move(before);
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(admin_ops_are_on_the_audit_stream_newest_first_and_after_kill_9) {
  engine_process eng;
  auto c = eng.connect();
  must(*c, req::open("a1", "EUR"));
  must(*c, req::block("a1"));
  must(*c, req::unblock("a1"));
  BOOST_CHECK_EQUAL(c->call(req::block("nobody")).error, error_code::unknown_account);
  auto viewer = eng.connect(testing::viewer_token);
  BOOST_CHECK_EQUAL(viewer->call(req::block("a1")).error, error_code::forbidden);
  BOOST_CHECK_EQUAL(viewer->call(audit()).error, error_code::forbidden);
  // Transactions and reads are not admin ops: not audited.
  must(*c, req::txn(txn_kind::deposit, "d1", "a1", 10, "EUR", ""));
  must(*c, req::balance("a1"));
  // The viewer's refusal is sent to the auditor without waiting: read until it is there.
  response all;
  for (int i = 0; i < 100; ++i) {
    all = must(*c, audit());
    if (all.entries.size() >= 4)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  BOOST_REQUIRE_EQUAL(all.entries.size(), 4u);
  const auto& refused = all.entries[0];
  BOOST_CHECK_EQUAL(refused.op, "block");
  BOOST_CHECK_EQUAL(refused.target, "a1");
  BOOST_CHECK_EQUAL(refused.result, "forbidden");
  BOOST_CHECK_EQUAL(refused.who.substr(0, 7), "viewer-");
  BOOST_CHECK_EQUAL(all.entries[1].result, "unknown_account");
  BOOST_CHECK_EQUAL(all.entries[1].target, "nobody");
  BOOST_CHECK_NE(all.entries[1].message, "");
  BOOST_CHECK_EQUAL(all.entries[2].op, "unblock");
  BOOST_CHECK_EQUAL(all.entries[2].result, "ok");
  BOOST_CHECK_EQUAL(all.entries[3].op, "block");
  BOOST_CHECK_EQUAL(all.entries[3].who.substr(0, 6), "admin-");
  BOOST_CHECK_EQUAL(all.entries[3].who, all.entries[2].who);
  for (const auto& e : all.entries) {
    BOOST_CHECK_GT(e.at_unix_ms, 1'700'000'000'000);
    BOOST_CHECK_EQUAL(e.who.find(testing::admin_token), std::string::npos);  // never the token
  }
  // Paging with before.
  auto page = must(*c, audit(2, all.entries[1].id));
  BOOST_REQUIRE_EQUAL(page.entries.size(), 2u);
  BOOST_CHECK(page.entries[0] == all.entries[2]);
  BOOST_CHECK(page.entries[1] == all.entries[3]);
  BOOST_CHECK_EQUAL(c->call(audit(1001)).error, error_code::bad_request);
  // A snapshot is an admin op; it trims the journal, never the audit stream; kill -9 keeps
  // everything acknowledged.
  protocol::request snap;
  snap.op = op_kind::snapshot;
  must(*c, snap);
  c.reset();
  viewer.reset();
  eng.stop(SIGKILL);
  eng.start();
  auto again = eng.connect();
  auto after = must(*again, audit());
  BOOST_REQUIRE_EQUAL(after.entries.size(), 5u);
  BOOST_CHECK_EQUAL(after.entries[0].op, "snapshot");
  BOOST_CHECK_EQUAL(after.entries[0].result, "ok");
  for (size_t i = 0; i < 4; ++i)
    BOOST_CHECK(after.entries[i + 1] == all.entries[i]);
}
