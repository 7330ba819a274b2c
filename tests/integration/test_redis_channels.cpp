// settled's Redis event channels, followed the way any Redis client would: a hiredis
// PSUBSCRIBE settle:events:* on the embedded Redis's Unix socket while transactions run over
// TCP. Every acknowledged change shows up exactly once as a balance event on its shard's
// channel, and partner totals arrive on settle:events:partners.
#define BOOST_TEST_MODULE redis_channels
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "engine_process.hpp"
#include "protocol/codec.hpp"
#include "requests.hpp"
#include "redis_subscriber.hpp"

using namespace settle;
using namespace std::chrono_literals;
using settle::testing::engine_process;
using settle::testing::redis_subscriber;
using protocol::error_code;
using protocol::event;
using protocol::event_kind;
using protocol::request;
using protocol::response;
using protocol::txn_kind;
using protocol::txn_status;

namespace {

/// A balance event with the channel it came on and its place among all messages.
struct seen_event {
  event e;
  std::string channel;
  size_t message = 0;
};

/// Decodes every message; balance events by (account, version), partner events in order.
struct decoded {
  std::map<std::pair<std::string, uint64_t>, std::vector<seen_event>> balance;
  std::vector<seen_event> partner;
  size_t undecodable = 0, misplaced = 0;
};

decoded decode_all(const std::vector<redis_subscriber::message>& msgs) {
  decoded out;
  for (size_t m = 0; m < msgs.size(); ++m) {
    std::vector<event> events;
    std::string why;
    if (!protocol::decode_event_array(msgs[m].body, events, why)) {
      ++out.undecodable;
      BOOST_TEST_MESSAGE("undecodable message on " << msgs[m].channel << ": " << why);
      continue;
    }
    const bool partners = msgs[m].channel == "settle:events:partners";
    for (auto& e : events) {
      if ((e.kind == event_kind::partner) != partners || e.kind == event_kind::closed) {
        ++out.misplaced;
        continue;
      }
      seen_event s{e, msgs[m].channel, m};
      if (partners)
        out.partner.push_back(std::move(s));
      else
        out.balance[{e.account, e.version}].push_back(std::move(s));
    }
  }
  return out;
}

/// An acknowledged applied transaction: what its events must say.
struct acked {
  std::string id, account, change;
  int64_t amount = 0;  // signed change of the balance
  int64_t balance = 0;
  uint64_t version = 0;
};

std::string_view kind_name(txn_kind k) { return protocol::to_string(k); }

}  // namespace

