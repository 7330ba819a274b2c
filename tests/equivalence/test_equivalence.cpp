// One state, three ways to reach it: for random workloads (every kind of transaction, retries,
// conflicts, rollbacks before and after their bet, transfers within and across shards, blocks,
// and journal writes that fail and are undone), the state the live engine holds, the state a
// replay of its journal folds into, and that state written as a snapshot and read back are
// identical, field for field: accounts (partner marks included), remembered ids, tombstones,
// clearing accounts and partner totals.
#define BOOST_TEST_MODULE equivalence
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <tuple>

#include <rapidcheck.h>

#include "persistence/durable_image.hpp"
#include "persistence/snapshot_format.hpp"
#include "recording_journal.hpp"
#include "stepped_engine.hpp"
#include "tests/persistence/journal_model.hpp"

using namespace settle;
using namespace std::chrono_literals;
using settle::testing::stepped_engine;
using settle::testing::recording_journal;
namespace req = settle::testing::req;
using protocol::txn_kind;

namespace {

constexpr uint32_t shards = 4;
constexpr int players = 8;
const char* const partners[] = {"acme", "zeta"};
const char* const currencies[] = {"EUR", "USD"};

std::string player(int i) { return "p" + std::to_string(i); }
const char* currency_of(int i) { return i % 3 == 2 ? "USD" : "EUR"; }

/// One random step: what to do, on whom, how much.
using step = std::tuple<int, int, int, int, int, int>;  // op, account, other, partner, amount, pick

/// Turns random steps into requests the way providers and platforms send them: fresh ids,
/// retries and conflicting reuses of earlier ids, rollbacks of earlier bets (some naming the
/// wrong account or amount), rollbacks of bets never seen and the bets that arrive after them.
class workload {
public:
  explicit workload(recording_journal& journal) : journal_(journal) {}

  /// The request of step `s`, or nothing (the step only scripts the journal).
  std::optional<protocol::request> next(const step& s) {
    auto [op, a, b, p, amount, pick] = s;
    const auto id = "t" + std::to_string(++counter_);
    const auto acc = player(a);
    const char* cur = currency_of(a);
    switch (op) {
      case 0: return keep(req::open(acc, pick % 4 == 0 ? "USD" : cur));
      case 1: return keep(req::txn(txn_kind::deposit, id, acc, amount, cur));
      case 2: return keep_bet(req::txn(txn_kind::bet, id, acc, amount, cur, partners[p]));
      case 3: return keep(req::txn(txn_kind::win, id, acc, amount, cur, partners[p]));
      case 4: return keep(req::txn(txn_kind::withdraw, id, acc, amount, cur));
      case 5: return rollback_of_earlier_bet(id, b, pick);
      case 6: {
        unseen_.push_back({"never" + id, acc, cur, partners[p]});
        return keep(req::rollback("rb" + id, "never" + id, acc, cur, partners[p]));
      }
      case 7: return bet_after_its_rollback(amount, pick);
      case 8: return keep(req::transfer(id, acc, player(b), amount, cur));
      case 9: return keep(a % 2 ? req::block(acc) : req::unblock(acc));
      case 10: return retry(pick, amount % 3 == 0);
      default: journal_.fail_next(1 + pick % 2); return std::nullopt;
    }
  }

private:
  struct unseen {
    std::string ref, account, currency, partner;
  };
  protocol::request keep(protocol::request r) {
    if (r.op == protocol::op_kind::txn)
      sent_.push_back(r);
    return r;
  }
  protocol::request keep_bet(protocol::request r) {
    bets_.push_back(r);
    return keep(std::move(r));
  }
  std::optional<protocol::request> rollback_of_earlier_bet(const std::string& id, int other,
                                                           int pick) {
    if (bets_.empty())
      return std::nullopt;
    const auto& bet = bets_[pick % bets_.size()];
    auto rb = req::rollback("rb" + id, bet.id, bet.account, bet.currency, bet.partner);
    if (pick % 7 == 0)
      rb.account = player(other);  // the wrong account: ref_mismatch (or unknown currency)
    if (pick % 3 == 0) {
      rb.has_amount = true;
      rb.amount = bet.amount + (pick % 5 == 0 ? 1 : 0);
    }
    return keep(rb);
  }
  std::optional<protocol::request> bet_after_its_rollback(int amount, int pick) {
    if (unseen_.empty())
      return std::nullopt;
    const auto& u = unseen_[pick % unseen_.size()];
    return keep(req::txn(txn_kind::bet, u.ref, u.account, amount, u.currency, u.partner));
  }
  std::optional<protocol::request> retry(int pick, bool change_it) {
    if (sent_.empty())
      return std::nullopt;
    auto r = sent_[pick % sent_.size()];
    if (change_it)
      r.round = "changed";  // the same id with other fields: id_conflict
    return r;
  }

