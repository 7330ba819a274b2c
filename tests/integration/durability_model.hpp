// A client-side model of a random, never-refused workload for durability tests: what was
// sent, what was acknowledged, retries after a fault, and the final comparison.
#pragma once

#include <boost/test/unit_test.hpp>

#include <map>
#include <random>
#include <set>
#include <thread>

#include "engine_process.hpp"
#include "requests.hpp"

namespace settle::testing::durability {

using protocol::error_code;
using protocol::request;
using protocol::response;
using protocol::txn_kind;
using protocol::txn_status;


/// One transaction of the workload and what the engine said about it.
struct sent_txn {
  request req;
  bool acknowledged = false;  // a success answer arrived before the stop
  bool applied = false;       // final: applied exactly once
  bool verified = false;      // checked after a restart
  int64_t balance = 0;        // the acknowledged answer
  uint64_t version = 0;
};

/// The client-side model: every account's balance and version from the applied transactions.
struct model {
  std::map<std::string, int64_t> balance;
  std::map<std::string, uint64_t> version;
  void apply(const request& r) {
    auto move = [&](const std::string& account, int64_t delta) {
      balance[account] += delta;
      version[account] += 1;
    };
    switch (r.kind) {
      case txn_kind::bet:
      case txn_kind::withdraw:
        return move(r.account, -r.amount);
      case txn_kind::win:
      case txn_kind::deposit:
      case txn_kind::rollback:
        return move(r.account, r.amount);
      case txn_kind::transfer:
        move(r.account, -r.amount);
        return move(r.to, r.amount);
    }
  }
};

/// Random transactions that the ledger rules never refuse: every account starts with far more
/// money than the workload can take out of it.
class workload {
public:
  explicit workload(unsigned seed) : rng_(seed) {
    for (int i = 0; i < 40; ++i)
      accounts_.push_back("rp" + std::to_string(i));
  }
  const std::vector<std::string>& accounts() const { return accounts_; }

