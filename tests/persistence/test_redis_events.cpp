// The Redis event publisher against a real redis-server, followed by a plain hiredis SUBSCRIBE
// connection on its own thread: one PUBLISH per durable journal batch on its shard's channel
// (events matching the records, in order), partner totals on the partners channel, the events
// Redis stopped or paused without the journal noticing, and the bound on queued batches.
#define BOOST_TEST_MODULE redis_events
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "persistence/journal_batch.hpp"
#include "persistence/redis_event_publisher.hpp"
#include "persistence/redis_journal.hpp"
#include "persistence/redis_server.hpp"
#include "protocol/codec.hpp"
#include "redis_fixture.hpp"
#include "redis_subscriber.hpp"

using namespace settle::persistence;
using namespace std::chrono_literals;
using namespace settle::testing;
using subscriber = redis_subscriber;
using settle::protocol::event;
using settle::protocol::event_kind;
using settle::protocol::txn_kind;
using settle::protocol::txn_status;

namespace {

/// Accounts with their balance and version, building the records a shard would journal.
class ledger_model {
public:
  explicit ledger_model(int64_t clock = 1'700'000'000'000) : clock_(clock) {}

  journal_record open(const std::string& account) {
    auto r = next(record_type::open, account);
    state_[account] = {0, 0};
    return r;
  }
  journal_record status(const std::string& account, bool blocked) {
    auto& s = state_.at(account);
    auto r = next(record_type::status, account);
    r.status = blocked ? settle::protocol::account_status::blocked
                       : settle::protocol::account_status::active;
    r.balance_after = s.first;
    r.version_after = ++s.second;
    return r;
  }
  journal_record txn(const std::string& account, txn_kind kind, const std::string& id,
                     int64_t amount, size_t pad = 0) {
    auto& s = state_.at(account);
    auto r = next(record_type::txn, account);
    r.kind = kind;
    r.txn_id = id;
    r.id_namespace = kind == txn_kind::deposit || kind == txn_kind::withdraw ? "" : "acme";
    r.partner = r.id_namespace;
    r.ref = std::string(pad, 'x');
    r.amount = amount;
    s.first += amount;
    r.balance_after = s.first;
    r.version_after = ++s.second;
    return r;
  }
  /// A txn record that changed nothing (a duplicate): no event.
  journal_record note(const std::string& account, const std::string& id) {
    auto& s = state_.at(account);
    auto r = next(record_type::txn, account);
    r.kind = txn_kind::bet;
    r.outcome = txn_status::duplicate;
    r.txn_id = id;
    r.id_namespace = "acme";
    r.partner = "acme";
    r.balance_after = s.first;
    r.version_after = s.second;
    return r;
  }

private:
  /// A record of `type` on an EUR `account`, a millisecond after the one before.
  journal_record next(record_type type, const std::string& account) {
    journal_record r;
    r.type = type;
    r.account = account;
    r.currency = "EUR";
    r.at_unix_ms = ++clock_;
    return r;
  }

