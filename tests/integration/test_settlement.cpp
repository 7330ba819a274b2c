// Partner settlement on a running engine (docs/settlement.md): contracts, closes and their
// statements, FX and suppliers, reconciliation, suspension, rate limits, supplier credit
// under load, live totals and consumed credit across kill -9, closes under concurrent load
// and kill -9, and an automatic close at a boundary reached with an injected clock
// (--clock-offset-ms).
#define BOOST_TEST_MODULE settlement
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "engine_process.hpp"
#include "ledger/statement.hpp"
#include "requests.hpp"
#include "settlement_requests.hpp"

using namespace settle;
using namespace settle::testing::settle_req;
using settle::testing::engine_process;
using protocol::error_code;
using protocol::op_kind;
using protocol::response;
using protocol::txn_kind;

namespace {

protocol::request txn(txn_kind kind, std::string id, std::string account, int64_t amount,
                      std::string currency, std::string partner) {
  return testing::req::txn(kind, std::move(id), std::move(account), amount, std::move(currency),
                           std::move(partner));
}

/// Opens `account` in `currency` with `funds`.
void funded(client::connection& c, const std::string& account, const std::string& currency,
            int64_t funds) {
  BOOST_REQUIRE(c.open(account, currency).ok());
  BOOST_REQUIRE(c.txn(txn(txn_kind::deposit, "dep-" + account, account, funds, currency, "")).ok());
}

response must(client::connection& c, const protocol::request& r) {
  auto resp = c.call(r);
  BOOST_REQUIRE_MESSAGE(resp.ok(), std::string{protocol::to_string(r.op)} + ": " +
                                       std::string{protocol::to_string(resp.error)} + " " +
                                       resp.message);
  BOOST_REQUIRE(resp.settlement != nullptr);
  return resp;
}

const protocol::statement_answer& stmt(const response& r) { return r.settlement->statement; }

}  // namespace