BOOST_AUTO_TEST_CASE(every_acknowledged_change_is_published_once) {
  engine_process eng({"--shards", "4"});
  const std::string socket =
      (std::filesystem::path(eng.data_dir()) / "redis" / "redis.sock").string();
  redis_subscriber sub{socket, {"settle:events:*"}, /*pattern=*/true};
  BOOST_REQUIRE_MESSAGE(sub.wait_subscribed() != 0, "cannot subscribe on " << socket);

  auto admin = eng.connect();
  const int players = 12;
  auto player = [](int i) { return "rc" + std::to_string(i); };
  std::mutex acks_mutex;
  std::vector<acked> acks;
  std::set<std::string> not_applied;  // ids refused or only duplicates: no event of their own
  for (int i = 0; i < players; ++i) {
    BOOST_REQUIRE(admin->open(player(i), "EUR").ok());
    auto id = "fund-" + player(i);
    auto r = admin->txn(testing::req::txn(txn_kind::deposit, id, player(i), 5'000, "EUR"));
    BOOST_REQUIRE(r.ok());
    acks.push_back({id, player(i), "deposit", 5'000, r.balance, r.version});
  }

  // Four connections, a hundred transactions each, on shared accounts: bets and wins of
  // partner acme, rollbacks of some bets, payments, refusals and retried ids.
  const int threads = 4, per_thread = 100;
  std::atomic<int> unexpected{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      auto c = eng.connect();
      uint32_t seed = 777u + static_cast<uint32_t>(t);
      std::vector<std::tuple<std::string, std::string, int64_t>> my_bets;  // id, account, amount
      for (int i = 0; i < per_thread; ++i) {
        seed = seed * 1103515245u + 12345u;
        const auto acc = player(static_cast<int>((seed >> 8) % players));
        const auto id = "c" + std::to_string(t) + "-" + std::to_string(i);
        const int64_t amount = 1 + (seed >> 20) % 300;
        request r;
        txn_kind kind;
        int64_t signed_amount = 0;
        switch ((seed >> 16) % 8) {
          case 0: case 1: case 2:
            kind = txn_kind::bet;
            r = testing::req::txn(kind, id, acc, amount, "EUR", "acme");
            signed_amount = -amount;
            break;
          case 3: case 4:
            kind = txn_kind::win;
            r = testing::req::txn(kind, id, acc, amount, "EUR", "acme");
            signed_amount = amount;
            break;
          case 5:
            if (!my_bets.empty()) {
              auto [bet, bet_acc, bet_amount] = my_bets.back();
              my_bets.pop_back();
              kind = txn_kind::rollback;
              r = testing::req::rollback(id, bet, bet_acc, "EUR", "acme");
              signed_amount = bet_amount;
              break;
            }
            [[fallthrough]];
          case 6:
            kind = txn_kind::deposit;
            r = testing::req::txn(kind, id, acc, amount, "EUR");
            signed_amount = amount;
            break;
          default:
            kind = txn_kind::withdraw;
            // Now and then more than anyone holds: refused, no event.
            r = testing::req::txn(kind, id, acc, i % 10 == 0 ? 1'000'000 : amount, "EUR");
            signed_amount = -amount;
            break;
        }
        auto resp = c->txn(r);
        if (!resp.ok()) {
          if (resp.error != error_code::insufficient_funds)
            ++unexpected;
          std::lock_guard<std::mutex> lock(acks_mutex);
          not_applied.insert(id);
          continue;
        }
        if (resp.outcome != txn_status::applied) {
          ++unexpected;
          continue;
        }
        if (kind == txn_kind::bet)
          my_bets.emplace_back(id, r.account, amount);
        {
          std::lock_guard<std::mutex> lock(acks_mutex);
          acks.push_back({id, r.account, std::string{kind_name(kind)}, signed_amount,
                          resp.balance, resp.version});
        }
        if (i % 9 == 4) {  // a retry: the same answer, no second event
          auto again = c->txn(r);
          if (!again.ok() || again.outcome != txn_status::duplicate ||
              again.balance != resp.balance || again.version != resp.version)
            ++unexpected;
        }
      }
    });
  for (auto& th : pool)
    th.join();
  BOOST_CHECK_EQUAL(unexpected.load(), 0);
  BOOST_TEST_MESSAGE(acks.size() << " applied transactions, " << not_applied.size()
                                 << " refused");
  BOOST_CHECK_GT(acks.size(), 300u);
  BOOST_CHECK_GT(not_applied.size(), 0u);

  // Every acknowledged change arrives (the journal acknowledged it; the publisher follows).
  auto all_arrived = [&](const decoded& d) {
    for (const auto& a : acks)
      if (d.balance.count({a.account, a.version}) == 0)
        return false;
    return true;
  };
  decoded d;
  for (int i = 0; i < 200; ++i) {
    d = decode_all(sub.messages());
    if (all_arrived(d))
      break;
    std::this_thread::sleep_for(50ms);
  }
  std::this_thread::sleep_for(200ms);  // anything late (a duplicate would be) comes too
  d = decode_all(sub.messages());
  BOOST_CHECK_EQUAL(d.undecodable, 0u);
  BOOST_CHECK_EQUAL(d.misplaced, 0u);
  BOOST_CHECK_EQUAL(sub.connections(), 1u);
  BOOST_CHECK_EQUAL(sub.oddities(), 0u);

  for (const auto& a : acks) {
    BOOST_TEST_CONTEXT("txn " << a.id << " on " << a.account << " v" << a.version) {
      auto it = d.balance.find({a.account, a.version});
      BOOST_REQUIRE(it != d.balance.end());
      BOOST_REQUIRE_EQUAL(it->second.size(), 1u);
      const event& e = it->second.front().e;
      BOOST_CHECK_EQUAL(e.balance, a.balance);
      BOOST_CHECK(e.has_txn);
      BOOST_CHECK_EQUAL(e.txn, a.id);
      BOOST_CHECK_EQUAL(e.change, a.change);
      BOOST_CHECK_EQUAL(e.amount, a.amount);
      BOOST_CHECK_EQUAL(e.currency, "EUR");
      BOOST_CHECK_GT(e.at_unix_ms, 0);
    }
  }

  // Per player: the open (version 0) and one event per version up to the current one, all on
  // one shard channel, in version order; no event for a refused or retried id.
  std::map<std::string, size_t> events_of_txn;
  for (const auto& [key, list] : d.balance)
    for (const auto& s : list)
      ++events_of_txn[s.e.txn];
  for (const auto& id : not_applied)
    BOOST_CHECK_MESSAGE(events_of_txn.count(id) == 0, "refused " << id << " has an event");
  for (int i = 0; i < players; ++i) {
    BOOST_TEST_CONTEXT("account " << player(i)) {
      auto now = admin->balance(player(i));
      BOOST_REQUIRE(now.ok());
      std::string channel;
      size_t last_message = 0;
      int64_t balance = 0;
      for (uint64_t v = 0; v <= now.version; ++v) {
        auto it = d.balance.find({player(i), v});
        BOOST_REQUIRE_MESSAGE(it != d.balance.end(), "no event for version " << v);
        BOOST_REQUIRE_EQUAL(it->second.size(), 1u);
        const auto& s = it->second.front();
        if (v == 0) {
          BOOST_CHECK_EQUAL(s.e.change, "open");
          BOOST_CHECK_EQUAL(s.e.balance, 0);
          channel = s.channel;
          BOOST_CHECK(channel.rfind("settle:events:", 0) == 0);
          BOOST_CHECK(channel != "settle:events:partners");
        } else {
          BOOST_CHECK_EQUAL(s.channel, channel);
          BOOST_CHECK_GE(s.message, last_message);  // in order on the channel
          BOOST_CHECK_EQUAL(s.e.balance, balance + s.e.amount);
        }
        balance = s.e.balance;
        last_message = s.message;
      }
      BOOST_CHECK_EQUAL(balance, now.balance);
      BOOST_CHECK(d.balance.count({player(i), now.version + 1}) == 0);
    }
  }
  // The accounts spread over more than one shard channel.
  std::set<std::string> channels;
  for (const auto& [key, list] : d.balance)
    channels.insert(list.front().channel);
  BOOST_CHECK_GT(channels.size(), 1u);

  // Partner totals: acme's latest event for EUR says what the engine says now.
  auto totals = admin->partner("acme");
  BOOST_REQUIRE(totals.ok());
  const protocol::currency_totals* eur = nullptr;
  for (const auto& t : totals.totals)
    if (t.currency == "EUR")
      eur = &t;
  BOOST_REQUIRE(eur != nullptr);
  BOOST_CHECK_GT(eur->bets, 0);
  const event* latest = nullptr;
  for (int i = 0; i < 200; ++i) {
    d = decode_all(sub.messages());
    latest = nullptr;
    for (const auto& s : d.partner)
      if (s.e.partner == "acme" && s.e.currency == "EUR")
        latest = &s.e;
    if (latest != nullptr && latest->bets == eur->bets && latest->wins == eur->wins &&
        latest->rollbacks == eur->rollbacks)
      break;
    std::this_thread::sleep_for(50ms);
  }
  BOOST_REQUIRE_MESSAGE(latest != nullptr, "no partner event for acme EUR");
  BOOST_CHECK_EQUAL(latest->bets, eur->bets);
  BOOST_CHECK_EQUAL(latest->wins, eur->wins);
  BOOST_CHECK_EQUAL(latest->rollbacks, eur->rollbacks);
  BOOST_CHECK_EQUAL(latest->ggr, eur->ggr);
  BOOST_CHECK_EQUAL(latest->ggr, latest->bets - latest->wins - latest->rollbacks);
  // Totals only grow: each partner event of acme EUR is at least the one before.
  const event* prev = nullptr;
  for (const auto& s : d.partner) {
    if (s.e.partner != "acme" || s.e.currency != "EUR")
      continue;
    if (prev != nullptr) {
      BOOST_CHECK_GE(s.e.bets, prev->bets);
      BOOST_CHECK_GE(s.e.wins, prev->wins);
      BOOST_CHECK_GE(s.e.rollbacks, prev->rollbacks);
      BOOST_CHECK_GE(s.e.version, prev->version);
    }
    prev = &s.e;
  }
}