  int64_t clock_;
  std::map<std::string, std::pair<int64_t, uint64_t>> state_;
};

/// Whether a record has an event (notes do not).
bool has_event(const journal_record& r) {
  return r.type != record_type::txn || r.outcome == txn_status::applied;
}

std::string change_of(const journal_record& r) {
  switch (r.type) {
    case record_type::open:
      return "open";
    case record_type::status:
      return r.status == settle::protocol::account_status::blocked ? "block" : "unblock";
    case record_type::txn:
      break;
  }
  switch (r.kind) {
    case txn_kind::bet: return "bet";
    case txn_kind::win: return "win";
    case txn_kind::rollback: return "rollback";
    case txn_kind::deposit: return "deposit";
    case txn_kind::withdraw: return "withdraw";
    case txn_kind::transfer: return "transfer";
  }
  return "?";
}

/// The event matches the record it was made of.
void check_event(const event& e, const journal_record& r) {
  BOOST_TEST_CONTEXT("record " << r.account << " v" << r.version_after << " txn '" << r.txn_id
                                << "'") {
    BOOST_CHECK(e.kind == event_kind::balance);
    BOOST_CHECK_EQUAL(e.account, r.account);
    BOOST_CHECK_EQUAL(e.currency, r.currency);
    BOOST_CHECK_EQUAL(e.balance, r.balance_after);
    BOOST_CHECK_EQUAL(e.version, r.version_after);
    BOOST_CHECK(e.has_txn);
    BOOST_CHECK_EQUAL(e.txn, r.txn_id);
    BOOST_CHECK_EQUAL(e.change, change_of(r));
    BOOST_CHECK_EQUAL(e.amount, r.amount);
    BOOST_CHECK_EQUAL(e.at_unix_ms, r.at_unix_ms);
  }
}

std::vector<event> decode(const std::string& body) {
  std::vector<event> out;
  std::string why;
  BOOST_CHECK_MESSAGE(settle::protocol::decode_event_array(body, out, why),
                      "undecodable message: " << why);
  return out;
}

/// Waits until `done()` holds (10 s at most).
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

uint64_t accounted(const redis_event_publisher& p) {
  return p.published_batches() + p.failed_batches() + p.dropped_batches() +
         p.skipped_batches();
}

/// The process's resident memory, in bytes.
uint64_t rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stoull(line.substr(6)) * 1024;
  return 0;
}

std::vector<std::string> shard_channels(const redis_event_options& o, uint32_t shards) {
  std::vector<std::string> out;
  for (uint32_t s = 0; s < shards; ++s)
    out.push_back(events_channel(o, s));
  out.push_back(partner_channel(o));
  return out;
}

/// The encoded records of a batch handed to the feed directly.
std::string record_bytes(const std::vector<journal_record>& records) {
  std::string out;
  for (const auto& r : records)
    append_record(out, view_of(r));
  return out;
}

/// Options for a journal of `shards` shards on `redis`.
redis_journal_options journal_on(const redis_instance& redis, uint32_t shards) {
  redis_journal_options o;
  o.address.unix_socket = redis.socket();
  o.shards = shards;
  return o;
}

/// Options for events published on `redis`.
redis_event_options events_on(const redis_instance& redis) {
  redis_event_options o;
  o.address.unix_socket = redis.socket();
  return o;
}

/// Options for events published on a `redis` that goes away: unanswered after `timeout_ms`,
/// reconnected every 50 ms.
redis_event_options outage_events_on(const redis_instance& redis, uint32_t timeout_ms) {
  auto o = events_on(redis);
  o.timeout_ms = timeout_ms;
  o.reconnect_interval_ms = 50;
  return o;
}

/// The messages from `from` on hold one event each, made of `records` in order, on `channel`.
void check_one_event_each(const std::vector<subscriber::message>& msgs, size_t from,
                          const std::vector<journal_record>& records, const std::string& channel) {
  BOOST_REQUIRE_GE(msgs.size(), from + records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    BOOST_CHECK_EQUAL(msgs[from + i].channel, channel);
    auto events = decode(msgs[from + i].body);
    BOOST_REQUIRE_EQUAL(events.size(), 1u);
    check_event(events[0], records[i]);
  }
}

/// A journal writer whose durable batches feed an event publisher, followed by a subscriber
/// on every shard's channel and the partners one; with a model of the accounts.
struct feed_rig {
  feed_rig(const redis_journal_options& journal, const redis_event_options& events)
      : jo(journal),
        eo(events),
        sub{eo.address.unix_socket, shard_channels(eo, jo.shards)},
        first_connection(sub.wait_subscribed()),
        pub(std::make_shared<redis_event_publisher>(eo)),
        w{jo},
        c{w} {
    BOOST_REQUIRE(first_connection != 0);
    w.set_feed(pub);
  }