BOOST_AUTO_TEST_CASE(a_close_states_the_period_and_reconciles_it) {
  engine_process eng;
  auto c = eng.connect();
  BOOST_CHECK(c->call(op(op_kind::contract, "acme")).error == error_code::no_contract);
  BOOST_CHECK(c->call(op(op_kind::period_close, "acme")).error == error_code::no_contract);
  auto set = must(*c, contract_set("acme", "provider", "EUR", 2500));
  BOOST_CHECK_EQUAL(set.settlement->revision, 1u);
  funded(*c, "p1", "EUR", 100'000);
  BOOST_REQUIRE(c->txn(txn(txn_kind::bet, "b1", "p1", 1000, "EUR", "acme")).ok());
  BOOST_REQUIRE(c->txn(txn(txn_kind::bet, "b2", "p1", 500, "EUR", "acme")).ok());
  BOOST_REQUIRE(c->txn(txn(txn_kind::win, "w1", "p1", 300, "EUR", "acme")).ok());
  BOOST_REQUIRE(c->txn(testing::req::rollback("r1", "b2", "p1", "EUR", "acme")).ok());
  BOOST_REQUIRE(c->txn(txn(txn_kind::bet, "x1", "p1", 7, "EUR", "beta")).ok());  // no contract
  // A change waits for the next period.
  BOOST_CHECK_EQUAL(must(*c, contract_set("acme", "provider", "EUR", 5000)).settlement->revision,
                    2u);
  auto closed = must(*c, op(op_kind::period_close, "acme"));
  BOOST_CHECK_EQUAL(closed.settlement->period, 1u);
  BOOST_CHECK(closed.settlement->to_unix_ms >= closed.settlement->from_unix_ms);
  auto s1 = must(*c, statement("acme", 1));
  BOOST_CHECK_EQUAL(s1.settlement->revision, 1u);
  BOOST_CHECK_EQUAL(s1.settlement->currency, "EUR");
  BOOST_REQUIRE_EQUAL(stmt(s1).totals.size(), 1u);
  const auto& t = stmt(s1).totals[0];
  BOOST_CHECK_EQUAL(t.bets, 1500);
  BOOST_CHECK_EQUAL(t.wins, 300);
  BOOST_CHECK_EQUAL(t.rollbacks, 500);
  BOOST_CHECK_EQUAL(t.ggr, 700);
  BOOST_CHECK_EQUAL(t.fx_rate, "1");
  BOOST_CHECK_EQUAL(stmt(s1).share, 175);
  BOOST_CHECK_EQUAL(stmt(s1).net_payable, 175);
  BOOST_CHECK_EQUAL(stmt(s1).txn_count, 4u);
  BOOST_CHECK_EQUAL(stmt(s1).payable_to, "acme");
  std::vector<std::string> ids{"w1", "b1", "r1", "b2"};
  BOOST_CHECK_EQUAL(stmt(s1).checksum, ledger::statement_checksum(ids));
  // Period 2 runs under revision 2; an empty period still closes (all zeros).
  must(*c, op(op_kind::period_close, "acme"));
  auto s2 = must(*c, statement("acme", 2));
  BOOST_CHECK_EQUAL(s2.settlement->revision, 2u);
  BOOST_CHECK_EQUAL(s2.settlement->from_unix_ms, closed.settlement->to_unix_ms);
  BOOST_CHECK_EQUAL(stmt(s2).txn_count, 0u);
  BOOST_CHECK(c->call(statement("acme", 3)).error == error_code::unknown_period);
  auto list = must(*c, op(op_kind::statements, "acme"));
  BOOST_REQUIRE_EQUAL(list.settlement->statements.size(), 2u);
  BOOST_CHECK_EQUAL(list.settlement->statements[0].period, 2u);  // newest first
  BOOST_CHECK_EQUAL(list.settlement->statements[1].net_payable, 175);
  // Reconcile: one of each difference.
  using protocol::reconcile_row;
  auto rec = must(*c, reconcile("acme", 1,
                                {reconcile_row{"b1", txn_kind::bet, 1000, "EUR"},
                                 reconcile_row{"w1", txn_kind::win, 301, "EUR"},
                                 reconcile_row{"zz", txn_kind::bet, 5, "EUR"},
                                 reconcile_row{"r1", txn_kind::rollback, 500, "EUR"},
                                 reconcile_row{"r1", txn_kind::rollback, 500, "EUR"}}));
  const auto& ra = rec.settlement->reconcile;
  BOOST_CHECK_EQUAL(ra.matched, 2u);
  BOOST_CHECK(ra.mismatched == std::vector<std::string>{"w1"});
  BOOST_CHECK(ra.missing_in_engine == std::vector<std::string>{"zz"});
  BOOST_CHECK(ra.missing_in_report == std::vector<std::string>{"b2"});
  BOOST_CHECK(ra.duplicate_in_report == std::vector<std::string>{"r1"});
  BOOST_CHECK(c->call(reconcile("acme", 9, {})).error == error_code::unknown_period);
  // A partner reads its own statements.
  auto acme = eng.connect(testing::acme_token);
  BOOST_CHECK_EQUAL(stmt(must(*acme, statement("acme", 1))).share, 175);
}

BOOST_AUTO_TEST_CASE(fx_conversion_and_a_supplier_with_its_providers) {
  engine_process eng;
  auto c = eng.connect();
  must(*c, contract_set("sup", "supplier", "KRW", 1000));
  must(*c, contract_set("prov", "provider", "KRW", 3000, "sup"));
  funded(*c, "u1", "USD", 100'000);
  funded(*c, "k1", "KRW", 10'000'000);
  BOOST_REQUIRE(c->txn(txn(txn_kind::bet, "pu1", "u1", 1001, "USD", "prov")).ok());  // $10.01
  BOOST_REQUIRE(c->txn(txn(txn_kind::bet, "pk1", "k1", 20'000, "KRW", "prov")).ok());
  BOOST_REQUIRE(c->txn(txn(txn_kind::bet, "sk1", "k1", 5'000, "KRW", "sup")).ok());
  // Without a USD rate the provider's close is refused and its period stays open.
  BOOST_CHECK(c->call(op(op_kind::period_close, "prov")).error == error_code::fx_missing);
  BOOST_CHECK(c->call(op(op_kind::period_close, "sup")).error == error_code::fx_missing);
  must(*c, fx_set("KRW", "USD", "0.0008"));  // only the inverse direction: 1 USD = 1250 KRW
  auto fx = must(*c, op(op_kind::fx, {}, [] {
    protocol::settlement_request s;
    s.base = "USD";
    s.quote = "KRW";
    return s;
  }()));
  BOOST_CHECK_EQUAL(fx.settlement->fx.rate, "1250");
  must(*c, fx_set("USD", "KRW", "1382.50"));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a close uses rates set before it
  auto sup_close = must(*c, op(op_kind::period_close, "sup"));
  auto sup = must(*c, statement("sup", sup_close.settlement->period));
  // prov: 10.01 USD * 1382.5 = 13838.825 -> 13839 KRW, plus 20000 KRW; sup's own 5000.
  BOOST_REQUIRE_EQUAL(stmt(sup).lines.size(), 2u);
  BOOST_CHECK_EQUAL(stmt(sup).lines[0].partner, "prov");
  BOOST_CHECK_EQUAL(stmt(sup).lines[0].ggr_settlement, 33'839);
  BOOST_CHECK_EQUAL(stmt(sup).lines[1].partner, "sup");
  BOOST_CHECK_EQUAL(stmt(sup).lines[1].ggr_settlement, 5'000);
  BOOST_CHECK_EQUAL(stmt(sup).ggr_settlement, 38'839);
  BOOST_CHECK_EQUAL(stmt(sup).share, 3'884);  // 3883.9
  must(*c, op(op_kind::period_close, "prov"));
  auto prov = must(*c, statement("prov", 1));
  BOOST_CHECK_EQUAL(stmt(prov).payable_to, "sup");
  BOOST_CHECK_EQUAL(stmt(prov).net_payable, 0);
  BOOST_REQUIRE_EQUAL(stmt(prov).totals.size(), 2u);
  BOOST_CHECK_EQUAL(stmt(prov).ggr_settlement, 33'839);
}

BOOST_AUTO_TEST_CASE(a_suspended_or_rate_limited_partner_beside_an_unaffected_one) {
  engine_process eng;
  auto c = eng.connect();
  must(*c, contract_set("beta", "provider", "EUR", 1000, {}, 50));
  funded(*c, "s1", "EUR", 10'000'000);
  BOOST_REQUIRE(c->txn(txn(txn_kind::bet, "a0", "s1", 10, "EUR", "acme")).ok());
  BOOST_CHECK(must(*c, op(op_kind::suspend, "acme")).settlement->suspended);
  auto refused = c->txn(txn(txn_kind::bet, "a1", "s1", 10, "EUR", "acme"));
  BOOST_CHECK(refused.error == error_code::partner_suspended);
  BOOST_CHECK(!protocol::is_retryable(refused.error));
  BOOST_CHECK(c->txn(txn(txn_kind::win, "a2", "s1", 10, "EUR", "acme")).ok());  // player money
  BOOST_CHECK(c->txn(testing::req::rollback("a3", "a0", "s1", "EUR", "acme")).ok());
  // beta: at most 50 a second, pipelined; acme's traffic meanwhile is untouched.
  must(*c, op(op_kind::resume, "acme"));
  const int n = 200;
  std::set<uint64_t> beta_rids;
  for (int i = 0; i < n; ++i) {
    beta_rids.insert(c->send(txn(txn_kind::bet, "rb" + std::to_string(i), "s1", 1, "EUR", "beta")));
    c->send(txn(txn_kind::bet, "ra" + std::to_string(i), "s1", 1, "EUR", "acme"));
  }
  c->flush();
  int beta_ok = 0, beta_limited = 0, acme_ok = 0;
  for (int i = 0; i < 2 * n; ++i) {
    auto r = c->receive(10'000);
    BOOST_REQUIRE(r);
    if (!beta_rids.contains(r->rid)) {
      acme_ok += r->ok();
      continue;
    }
    beta_ok += r->ok();
    beta_limited += r->error == error_code::rate_limited;
  }
  BOOST_CHECK_EQUAL(acme_ok, n);
  BOOST_CHECK_EQUAL(beta_ok + beta_limited, n);
  BOOST_CHECK_GE(beta_ok, 50);    // the burst may straddle one second boundary:
  BOOST_CHECK_LE(beta_ok, 100);   // at most two seconds' worth
  BOOST_CHECK(protocol::is_retryable(error_code::rate_limited));
}

BOOST_AUTO_TEST_CASE(a_supplier_runs_out_of_credit_under_load) {
  engine_process eng{{"--settlement-tick-ms", "50", "--partner-flush-interval-us", "200"}};
  auto c = eng.connect();
  must(*c, contract_set("sup", "supplier", "EUR", 10'000, {}, std::nullopt, 600));
  must(*c, contract_set("prov", "provider", "EUR", 0, "sup"));
  auto watcher = eng.connect();
  BOOST_REQUIRE(watcher->subscribe({}, {"sup"}).ok());
  BOOST_CHECK_EQUAL(must(*c, topup("sup", 1000, "EUR", "t1")).settlement->credit_remaining, 1000);
  BOOST_CHECK_EQUAL(must(*c, topup("sup", 1000, "EUR", "t1")).settlement->credit_remaining, 1000);
  BOOST_CHECK(c->call(topup("sup", 5, "EUR", "t1")).error == error_code::id_conflict);
  for (int a = 0; a < 8; ++a)
    funded(*c, "cr" + std::to_string(a), "EUR", 1'000'000);
  // Bets of 10 through the provider until the supplier's credit (1000, its whole GGR at
  // 100%) is gone: then new bets are refused, wins still apply.
  int applied = 0, exhausted = 0;
  for (int round = 0; round < 200 && exhausted == 0; ++round) {
    for (int a = 0; a < 8; ++a)
      c->send(txn(txn_kind::bet, "cb" + std::to_string(round) + "-" + std::to_string(a),
                  "cr" + std::to_string(a), 10, "EUR", "prov"));
    c->flush();
    for (int a = 0; a < 8; ++a) {
      auto r = c->receive(10'000);
      BOOST_REQUIRE(r);
      applied += r->ok();
      exhausted += r->error == error_code::credit_exhausted;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  BOOST_CHECK_GT(exhausted, 0);
  BOOST_CHECK_GE(applied * 10, 1000);  // refused only once the credit is consumed
  BOOST_CHECK(c->txn(txn(txn_kind::win, "cw", "cr0", 10, "EUR", "prov")).ok());
  BOOST_CHECK(c->txn(txn(txn_kind::bet, "cs", "cr0", 10, "EUR", "sup")).error ==
              error_code::credit_exhausted);
  auto contract = must(*c, op(op_kind::contract, "sup"));
  BOOST_CHECK(contract.settlement->has_credit_remaining);
  BOOST_CHECK_LE(contract.settlement->credit_remaining, 0);
  // The alert went out on the streams when the credit fell below 600.
  bool alerted = false;
  for (int i = 0; i < 1000 && !alerted; ++i) {
    auto e = watcher->next_event(2000);
    if (!e)
      break;
    alerted = e->kind == protocol::event_kind::alert && e->partner == "sup";
  }
  BOOST_CHECK(alerted);
  // A top-up lets bets in again.
  must(*c, topup("sup", 100'000, "EUR", "t2"));
  bool open_again = false;
  for (int i = 0; i < 100 && !open_again; ++i) {
    open_again = c->txn(txn(txn_kind::bet, "ca" + std::to_string(i), "cr1", 10, "EUR", "prov")).ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  BOOST_CHECK(open_again);
}

BOOST_AUTO_TEST_CASE(live_totals_and_consumed_credit_are_shown_and_survive_kill_9) {
  engine_process eng;
  auto c = eng.connect();
  must(*c, contract_set("sup", "supplier", "EUR", 5000));
  must(*c, contract_set("prov", "provider", "EUR", 0, "sup"));
  must(*c, topup("sup", 100'000, "EUR", "t1"));
  funded(*c, "lv", "EUR", 1'000'000);
  for (int i = 0; i < 10; ++i)
    BOOST_REQUIRE(c->txn(txn(txn_kind::bet, "lb" + std::to_string(i), "lv", 100, "EUR", "prov")).ok());
  BOOST_REQUIRE(c->txn(txn(txn_kind::win, "lw", "lv", 150, "EUR", "prov")).ok());
  // Live within a delta flush: bets 1000, wins 150, GGR 850; the supplier's half of it, 425,
  // is consumed from its credit.
  const protocol::currency_totals want{"EUR", 1000, 150, 0, 10, 1, 0, 850};
  response prov;
  for (int i = 0; i < 200; ++i) {
    prov = must(*c, op(op_kind::contract, "prov"));
    if (prov.settlement->live.size() == 1 && prov.settlement->live[0] == want)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  BOOST_REQUIRE_EQUAL(prov.settlement->live.size(), 1u);
  BOOST_CHECK(prov.settlement->live[0] == want);
  BOOST_CHECK_EQUAL(prov.settlement->period, 1u);
  BOOST_CHECK_GT(prov.settlement->from_unix_ms, 0);
  BOOST_CHECK(!prov.settlement->suspended);
  // What a close now would make of it: GGR 850 in EUR, share_bps 0 of it.
  BOOST_CHECK(prov.settlement->has_live_share);
  BOOST_CHECK_EQUAL(prov.settlement->live_ggr_settlement, 850);
  BOOST_CHECK_EQUAL(prov.settlement->live_share, 0);
  BOOST_CHECK_EQUAL(must(*c, op(op_kind::contract, "sup")).settlement->credit_remaining, 99'575);
  must(*c, op(op_kind::suspend, "prov"));
  // kill -9: the open period's totals and the credit it consumed come back from the journal.
  c.reset();
  eng.stop(SIGKILL);
  eng.start();
  auto again = eng.connect();
  auto after = must(*again, op(op_kind::contract, "prov"));
  BOOST_REQUIRE_EQUAL(after.settlement->live.size(), 1u);
  BOOST_CHECK(after.settlement->live[0] == want);
  BOOST_CHECK_EQUAL(after.settlement->from_unix_ms, prov.settlement->from_unix_ms);
  BOOST_CHECK(after.settlement->suspended);
  BOOST_CHECK_EQUAL(must(*again, op(op_kind::contract, "sup")).settlement->credit_remaining,
                    99'575);
  // A close empties the live view; the statement holds what it showed.
  must(*again, op(op_kind::period_close, "prov"));
  auto closed = must(*again, op(op_kind::contract, "prov"));
  BOOST_CHECK(closed.settlement->live.empty());
  BOOST_CHECK_EQUAL(closed.settlement->period, 2u);
  BOOST_CHECK_EQUAL(stmt(must(*again, statement("prov", 1))).txn_count, 11u);
}

BOOST_AUTO_TEST_CASE(closes_under_load_count_everything_once_and_survive_kill_9) {
  engine_process eng{{"--shards", "2"}};
  {
    auto c = eng.connect();
    must(*c, contract_set("acme", "provider", "EUR", 1500));
    for (int a = 0; a < 16; ++a)
      funded(*c, "ld" + std::to_string(a), "EUR", 100'000'000);
  }
  std::atomic<bool> stop{false};
  std::atomic<int64_t> bets_applied{0};
  std::thread load([&] {
    auto c = eng.connect();
    for (int round = 0; !stop; ++round) {
      for (int a = 0; a < 16; ++a)
        c->send(txn(txn_kind::bet, "L" + std::to_string(round) + "-" + std::to_string(a),
                    "ld" + std::to_string(a), 1 + a, "EUR", "acme"));
      c->flush();
      for (int a = 0; a < 16; ++a) {
        auto r = c->receive(10'000);
        if (r && r->ok())
          bets_applied += 1 + a;
      }
    }
  });
  auto admin = eng.connect();
  for (int k = 0; k < 5; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    must(*admin, op(op_kind::period_close, "acme"));
  }
  stop = true;
  load.join();
  must(*admin, op(op_kind::period_close, "acme"));
  int64_t stated_bets = 0;
  std::vector<response> before;
  for (uint64_t p = 1; p <= 6; ++p) {
    before.push_back(must(*admin, statement("acme", p)));
    for (const auto& t : stmt(before.back()).totals)
      stated_bets += t.bets;
  }
  BOOST_CHECK_GT(bets_applied.load(), 0);
  BOOST_CHECK_EQUAL(stated_bets, bets_applied.load());
  // kill -9 and restart: the same statements, and the next period goes on from there.
  admin.reset();
  eng.stop(SIGKILL);
  eng.start();
  auto again = eng.connect();
  for (uint64_t p = 1; p <= 6; ++p) {
    auto after = must(*again, statement("acme", p));
    BOOST_CHECK(*after.settlement == *before[p - 1].settlement);
  }
  auto next = must(*again, op(op_kind::period_close, "acme"));
  BOOST_CHECK_EQUAL(next.settlement->period, 7u);
}

BOOST_AUTO_TEST_CASE(a_period_closes_by_itself_at_its_boundary) {
  // The engine's clock is set 2 s before the next UTC midnight.
  using namespace std::chrono;
  const int64_t now_ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const int64_t day_ms = 86'400'000;
  const int64_t midnight = (now_ms / day_ms + 1) * day_ms;
  const int64_t offset = midnight - 2000 - now_ms;
  // Also from the TOML file: [[partners]].
  const std::string conf = "/tmp/settle-partners-" + std::to_string(::getpid()) + ".toml";
  std::ofstream{conf} << "[[partners]]\npartner = \"acme\"\nkind = \"provider\"\n"
                         "currency = \"EUR\"\ncycle = \"daily\"\nshare_bps = 1000\n";
  engine_process eng{{"--config", conf, "--clock-offset-ms", std::to_string(offset),
                      "--settlement-tick-ms", "50"}};
  auto c = eng.connect();
  BOOST_CHECK_EQUAL(must(*c, op(op_kind::contract, "acme")).settlement->revision, 1u);
  funded(*c, "m1", "EUR", 100'000);
  BOOST_REQUIRE(c->txn(txn(txn_kind::bet, "before", "m1", 100, "EUR", "acme")).ok());
  response list;
  for (int i = 0; i < 100; ++i) {
    list = must(*c, op(op_kind::statements, "acme"));
    if (!list.settlement->statements.empty())
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  BOOST_REQUIRE_EQUAL(list.settlement->statements.size(), 1u);
  BOOST_CHECK_EQUAL(list.settlement->statements[0].to_unix_ms, midnight);
  BOOST_REQUIRE(c->txn(txn(txn_kind::bet, "after", "m1", 100, "EUR", "acme")).ok());
  auto s1 = must(*c, statement("acme", 1));
  BOOST_CHECK_EQUAL(stmt(s1).txn_count, 1u);
  // The same terms on restart: no new revision.
  eng.stop(SIGTERM);
  eng.start();
  auto again = eng.connect();
  BOOST_CHECK_EQUAL(must(*again, op(op_kind::contract, "acme")).settlement->revision, 1u);
  std::remove(conf.c_str());
}