  request next(const std::vector<sent_txn>& history) {
    auto account = accounts_[rng_() % accounts_.size()];
    int64_t amount = 1 + static_cast<int64_t>(rng_() % 500);
    std::string id = "t" + std::to_string(seq_++);
    std::string partner = rng_() % 2 ? "acme" : "beta";
    switch (rng_() % 8) {
      case 0:
        return testing::req::txn(txn_kind::win, id, account, amount, "EUR", partner);
      case 1:
        return testing::req::txn(txn_kind::withdraw, id, account, amount, "EUR");
      case 2: {
        auto to = accounts_[rng_() % accounts_.size()];
        if (to == account)
          break;
        return testing::req::transfer(id, account, to, amount, "EUR");
      }
      case 3: {
        // Roll back an acknowledged bet that nobody rolled back yet.
        for (int tries = 0; tries < 5 && !history.empty(); ++tries) {
          const auto& h = history[rng_() % history.size()];
          if (h.req.kind != txn_kind::bet || !h.applied || rolled_back_.contains(h.req.id))
            continue;
          rolled_back_.insert(h.req.id);
          auto rb = testing::req::rollback(id, h.req.id, h.req.account, "EUR", h.req.partner);
          rb.amount = h.req.amount;  // the model needs it; sent as the optional amount
          rb.has_amount = true;
          return rb;
        }
        break;
      }
      default:
        break;
    }
    return testing::req::txn(txn_kind::bet, id, account, amount, "EUR", partner);
  }

private:
  std::mt19937 rng_;
  std::vector<std::string> accounts_;
  std::set<std::string> rolled_back_;
  uint64_t seq_ = 0;
};

/// How the unanswered transactions turned out (printed, to show the test bites).
inline struct {
  size_t found_applied = 0;     // durable before the stop, answer lost
  size_t applied_on_retry = 0;  // not durable: applied by the retry
} retry_stats;

inline bool success(const response& r) {
  return r.ok() && (r.outcome == txn_status::applied || r.outcome == txn_status::duplicate);
}

/// Sends `batch` pipelined on `c` and records the answers that arrive (until the engine
/// dies, if it does). Returns false once the connection is gone.
inline bool run_batch(client::connection& c, std::vector<sent_txn>& history, size_t from,
                      bool* timed_out = nullptr) {
  std::map<uint64_t, size_t> by_rid;
  try {
    for (size_t i = from; i < history.size(); ++i)
      by_rid[c.send(history[i].req)] = i;
    c.flush();
    while (!by_rid.empty()) {
      auto r = c.receive(10'000);
      if (!r) {
        if (timed_out != nullptr)
          *timed_out = true;
        return false;
      }
      auto it = by_rid.find(r->rid);
      BOOST_REQUIRE(it != by_rid.end());
      auto& h = history[it->second];
      by_rid.erase(it);
      if (success(*r)) {
        BOOST_CHECK(r->outcome == txn_status::applied);
        h.acknowledged = h.applied = true;
        h.balance = r->balance;
        h.version = r->version;
      } else {
        // Only "unknown outcome" answers are expected: the rules never refuse this load.
        BOOST_CHECK_MESSAGE(r->error == error_code::unavailable,
                            "unexpected refusal of " << h.req.id << ": " << r->message);
      }
    }
  } catch (const client::client_error&) {
    return false;
  }
  return true;
}

/// Connections for the three tokens the workload needs (admin, acme, beta).
struct workload_connections {
  std::unique_ptr<client::connection> conns[3];
  explicit workload_connections(const engine_process& engine) {
    conns[0] = engine.connect(admin_token);
    conns[1] = engine.connect(acme_token);
    conns[2] = engine.connect(beta_token);
  }
};

/// Sends 64 new transactions, pipelined, each on the connection its token needs (keeping the
/// order within a connection). False once a connection is gone (or, with `timed_out`, an
/// answer took longer than 10 s).
inline bool send_round(workload_connections& wc, workload& w, std::vector<sent_txn>& history,
                       bool* timed_out = nullptr) {
  size_t from = history.size();
  for (int i = 0; i < 64; ++i) {
    sent_txn h;
    h.req = w.next(history);
    history.push_back(std::move(h));
  }
  std::vector<sent_txn> parts[3];
  std::vector<size_t> index[3];
  for (size_t i = from; i < history.size(); ++i) {
    const auto& p = history[i].req.partner;
    int k = p == "acme" ? 1 : p == "beta" ? 2 : 0;
    parts[k].push_back(history[i]);
    index[k].push_back(i);
  }
  bool up = true;
  for (int k = 0; k < 3 && up; ++k) {
    up = run_batch(*wc.conns[k], parts[k], 0, timed_out);
    for (size_t j = 0; j < parts[k].size(); ++j)
      history[index[k][j]] = parts[k][j];
  }
  return up;
}

/// After a restart: every transaction is sent again with its id. Acknowledged ones must come
/// back as duplicates with their original result; the others are applied now or found applied.
inline void retry_all(engine_process& engine, std::vector<sent_txn>& history, bool everything = false) {
  auto admin = engine.connect(testing::admin_token);
  auto acme = engine.connect(testing::acme_token);
  auto beta = engine.connect(testing::beta_token);
  // One budget for the whole retry: a journal that stays unavailable fails the test in
  // seconds, not in 10 s per transaction.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (auto& h : history) {
    if (h.verified && !everything)
      continue;
    h.verified = true;
    auto& c = h.req.partner == "acme" ? *acme : h.req.partner == "beta" ? *beta : *admin;
    response r;
    for (;;) {  // a loaded machine may take seconds to have Redis back
      r = c.txn(h.req);
      if (r.ok() || r.error != error_code::unavailable ||
          std::chrono::steady_clock::now() > deadline)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    BOOST_REQUIRE_MESSAGE(success(r), "retry of " << h.req.id << " failed: " << r.message);
    if (h.acknowledged) {
      BOOST_CHECK_MESSAGE(r.outcome == txn_status::duplicate,
                          h.req.id << " was acknowledged but is not remembered");
      BOOST_CHECK_EQUAL(r.balance, h.balance);
      BOOST_CHECK_EQUAL(r.version, h.version);
    }
    if (!h.acknowledged) {  // its first answer: applied now, or found applied
      ++(r.outcome == txn_status::duplicate ? retry_stats.found_applied
                                            : retry_stats.applied_on_retry);
      h.balance = r.balance;
      h.version = r.version;
    }
    h.applied = h.acknowledged = true;
  }
}

/// Balances and versions equal the model, and EUR sums to zero over players, house, partners.
inline void check_state(engine_process& engine, const workload& w, const std::vector<sent_txn>& history,
                 int64_t initial_deposit) {
  model m;
  for (const auto& a : w.accounts()) {
    m.balance[a] = initial_deposit;
    m.version[a] = 1;
  }
  for (const auto& h : history)
    if (h.applied)
      m.apply(h.req);
  auto admin = engine.connect(testing::admin_token);
  int64_t sum = 0;
  for (const auto& a : w.accounts()) {
    auto r = admin->balance(a);
    BOOST_REQUIRE_MESSAGE(r.ok(), a << ": " << r.message);
    BOOST_CHECK_MESSAGE(r.balance == m.balance[a],
                        a << " balance " << r.balance << ", model " << m.balance[a]);
    BOOST_CHECK_MESSAGE(r.version == m.version[a],
                        a << " version " << r.version << ", model " << m.version[a]);
    sum += r.balance;
  }
  for (std::string clearing : {"house:EUR", "partner:acme:EUR", "partner:beta:EUR"}) {
    auto r = admin->balance(clearing);
    if (r.ok())
      sum += r.balance;
  }
  BOOST_CHECK_EQUAL(sum, 0);
}

inline void setup_accounts(engine_process& engine, const workload& w, int64_t initial_deposit) {
  auto admin = engine.connect(testing::admin_token);
  for (const auto& a : w.accounts()) {
    BOOST_REQUIRE(admin->open(a, "EUR").ok());
    auto r = admin->txn(testing::req::txn(txn_kind::deposit, "init-" + a, a, initial_deposit,
                                          "EUR"));
    BOOST_REQUIRE_MESSAGE(r.ok(), r.message);
  }
}


}  // namespace settle::testing::durability