  /// Opens `account` on `shard` and waits for its event: the first message.
  void open_first(uint32_t shard, const std::string& account) {
    c.append_durable(shard, {m.open(account)});
    BOOST_REQUIRE_EQUAL(sub.wait_count(1), 1u);
  }
  /// Appends `n` deposits of 10 to `account` (ids `prefix`0, ...), one chunk each, each durable
  /// within a second: the journal does not wait for the publisher, whatever it goes through.
  void deposit_promptly(uint32_t shard, const std::string& account, const std::string& prefix,
                        int n) {
    for (int i = 0; i < n; ++i) {
      auto took =
          c.append_durable(shard, {m.txn(account, txn_kind::deposit, prefix + std::to_string(i), 10)});
      BOOST_CHECK_LT(took, 1s);
    }
  }
  /// Appends deposits of 1 to `account` (ids probe-0, ...), one chunk each, until `done()`
  /// (10 s at most); returns how many.
  int probe_until(uint32_t shard, const std::string& account, const std::function<bool()>& done) {
    int probes = 0;
    BOOST_CHECK(eventually([&] {
      c.append_durable(shard,
                       {m.txn(account, txn_kind::deposit, "probe-" + std::to_string(probes++), 1)});
      return done();
    }));
    return probes;
  }
  /// Appends 10 transactions of `kind` and `amount` on `account` (ids after-0, ...), one
  /// durable chunk each; returns their records.
  std::vector<journal_record> append_ten(uint32_t shard, const std::string& account, txn_kind kind,
                                         int64_t amount) {
    std::vector<journal_record> out;
    for (int i = 0; i < 10; ++i) {
      out.push_back(m.txn(account, kind, "after-" + std::to_string(i), amount));
      c.append_durable(shard, {out.back()});
    }
    return out;
  }
  /// Waits until every batch written so far is accounted for (published or not).
  bool all_accounted() {
    return eventually([&] { return accounted(*pub) == w.batches_written(); });
  }

  redis_journal_options jo;
  redis_event_options eo;
  subscriber sub;
  uint64_t first_connection;  // the subscriber's connection before anything was published
  std::shared_ptr<redis_event_publisher> pub;
  redis_journal_writer w;
  chunks c;
  ledger_model m;
};

}  // namespace

BOOST_AUTO_TEST_CASE(channel_names) {
  redis_event_options o;
  BOOST_CHECK_EQUAL(events_channel(o, 0), "settle:events:0");
  BOOST_CHECK_EQUAL(events_channel(o, 17), "settle:events:17");
  BOOST_CHECK_EQUAL(partner_channel(o), "settle:events:partners");
  o.channel_prefix = "x:";
  BOOST_CHECK_EQUAL(events_channel(o, 3), "x:3");
  BOOST_CHECK_EQUAL(partner_channel(o), "x:partners");
}