  recording_journal& journal_;
  int counter_ = 0;
  std::vector<protocol::request> sent_, bets_;
  std::vector<unseen> unseen_;
};

/// Moves the clock until no change is in flight (cross-shard credits and journal retries wait
/// on timers); nothing sleeps.
void settle_down(stepped_engine& f) {
  for (int i = 0; i < 1000; ++i) {
    auto st = f.stats();
    if (st.in_flight == 0 && st.transfers == 0)
      return;
    f.advance(5ms);
  }
  const auto st = f.stats();
  RC_FAIL("the engine did not settle down: " + std::to_string(st.in_flight) + " in flight, " +
          std::to_string(st.transfers) + " transfers");
}

/// The live engine's state, in the image's shape.
persistence::durable_image live_state(stepped_engine& f) {
  persistence::durable_image img{shards};
  for (uint32_t s = 0; s < shards; ++s) {
    auto d = f.dump(s);
    img.accounts[s] = std::move(d.accounts);
    img.partner_spill[s] = std::move(d.partner_spill);
  }
  f.eng().ids().for_each([&](const ledger::id_hash& key, const ledger::id_entry& e) {
    RC_ASSERT(e.state != ledger::id_state::pending);
    img.ids.emplace(key, e);
  });
  for (std::string owner : {"", "acme", "zeta"})
    for (const char* cur : currencies) {
      auto id = owner.empty() ? "house:" + std::string{cur} : "partner:" + owner + ":" + cur;
      auto bal = f.call(req::balance(id));
      if (!bal.ok())
        continue;  // never used
      ledger::clearing_account acc;
      acc.balance = bal.balance;
      acc.version = bal.version;
      if (!owner.empty())
        for (const auto& t : f.call(req::partner(owner)).totals)
          if (t.currency == cur) {
            acc.bets = t.bets, acc.wins = t.wins, acc.rollbacks = t.rollbacks;
            acc.bet_count = t.bet_count, acc.win_count = t.win_count;
            acc.rollback_count = t.rollback_count;
          }
      img.clearing[{owner, ledger::pack_currency(cur)}] = acc;
    }
  return img;
}

/// What a recovery would fold: the durable chunks' records, in journal order.
persistence::durable_image replayed(recording_journal& journal) {
  persistence::durable_image img{shards};
  for (const auto& c : journal.chunks())
    if (c.durable)
      for (const auto& r : c.records)
        persistence::fold(img, c.shard, r);
  return img;
}

}  // namespace

BOOST_AUTO_TEST_CASE(live_replay_and_snapshot_agree) {
  auto ok = rc::check("live == replay == snapshot", [] {
    const auto steps = *rc::gen::container<std::vector<step>>(rc::gen::tuple(
        rc::gen::inRange(0, 12), rc::gen::inRange(0, players), rc::gen::inRange(0, players),
        rc::gen::inRange(0, 2), rc::gen::inRange(1, 400), rc::gen::inRange(0, 1000)));
    auto journal = std::make_shared<recording_journal>();
    auto opts = stepped_engine::default_options();
    opts.shards = shards;
    opts.journal = journal;
    opts.shard.journal_retry_ms = 2;
    stepped_engine f{opts};
    for (int i = 0; i < players; ++i) {
      f.call(req::open(player(i), currency_of(i)));
      f.call(req::txn(txn_kind::deposit, "fund" + std::to_string(i), player(i), 1000,
                      currency_of(i)));
    }
    workload w{*journal};
    for (const auto& s : steps)
      if (auto r = w.next(s)) {
        // Sent and run until idle; a transfer's credit may still wait for a timer.
        const auto rid = f.send(*r);
        f.run();
        if (f.answered(rid))
          RC_ASSERT(f.answer(rid).error != protocol::error_code::internal);
      }
    f.answers();  // the rest (transfers answered once their timers fired) are not checked
    settle_down(f);
    const auto live = live_state(f);
    const auto image = replayed(*journal);
    RC_ASSERT(persistence::check_zero_sum(image).empty());
    RC_TAG(image.ids.size() < 20 ? "under 20 ids" : image.ids.size() < 60 ? "20..59 ids" : "60+ ids");
    const auto live_vs_replay = persistence::test::image_difference(live, image);
    if (!live_vs_replay.empty())
      RC_FAIL("live vs replay: " + live_vs_replay);
    const auto reloaded = persistence::decode_snapshot(
        persistence::encode_snapshot(image, 7, 512), 7, shards);  // small chunks: many of them
    const auto replay_vs_snapshot = persistence::test::image_difference(image, reloaded);
    if (!replay_vs_snapshot.empty())
      RC_FAIL("replay vs snapshot: " + replay_vs_snapshot);
  });
  BOOST_CHECK(ok);
}
