// settled as a process, driven over real TCP connections on 127.0.0.1.
#define BOOST_TEST_MODULE integration
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "engine_process.hpp"
#include "requests.hpp"

using namespace settle;
using settle::testing::engine_process;
using protocol::error_code;
using protocol::op_kind;
using protocol::request;
using protocol::response;
using protocol::txn_kind;
using protocol::txn_status;

namespace {

// EUR unless said otherwise: most tests here need one currency.
request txn(txn_kind kind, std::string id, std::string account, int64_t amount,
            std::string currency = "EUR", std::string partner = "") {
  return testing::req::txn(kind, std::move(id), std::move(account), amount, std::move(currency),
                           std::move(partner));
}

request rollback(std::string id, std::string ref, std::string account, std::string partner) {
  return testing::req::rollback(std::move(id), std::move(ref), std::move(account), "EUR",
                                std::move(partner));
}

/// A frame holding raw msgpack bytes.
std::string frame_of(const std::string& body) {
  std::string f(4, '\0');
  uint32_t n = static_cast<uint32_t>(body.size());
  f[0] = static_cast<char>(n >> 24);
  f[1] = static_cast<char>(n >> 16);
  f[2] = static_cast<char>(n >> 8);
  f[3] = static_cast<char>(n);
  return f + body;
}

/// Reads responses until the server closes; returns them.
std::vector<response> drain_until_closed(client::connection& c) {
  std::vector<response> out;
  try {
    for (int i = 0; i < 100; ++i) {
      auto r = c.receive(5000);
      if (!r)
        break;
      out.push_back(*r);
    }
  } catch (const client::client_error&) {
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(many_connections_keep_the_ledger_zero_sum) {
  engine_process eng;
  auto admin = eng.connect();
  const int players = 40;
  const char* currencies[] = {"EUR", "USD"};
  const char* partners[] = {"acme", "beta"};
  for (int i = 0; i < players; ++i) {
    auto id = "pl" + std::to_string(i);
    BOOST_REQUIRE(admin->open(id, currencies[i % 2]).ok());
    BOOST_REQUIRE(admin->txn(txn(txn_kind::deposit, "fund" + id, id, 100'000, currencies[i % 2])).ok());
  }
  const int threads = 16, per_thread = 300;
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      auto c = eng.connect();
      uint32_t seed = 12345u + static_cast<uint32_t>(t);
      for (int i = 0; i < per_thread; ++i) {
        seed = seed * 1103515245u + 12345u;
        int p = static_cast<int>((seed >> 8) % players);
        auto acc = "pl" + std::to_string(p);
        auto cur = currencies[p % 2];
        auto partner = partners[(seed >> 4) % 2];
        auto id = "t" + std::to_string(t) + "-" + std::to_string(i);
        request r;
        switch ((seed >> 16) % 5) {
          case 0: case 1: r = txn(txn_kind::bet, id, acc, 1 + (seed >> 20) % 500, cur, partner); break;
          case 2: r = txn(txn_kind::win, id, acc, 1 + (seed >> 20) % 400, cur, partner); break;
          case 3: r = txn(txn_kind::deposit, id, acc, 1 + (seed >> 20) % 100, cur); break;
          default: r = txn(txn_kind::withdraw, id, acc, 1 + (seed >> 20) % 100, cur); break;
        }
        // Pipelined: several requests in flight on each connection.
        c->send(r);
        if (i % 8 == 7 || i + 1 == per_thread) {
          c->flush();
          for (int k = 0; k <= i % 8; ++k) {
            auto resp = c->receive(10'000);
            if (!resp || (!resp->ok() && resp->error != error_code::insufficient_funds))
              ++failures;
          }
        }
      }
    });
  for (auto& th : pool)
    th.join();
  BOOST_CHECK_EQUAL(failures.load(), 0);
  for (auto* cur : currencies) {
    int64_t sum = 0;
    for (int i = 0; i < players; ++i)
      if (currencies[i % 2] == cur)
        sum += admin->balance("pl" + std::to_string(i)).balance;
    auto house = admin->balance(std::string{"house:"} + cur);
    BOOST_REQUIRE(house.ok());
    sum += house.balance;
    auto totals = admin->partner("acme");
    for (auto* partner : partners) {
      auto b = admin->balance(std::string{"partner:"} + partner + ":" + cur);
      BOOST_REQUIRE(b.ok());
      sum += b.balance;
      auto p = admin->partner(partner);
      BOOST_REQUIRE(p.ok());
      for (auto& t : p.totals)
        if (t.currency == cur) {
          BOOST_CHECK_EQUAL(t.ggr, b.balance);
          BOOST_CHECK_EQUAL(t.ggr, t.bets - t.wins - t.rollbacks);
        }
    }
    BOOST_CHECK_MESSAGE(sum == 0, "currency " << cur << " sums to " << sum);
  }
}

BOOST_AUTO_TEST_CASE(racing_retries_apply_once) {
  engine_process eng;
  auto admin = eng.connect();
  BOOST_REQUIRE(admin->open("racer", "EUR").ok());
  BOOST_REQUIRE(admin->txn(txn(txn_kind::deposit, "d", "racer", 10'000)).ok());
  for (int round = 0; round < 20; ++round) {
    auto id = "race-" + std::to_string(round);
    std::vector<response> answers(8);
    std::vector<std::thread> pool;
    std::atomic<int> ready{0};
    for (int t = 0; t < 8; ++t)
      pool.emplace_back([&, t] {
        auto c = eng.connect(testing::acme_token);
        ++ready;
        while (ready.load() < 8) {
        }
        answers[t] = c->txn(txn(txn_kind::bet, id, "racer", 10, "EUR", "acme"));
      });
    for (auto& th : pool)
      th.join();
    int applied = 0;
    for (auto& a : answers) {
      BOOST_REQUIRE_MESSAGE(a.ok(), a.message);
      applied += a.outcome == txn_status::applied;
      BOOST_CHECK_EQUAL(a.balance, answers[0].balance);
      BOOST_CHECK_EQUAL(a.version, answers[0].version);
    }
    BOOST_CHECK_EQUAL(applied, 1);
  }
  BOOST_CHECK_EQUAL(admin->balance("racer").balance, 10'000 - 20 * 10);
  auto conflict = admin->txn(txn(txn_kind::bet, "race-0", "racer", 11, "EUR", "acme"));
  BOOST_CHECK(conflict.error == error_code::id_conflict);
  BOOST_CHECK(conflict.has_balance);
  BOOST_CHECK_EQUAL(admin->balance("racer").balance, 10'000 - 20 * 10);
}

BOOST_AUTO_TEST_CASE(rollback_before_bet_and_mismatches) {
  engine_process eng;
  auto c = eng.connect();
  BOOST_REQUIRE(c->open("rb", "EUR").ok());
  BOOST_REQUIRE(c->open("other", "EUR").ok());
  BOOST_REQUIRE(c->txn(txn(txn_kind::deposit, "d", "rb", 1000)).ok());
  auto early = c->txn(rollback("r1", "bet-late", "rb", "acme"));
  BOOST_REQUIRE(early.ok());
  BOOST_CHECK(early.outcome == txn_status::noop);
  auto late = c->txn(txn(txn_kind::bet, "bet-late", "rb", 100, "EUR", "acme"));
  BOOST_CHECK(late.error == error_code::rolled_back);
  BOOST_CHECK(late.has_balance);
  BOOST_CHECK_EQUAL(late.balance, 1000);
  BOOST_CHECK(!protocol::is_retryable(late.error));
  BOOST_CHECK(c->txn(rollback("r2", "bet-late", "rb", "acme")).outcome == txn_status::duplicate);

  BOOST_REQUIRE(c->txn(txn(txn_kind::bet, "b1", "rb", 200, "EUR", "acme")).ok());
  BOOST_CHECK(c->txn(rollback("r3", "b1", "other", "acme")).error == error_code::ref_mismatch);
  auto wrong_amount = rollback("r4", "b1", "rb", "acme");
  wrong_amount.amount = 201;
  wrong_amount.has_amount = true;
  BOOST_CHECK(c->txn(wrong_amount).error == error_code::ref_mismatch);
  auto refund = c->txn(rollback("r5", "b1", "rb", "acme"));
  BOOST_CHECK(refund.outcome == txn_status::applied);
  BOOST_CHECK_EQUAL(refund.balance, 1000);
  BOOST_CHECK(c->txn(rollback("r5", "b1", "rb", "acme")).outcome == txn_status::duplicate);
  BOOST_CHECK(c->txn(rollback("r6", "b1", "rb", "acme")).outcome == txn_status::duplicate);
  BOOST_CHECK_EQUAL(c->balance("rb").balance, 1000);
}

BOOST_AUTO_TEST_CASE(blocked_accounts) {
  engine_process eng;
  auto admin = eng.connect();
  BOOST_REQUIRE(admin->open("blk", "EUR").ok());
  BOOST_REQUIRE(admin->txn(txn(txn_kind::deposit, "d", "blk", 1000)).ok());
  auto partner = eng.connect(testing::acme_token);
  BOOST_CHECK(partner->block("blk").error == error_code::forbidden);
  auto b = admin->block("blk");
  BOOST_REQUIRE(b.ok());
  BOOST_CHECK(b.status == protocol::account_status::blocked);
  BOOST_CHECK(partner->txn(txn(txn_kind::bet, "b1", "blk", 10, "EUR", "acme")).error ==
              error_code::account_blocked);
  BOOST_CHECK(admin->txn(txn(txn_kind::deposit, "d2", "blk", 10)).error ==
              error_code::account_blocked);
  BOOST_CHECK(partner->txn(txn(txn_kind::win, "w1", "blk", 10, "EUR", "acme")).ok());
  BOOST_CHECK(admin->txn(txn(txn_kind::withdraw, "wd1", "blk", 10)).ok());
  BOOST_CHECK(admin->balance("blk").status == protocol::account_status::blocked);
  BOOST_REQUIRE(admin->unblock("blk").ok());
  BOOST_CHECK(partner->txn(txn(txn_kind::bet, "b1", "blk", 10, "EUR", "acme")).ok());
}

BOOST_AUTO_TEST_CASE(authentication_and_roles) {
  engine_process eng;
  auto anon = eng.connect("");
  BOOST_CHECK(anon->balance("x").error == error_code::unauthenticated);
  BOOST_CHECK(anon->hello("wrong").error == error_code::unauthenticated);
  BOOST_CHECK(anon->open("x", "EUR").error == error_code::unauthenticated);
  auto hello = anon->hello(testing::acme_token);
  BOOST_REQUIRE(hello.ok());
  BOOST_CHECK(hello.granted_role == protocol::role::partner);
  BOOST_CHECK_EQUAL(hello.partner, "acme");
  BOOST_CHECK_EQUAL(hello.protocol_version, 1u);

  auto admin = eng.connect();
  BOOST_REQUIRE(admin->open("roles", "EUR").ok());
  BOOST_REQUIRE(admin->txn(txn(txn_kind::deposit, "d", "roles", 1000)).ok());
  auto& acme = anon;
  BOOST_CHECK(acme->txn(txn(txn_kind::bet, "b1", "roles", 10, "EUR", "acme")).ok());
  BOOST_CHECK(acme->txn(txn(txn_kind::bet, "b2", "roles", 10, "EUR", "beta")).error ==
              error_code::forbidden);
  BOOST_CHECK(acme->txn(txn(txn_kind::deposit, "d9", "roles", 10)).error == error_code::forbidden);
  BOOST_CHECK(acme->partner("beta").error == error_code::forbidden);
  BOOST_CHECK(acme->partner("acme").ok());
  BOOST_CHECK(acme->balance("partner:beta:EUR").error == error_code::forbidden);
  BOOST_CHECK(acme->balance("roles").ok());

  auto viewer = eng.connect(testing::viewer_token);
  BOOST_CHECK(viewer->balance("roles").ok());
  BOOST_CHECK(viewer->partner("acme").ok());
  BOOST_CHECK(viewer->txn(txn(txn_kind::bet, "b3", "roles", 10, "EUR", "acme")).error ==
              error_code::forbidden);
  BOOST_CHECK(viewer->open("v", "EUR").error == error_code::forbidden);
  BOOST_CHECK(viewer->block("roles").error == error_code::forbidden);
}

BOOST_AUTO_TEST_CASE(settlement_ops_are_refused_by_role) {
  engine_process eng;
  auto admin = eng.connect();
  auto acme = eng.connect(testing::acme_token);
  auto viewer = eng.connect(testing::viewer_token);
  protocol::request contract;
  contract.op = protocol::op_kind::contract;
  contract.partner = "acme";
  // The role rules first: a partner reads only its own contract, a viewer none.
  auto other = contract;
  other.partner = "beta";
  BOOST_CHECK(acme->call(other).error == error_code::forbidden);
  BOOST_CHECK(viewer->call(contract).error == error_code::forbidden);
  // Then the engine's answer (tests/integration/test_settlement.cpp has the rest).
  for (auto* c : {admin.get(), acme.get()})
    BOOST_CHECK(c->call(contract).error == error_code::no_contract);
  BOOST_CHECK(admin->balance("nobody").error == error_code::unknown_account);  // still serving
}

BOOST_AUTO_TEST_CASE(ledger_rules_over_tcp) {
  engine_process eng{{"--max-amount", "1000000"}};
  auto c = eng.connect();
  BOOST_REQUIRE(c->open("lr", "EUR").ok());
  BOOST_CHECK(c->open("lr", "USD").error == error_code::account_exists);
  BOOST_CHECK(!c->open("house:EUR", "EUR").ok());
  BOOST_CHECK(!c->open("partner:acme:EUR", "EUR").ok());
  BOOST_REQUIRE(c->txn(txn(txn_kind::deposit, "d", "lr", 500)).ok());
  auto poor = c->txn(txn(txn_kind::bet, "b1", "lr", 501, "EUR", "acme"));
  BOOST_CHECK(poor.error == error_code::insufficient_funds);
  BOOST_CHECK(poor.has_balance);
  BOOST_CHECK_EQUAL(poor.balance, 500);
  BOOST_CHECK(c->txn(txn(txn_kind::bet, "b2", "lr", 0, "EUR", "acme")).error == error_code::invalid_amount);
  BOOST_CHECK(c->txn(txn(txn_kind::bet, "b3", "lr", -1, "EUR", "acme")).error == error_code::invalid_amount);
  BOOST_CHECK(c->txn(txn(txn_kind::deposit, "b4", "lr", 1'000'001)).error == error_code::invalid_amount);
  BOOST_CHECK(c->txn(txn(txn_kind::bet, "b5", "lr", 1, "USD", "acme")).error == error_code::currency_mismatch);
  BOOST_CHECK(c->txn(txn(txn_kind::bet, "b6", "ghost", 1, "EUR", "acme")).error == error_code::unknown_account);
  BOOST_CHECK(c->balance("ghost").error == error_code::unknown_account);
  BOOST_CHECK(c->partner("nobody").error == error_code::unknown_partner);
  // A missing field is a bad_request naming the field.
  auto no_partner = txn(txn_kind::bet, "b7", "lr", 1, "EUR", "");
  auto r = c->txn(no_partner);
  BOOST_CHECK(r.error == error_code::bad_request);
  BOOST_CHECK(r.message.find("partner") != std::string::npos);
  // Transfers.
  BOOST_REQUIRE(c->open("lr2", "EUR").ok());
  auto t = txn(txn_kind::transfer, "t1", "lr", 100);
  t.to = "lr2";
  auto tr = c->txn(t);
  BOOST_CHECK(tr.ok());
  BOOST_CHECK_EQUAL(tr.balance, 400);
  BOOST_CHECK_EQUAL(c->balance("lr2").balance, 100);
}

BOOST_AUTO_TEST_CASE(malformed_frames_close_only_their_connection) {
  engine_process eng{{"--max-frame-bytes", "4096"}};
  auto good = eng.connect();
  BOOST_REQUIRE(good->open("mf", "EUR").ok());

  auto garbage = eng.connect();
  garbage->send_raw(frame_of("\xc1\xc1\xc1 not msgpack"));
  auto answers = drain_until_closed(*garbage);
  BOOST_REQUIRE_EQUAL(answers.size(), 1u);
  BOOST_CHECK(answers[0].error == error_code::bad_request);
  BOOST_CHECK(garbage->closed());

  auto big = eng.connect();
  big->send_raw(frame_of(std::string(5000, 'x')));
  answers = drain_until_closed(*big);
  BOOST_REQUIRE_EQUAL(answers.size(), 1u);
  BOOST_CHECK(answers[0].error == error_code::bad_request);
  BOOST_CHECK(answers[0].message.find("max_frame_bytes") != std::string::npos);

  auto empty = eng.connect();
  empty->send_raw(std::string(4, '\0'));
  answers = drain_until_closed(*empty);
  BOOST_REQUIRE_EQUAL(answers.size(), 1u);

  // A valid map with a bad field is answered and the connection stays open.
  auto typo = eng.connect();
  typo->send_raw(frame_of("\x82\xa2op\xa7" "balance\xa3rid\x05"));  // no account
  auto r = typo->receive(5000);
  BOOST_REQUIRE(r);
  BOOST_CHECK(r->error == error_code::bad_request);
  BOOST_CHECK_EQUAL(r->rid, 5u);
  BOOST_CHECK(typo->balance("mf").ok());

  BOOST_CHECK(good->balance("mf").ok());
  BOOST_CHECK(eng.alive());
}

BOOST_AUTO_TEST_CASE(in_flight_limit_answers_overloaded) {
  engine_process eng{{"--max-in-flight", "4"}};
  auto c = eng.connect();
  BOOST_REQUIRE(c->open("fl", "EUR").ok());
  std::map<uint64_t, bool> rids;
  for (int i = 0; i < 50; ++i) {
    request r;
    r.op = op_kind::balance;
    r.account = "fl";
    rids[c->send(r)] = false;
  }
  c->flush();
  int overloaded = 0, ok = 0;
  for (int i = 0; i < 50; ++i) {
    auto r = c->receive(10'000);
    BOOST_REQUIRE(r);
    BOOST_REQUIRE(rids.count(r->rid));
    BOOST_CHECK(!rids[r->rid]);
    rids[r->rid] = true;
    if (r->ok())
      ++ok;
    else {
      BOOST_CHECK(r->error == error_code::overloaded);
      BOOST_CHECK(protocol::is_retryable(r->error));
      ++overloaded;
    }
  }
  BOOST_CHECK_GT(overloaded, 0);
  BOOST_CHECK_GE(ok, 4);
}

BOOST_AUTO_TEST_CASE(connection_limit_is_explicit) {
  engine_process eng{{"--max-connections", "2"}};
  auto a = eng.connect();
  auto b = eng.connect();
  auto c = eng.connect("");
  auto answers = drain_until_closed(*c);
  BOOST_REQUIRE_EQUAL(answers.size(), 1u);
  BOOST_CHECK(answers[0].error == error_code::overloaded);
  BOOST_CHECK(a->balance("nobody").error == error_code::unknown_account);
  a.reset();
  // The slot frees once the first connection is gone.
  bool reconnected = false;
  for (int i = 0; i < 50 && !reconnected; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    try {
      auto d = eng.connect();
      reconnected = d->balance("nobody").error == error_code::unknown_account;
    } catch (const std::exception&) {
    }
  }
  BOOST_CHECK(reconnected);
}

BOOST_AUTO_TEST_CASE(pipelined_requests_for_one_account_apply_in_order) {
  engine_process eng;
  auto c = eng.connect();
  BOOST_REQUIRE(c->open("ord", "EUR").ok());
  BOOST_REQUIRE(c->open("ord2", "EUR").ok());
  // Each bet needs the deposit sent just before it; ids hash to different ledger shards, so
  // only per-account ordering makes every bet succeed. Transfers interleave a second account.
  std::map<uint64_t, int> position;
  int n = 0;
  for (int i = 0; i < 300; ++i) {
    position[c->send(txn(txn_kind::deposit, "od" + std::to_string(i), "ord", 10))] = n++;
    position[c->send(txn(txn_kind::bet, "ob" + std::to_string(i), "ord", 10, "EUR", "acme"))] = n++;
    if (i % 10 == 0) {
      position[c->send(txn(txn_kind::deposit, "oe" + std::to_string(i), "ord", 5))] = n++;
      auto t = txn(txn_kind::transfer, "ot" + std::to_string(i), "ord", 5);
      t.to = "ord2";
      position[c->send(t)] = n++;
    }
  }
  c->flush();
  std::vector<std::pair<int, uint64_t>> versions;  // (send position, version)
  for (int i = 0; i < n; ++i) {
    auto r = c->receive(10'000);
    BOOST_REQUIRE(r);
    BOOST_REQUIRE_MESSAGE(r->ok(), protocol::to_string(r->error) << ": " << r->message);
    versions.emplace_back(position.at(r->rid), r->version);
  }
  std::sort(versions.begin(), versions.end());
  for (size_t i = 1; i < versions.size(); ++i)
    BOOST_CHECK_LT(versions[i - 1].second, versions[i].second);
  BOOST_CHECK_EQUAL(c->balance("ord").balance, 0);
  BOOST_CHECK_EQUAL(c->balance("ord2").balance, 150);
}