BOOST_AUTO_TEST_CASE(one_message_per_durable_batch_on_its_shard_channel) {
  redis_instance redis;
  auto jo = journal_on(redis, 5);
  jo.max_batch_delay_us = 2000;  // several chunks per batch when they come together
  auto eo = events_on(redis);
  subscriber sub{redis.socket(), shard_channels(eo, jo.shards)};
  BOOST_REQUIRE(sub.wait_subscribed() != 0);

  const std::vector<uint32_t> used = {0, 1, 3};
  std::map<uint32_t, std::vector<journal_record>> appended;  // per shard, in append order
  std::shared_ptr<redis_event_publisher> pub;
  uint64_t batches = 0;
  {
    pub = std::make_shared<redis_event_publisher>(eo);
    redis_journal_writer w{jo};
    w.set_feed(pub);
    chunks c{w};
    std::map<uint32_t, ledger_model> models;
    auto acc = [](uint32_t s, int i) { return "s" + std::to_string(s) + "-a" + std::to_string(i); };
    // Accounts opened, one batch each.
    for (auto s : used) {
      std::vector<journal_record> recs;
      for (int i = 0; i < 3; ++i)
        recs.push_back(models[s].open(acc(s, i)));
      c.append_durable(s, recs);
      appended[s].insert(appended[s].end(), recs.begin(), recs.end());
    }
    // A batch of notes only: nothing to publish.
    {
      std::vector<journal_record> notes = {models[1].note(acc(1, 0), "dup-1"),
                                           models[1].note(acc(1, 1), "dup-2")};
      c.append_durable(1, notes);
      appended[1].insert(appended[1].end(), notes.begin(), notes.end());
    }
    // One thread per shard appends chunks of 1..4 records (notes among them), some waited
    // for (a batch of their own), most not (batched with whatever else is queued).
    std::vector<std::thread> threads;
    std::mutex appended_mutex;
    for (auto s : used)
      threads.emplace_back([&, s] {
        auto& m = models.at(s);  // made above: no thread inserts
        std::vector<uint64_t> seqs;
        std::vector<journal_record> mine;
        for (int i = 0; i < 60; ++i) {
          std::vector<journal_record> recs;
          for (int k = 0; k <= i % 4; ++k) {
            auto a = acc(s, (i + k) % 3);
            auto id = "t" + std::to_string(s) + "-" + std::to_string(i) + "-" + std::to_string(k);
            switch ((i * 7 + k) % 6) {
              case 0: recs.push_back(m.txn(a, txn_kind::deposit, id, 1000 + i)); break;
              case 1: recs.push_back(m.txn(a, txn_kind::bet, id, -(1 + i))); break;
              case 2: recs.push_back(m.txn(a, txn_kind::win, id, 2 * i)); break;
              case 3: recs.push_back(m.note(a, id)); break;
              case 4: recs.push_back(m.txn(a, txn_kind::rollback, id, 3)); break;
              default: recs.push_back(m.txn(a, txn_kind::withdraw, id, -1)); break;
            }
          }
          if (i % 10 == 5) {
            recs.push_back(m.status(acc(s, 2), true));
            recs.push_back(m.status(acc(s, 2), false));
          }
          mine.insert(mine.end(), recs.begin(), recs.end());
          auto seq = c.append(s, recs);
          BOOST_CHECK(seq != 0);
          seqs.push_back(seq);
          if (i % 7 == 0)
            BOOST_CHECK(c.final_word(s, seq) == durability::durable);
        }
        for (auto seq : seqs)
          BOOST_CHECK(c.final_word(s, seq) == durability::durable);
        std::lock_guard<std::mutex> lock(appended_mutex);
        appended[s].insert(appended[s].end(), mine.begin(), mine.end());
      });
    for (auto& t : threads)
      t.join();
    batches = w.batches_written();
    BOOST_CHECK(eventually([&] { return accounted(*pub) == batches; }));
  }

  // What the journal holds, batch by batch: one message per batch with an event.
  size_t expected_messages = 0, note_only = 0;
  std::map<uint32_t, std::vector<journal_batch>> stored;
  for (uint32_t s = 0; s < jo.shards; ++s) {
    stored[s] = stored_batches(jo, s);
    for (const auto& b : stored[s]) {
      if (std::any_of(b.records.begin(), b.records.end(), has_event))
        ++expected_messages;
      else
        ++note_only;
    }
  }
  BOOST_CHECK_EQUAL(batches, expected_messages + note_only);
  BOOST_CHECK_GE(note_only, 1u);
  BOOST_CHECK_EQUAL(pub->published_batches(), expected_messages);
  BOOST_CHECK_EQUAL(pub->skipped_batches(), note_only);
  BOOST_CHECK_EQUAL(pub->failed_batches(), 0u);
  BOOST_CHECK_EQUAL(pub->dropped_batches(), 0u);
  BOOST_CHECK_EQUAL(sub.wait_count(expected_messages), expected_messages);
  std::this_thread::sleep_for(100ms);  // nothing more comes
  BOOST_CHECK_EQUAL(sub.count(), expected_messages);
  BOOST_CHECK_EQUAL(sub.oddities(), 0u);
  BOOST_CHECK(sub.on(partner_channel(eo)).empty());

  for (uint32_t s = 0; s < jo.shards; ++s) {
    BOOST_TEST_CONTEXT("shard " << s) {
      auto msgs = sub.on(events_channel(eo, s));
      // Message i is the i-th batch with events, event for event.
      size_t m = 0;
      for (const auto& b : stored[s]) {
        std::vector<const journal_record*> changed;
        for (const auto& r : b.records)
          if (has_event(r))
            changed.push_back(&r);
        if (changed.empty())
          continue;
        BOOST_REQUIRE_LT(m, msgs.size());
        auto events = decode(msgs[m++].body);
        BOOST_REQUIRE_EQUAL(events.size(), changed.size());
        for (size_t i = 0; i < events.size(); ++i)
          check_event(events[i], *changed[i]);
      }
      BOOST_CHECK_EQUAL(m, msgs.size());
      // All messages together: the appended records with an event, in append order.
      std::vector<event> all;
      for (const auto& msg : msgs) {
        auto events = decode(msg.body);
        all.insert(all.end(), events.begin(), events.end());
      }
      std::vector<journal_record> changed;
      for (const auto& r : appended[s])
        if (has_event(r))
          changed.push_back(r);
      BOOST_REQUIRE_EQUAL(all.size(), changed.size());
      for (size_t i = 0; i < all.size(); ++i)
        check_event(all[i], changed[i]);
      if (std::find(used.begin(), used.end(), s) == used.end())
        BOOST_CHECK(msgs.empty());
    }
  }
  // Several chunks went together into some batches (the group commit the feed follows).
  BOOST_CHECK_LT(batches, 3u + 1u + 3u * 60u);
}

BOOST_AUTO_TEST_CASE(partner_totals_on_the_partners_channel) {
  redis_instance redis;
  auto eo = events_on(redis);
  subscriber sub{redis.socket(), shard_channels(eo, 2)};
  BOOST_REQUIRE(sub.wait_subscribed() != 0);
  redis_event_publisher pub{eo};

  auto totals = [](const std::string& partner, const std::string& cur, int64_t bets,
                   int64_t wins, int64_t rollbacks, uint64_t version) {
    event e;
    e.kind = event_kind::partner;
    e.partner = partner;
    e.currency = cur;
    e.bets = bets;
    e.wins = wins;
    e.rollbacks = rollbacks;
    e.ggr = bets - wins - rollbacks;
    e.version = version;
    e.at_unix_ms = 1'700'000'000'123 + static_cast<int64_t>(version);
    return e;
  };
  std::vector<event> first = {totals("acme", "EUR", 500, 120, 30, 7),
                              totals("acme", "USD", 90, 0, 0, 2),
                              totals("beta", "EUR", 1, 2, 0, 1)};
  std::vector<event> second = {totals("acme", "EUR", 600, 120, 30, 8)};
  pub.partner_totals(first);
  pub.partner_totals({});  // nothing
  pub.partner_totals(second);
  BOOST_REQUIRE_EQUAL(sub.wait_count(2), 2u);
  std::this_thread::sleep_for(100ms);
  auto msgs = sub.messages();
  BOOST_REQUIRE_EQUAL(msgs.size(), 2u);
  const std::vector<event>* sent[] = {&first, &second};
  for (size_t m = 0; m < 2; ++m) {
    BOOST_CHECK_EQUAL(msgs[m].channel, "settle:events:partners");
    auto got = decode(msgs[m].body);
    BOOST_REQUIRE_EQUAL(got.size(), sent[m]->size());
    for (size_t i = 0; i < got.size(); ++i) {
      const auto& want = (*sent[m])[i];
      BOOST_CHECK(got[i].kind == event_kind::partner);
      BOOST_CHECK_EQUAL(got[i].partner, want.partner);
      BOOST_CHECK_EQUAL(got[i].currency, want.currency);
      BOOST_CHECK_EQUAL(got[i].bets, want.bets);
      BOOST_CHECK_EQUAL(got[i].wins, want.wins);
      BOOST_CHECK_EQUAL(got[i].rollbacks, want.rollbacks);
      BOOST_CHECK_EQUAL(got[i].ggr, want.ggr);
      BOOST_CHECK_EQUAL(got[i].version, want.version);
      BOOST_CHECK_EQUAL(got[i].at_unix_ms, want.at_unix_ms);
    }
  }
  BOOST_CHECK(eventually([&] { return pub.published_batches() == 2; }));
  BOOST_CHECK_EQUAL(pub.failed_batches(), 0u);
}

BOOST_AUTO_TEST_CASE(events_redis_stopped_then_back) {
  // The journal on one server, events on another: only the events one goes away.
  redis_instance journal_redis, events_redis;
  feed_rig f{journal_on(journal_redis, 2), outage_events_on(events_redis, 300)};
  f.open_first(1, "p");

  events_redis.server->stop();
  f.deposit_promptly(1, "p", "down-", 5);
  BOOST_CHECK(eventually([&] { return accounted(*f.pub) == 6; }));
  BOOST_CHECK_EQUAL(f.pub->published_batches(), 1u);
  BOOST_CHECK_EQUAL(f.pub->failed_batches(), 5u);  // not retried
  BOOST_CHECK_EQUAL(f.sub.count(), 1u);

  events_redis.server->restart();
  BOOST_REQUIRE(f.sub.wait_subscribed(f.first_connection) != 0);
  // Publishing resumes: the first batch after the restart may still find the reconnect
  // interval running; soon every batch goes out.
  f.probe_until(1, "p", [&] { return f.sub.wait_count(2, 100ms) >= 2; });
  // Every probe accounted for (published or failed) and delivered before counting on.
  BOOST_CHECK(f.all_accounted());
  std::this_thread::sleep_for(100ms);
  const size_t before = f.sub.count();
  auto after = f.append_ten(1, "p", txn_kind::bet, -1);
  BOOST_REQUIRE_EQUAL(f.sub.wait_count(before + 10), before + 10);
  auto msgs = f.sub.messages();
  check_one_event_each(msgs, before, after, "settle:events:1");
  // No batch of the outage came through, and none twice.
  for (const auto& msg : msgs)
    for (const auto& e : decode(msg.body))
      BOOST_CHECK(e.txn.rfind("down-", 0) != 0);
  BOOST_CHECK(f.all_accounted());
}

BOOST_AUTO_TEST_CASE(events_redis_paused_then_back) {
  redis_instance journal_redis, events_redis;
  feed_rig f{journal_on(journal_redis, 2), outage_events_on(events_redis, 200)};
  f.open_first(0, "q");

  events_redis.server->signal(SIGSTOP);
  f.deposit_promptly(0, "q", "stuck-", 5);  // well under what a paused Redis costs the publisher
  // Unanswered within timeout_ms: counted failed, while Redis is still paused.
  BOOST_CHECK(eventually([&] { return f.pub->failed_batches() >= 1; }));
  BOOST_CHECK(eventually([&] { return accounted(*f.pub) == 6; }));
  BOOST_CHECK_EQUAL(f.pub->published_batches(), 1u);
  events_redis.server->signal(SIGCONT);

  // Publishing resumes (what went out during the pause may or may not reach followers: at
  // most once).
  const int probes = f.probe_until(0, "q", [&] { return f.pub->published_batches() >= 2; });
  // Every probe accounted for (published or failed) before counting on.
  BOOST_CHECK(f.all_accounted());
  const auto published = f.pub->published_batches();
  auto after = f.append_ten(0, "q", txn_kind::win, 5);
  BOOST_CHECK(eventually([&] { return f.pub->published_batches() == published + 10; }));
  BOOST_TEST_MESSAGE("published " << f.pub->published_batches() << " (" << published
                                  << " before the last 10), failed " << f.pub->failed_batches()
                                  << ", probes " << probes);
  std::this_thread::sleep_for(100ms);
  auto msgs = f.sub.messages();
  BOOST_REQUIRE_GE(msgs.size(), 10u);
  check_one_event_each(msgs, msgs.size() - 10, after, "settle:events:0");
  // Each batch at most once.
  std::map<std::string, int> seen;
  for (const auto& msg : msgs)
    for (const auto& e : decode(msg.body))
      BOOST_CHECK_EQUAL(++seen[e.txn + "/" + std::to_string(e.version)], 1);
}

BOOST_AUTO_TEST_CASE(queued_batches_are_bounded_while_redis_is_paused) {
  redis_instance events_redis;
  auto eo = events_on(events_redis);
  eo.max_queued_batches = 4;
  eo.timeout_ms = 3000;
  subscriber sub{events_redis.socket(), shard_channels(eo, 1)};
  BOOST_REQUIRE(sub.wait_subscribed() != 0);
  redis_event_publisher pub{eo};
  ledger_model m;
  pub.durable(0, 1, record_bytes({m.open("big")}));
  BOOST_REQUIRE_EQUAL(sub.wait_count(1), 1u);

  events_redis.server->signal(SIGSTOP);
  pub.durable(0, 1, record_bytes({m.txn("big", txn_kind::deposit, "in-flight", 1)}));
  std::this_thread::sleep_for(200ms);  // the thread waits on its answer now (up to 3 s)

  // 2000 batches of 64 KB (128 MB if they were all kept) while Redis does not answer.
  BOOST_REQUIRE_GT(record_bytes({m.txn("big", txn_kind::deposit, "size", 1, 64 * 1024)}).size(),
                   64u * 1024);
  const uint64_t rss0 = rss_bytes();
  const int n = 2000;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i)
    pub.durable(0, 1, record_bytes({m.txn("big", txn_kind::deposit, "b" + std::to_string(i), 1, 64 * 1024)}));
  const auto took = std::chrono::steady_clock::now() - t0;
  const uint64_t rss1 = rss_bytes();
  BOOST_TEST_MESSAGE("2000 batches queued in "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                     << " ms; RSS grew by " << (rss1 - std::min(rss0, rss1)) / 1024 << " KB");
  BOOST_CHECK_LT(took, 2500ms);  // never waited for Redis
  // At most the bound waits; the thread took the queue at most once meanwhile.
  BOOST_CHECK_GE(pub.dropped_batches(), static_cast<uint64_t>(n) - 2 * eo.max_queued_batches);
#ifndef __SANITIZE_ADDRESS__
  // (AddressSanitizer keeps freed memory in quarantine: RSS says nothing there.)
  BOOST_CHECK_LT(rss1, rss0 + 32ull * 1024 * 1024);
#endif

  events_redis.server->signal(SIGCONT);
  BOOST_CHECK(eventually([&] { return accounted(pub) == 2u + n; }));
  BOOST_TEST_MESSAGE("published " << pub.published_batches() << ", failed "
                                  << pub.failed_batches() << ", dropped "
                                  << pub.dropped_batches());
  // Publishing goes on afterwards.
  const size_t before = sub.count();
  const auto published = pub.published_batches();
  auto last = m.txn("big", txn_kind::withdraw, "last", -1);
  pub.durable(0, 1, record_bytes({last}));
  BOOST_CHECK(eventually([&] { return pub.published_batches() == published + 1; }));
  BOOST_REQUIRE_GE(sub.wait_count(before + 1), before + 1);
  auto msgs = sub.messages();
  auto events = decode(msgs.back().body);
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  check_event(events[0], last);
}

BOOST_AUTO_TEST_CASE(undecodable_records_count_as_failed) {
  redis_instance redis;
  auto eo = events_on(redis);
  redis_event_publisher pub{eo};
  ledger_model m;
  pub.durable(0, 2, record_bytes({m.open("x")}));  // says 2 records, holds 1
  pub.durable(0, 1, "\xc1garbage");
  pub.durable(0, 1, record_bytes({m.txn("x", txn_kind::deposit, "ok", 5)}));
  BOOST_CHECK(eventually([&] { return accounted(pub) == 3; }));
  BOOST_CHECK_EQUAL(pub.failed_batches(), 2u);
  BOOST_CHECK_EQUAL(pub.published_batches(), 1u);
}

BOOST_AUTO_TEST_CASE(stopping_with_redis_gone_does_not_hang) {
  redis_instance redis;
  auto eo = events_on(redis);
  eo.timeout_ms = 300;
  auto pub = std::make_unique<redis_event_publisher>(eo);
  ledger_model m;
  redis.server->stop();
  for (int i = 0; i < 100; ++i)
    pub->durable(0, 1, record_bytes({m.open("z" + std::to_string(i))}));
  auto t0 = std::chrono::steady_clock::now();
  pub.reset();
  BOOST_CHECK_LT(std::chrono::steady_clock::now() - t0, 3s);
}

BOOST_AUTO_TEST_CASE(a_batch_in_doubt_is_published_once_it_is_known_to_have_landed) {
  // The journal's Redis paused past the writer's deadline: the batch is in doubt until the
  // writer reconnects and finds it in the stream; only then (and once) is it published.
  redis_instance journal_redis, events_redis;
  auto jo = journal_on(journal_redis, 3);
  jo.deadline_ms = 300;
  jo.resync_interval_ms = 50;
  feed_rig f{jo, events_on(events_redis)};
  f.open_first(2, "d");

  journal_redis.server->signal(SIGSTOP);
  auto doubt = f.m.txn("d", txn_kind::deposit, "in-doubt", 42);
  auto seq = f.c.append(2, {doubt});
  BOOST_REQUIRE(seq != 0);
  std::this_thread::sleep_for(600ms);  // past the deadline: uncertain, nothing published
  BOOST_CHECK_EQUAL(f.sub.count(), 1u);
  BOOST_CHECK_EQUAL(accounted(*f.pub), 1u);
  journal_redis.server->signal(SIGCONT);
  auto d = f.c.final_word(2, seq);
  BOOST_REQUIRE(d.has_value());
  bool stored = false;
  for (const auto& b : stored_batches(jo, 2))
    for (const auto& r : b.records)
      stored = stored || r.txn_id == "in-doubt";
  BOOST_CHECK_EQUAL(stored, *d == durability::durable);
  BOOST_TEST_MESSAGE("the batch in doubt "
                     << (*d == durability::durable ? "landed" : "did not land"));
  // One more batch, so whatever the first one did has been published before it.
  auto next = f.m.txn("d", txn_kind::deposit, "next", 1);
  if (*d != durability::durable) {
    // The failed record's version is taken: the shard's next chunk needs a newer epoch and
    // a model that never saw it (not this test's concern); only check nothing came.
    BOOST_CHECK(f.all_accounted());
    BOOST_CHECK_EQUAL(f.sub.count(), 1u);
    return;
  }
  f.c.append_durable(2, {next});
  BOOST_REQUIRE_EQUAL(f.sub.wait_count(3), 3u);
  std::this_thread::sleep_for(100ms);
  auto msgs = f.sub.messages();
  BOOST_REQUIRE_EQUAL(msgs.size(), 3u);
  auto e1 = decode(msgs[1].body), e2 = decode(msgs[2].body);
  BOOST_REQUIRE_EQUAL(e1.size(), 1u);
  BOOST_REQUIRE_EQUAL(e2.size(), 1u);
  check_event(e1[0], doubt);
  check_event(e2[0], next);
  BOOST_CHECK(eventually([&] { return f.pub->published_batches() == 3; }));
}
