// Property: for any sequence of requests, the actor engine answers exactly like the
// reference model (every response and every balance), and every currency sums to zero. The
// engine runs on CAF's threads (engine_fixture), and stepped on this thread (stepped_engine)
// with journal faults the case chooses, which replay exactly when rapidcheck shrinks them.
#define BOOST_TEST_MODULE property
#include <boost/test/unit_test.hpp>
#include <rapidcheck.h>
#include <rapidcheck/boost_test.h>

#include "engine_fixture.hpp"
#include "reference_model.hpp"
#include "stepped_engine.hpp"
#include "test_journals.hpp"

using namespace settle;
using persistence::durability;
using protocol::error_code;
using protocol::op_kind;
using protocol::request;
using protocol::response;
using protocol::txn_kind;

namespace {

const char* const currencies[] = {"EUR", "USD"};
const char* const partners[] = {"p0", "p1"};
constexpr int account_count = 5;
constexpr int id_count = 8;
constexpr int64_t max_amount = 100'000;

/// One generated step; small pools of accounts and ids make collisions (retries,
/// conflicts, rollbacks of real bets) frequent.
struct step {
  int op = 0;  // see to_request
  int kind = 0, account = 0, other = 0, currency = 0, partner = 0, id = 0, ref = 0;
  int64_t amount = 0;
  bool with_amount = false;
};

rc::Gen<step> gen_step() {
  return rc::gen::build<step>(
      rc::gen::set(&step::op, rc::gen::inRange(0, 20)),
      rc::gen::set(&step::kind, rc::gen::inRange(0, 6)),
      rc::gen::set(&step::account, rc::gen::inRange(0, account_count)),
      rc::gen::set(&step::other, rc::gen::inRange(0, account_count)),
      rc::gen::set(&step::currency, rc::gen::weightedElement<int>({{9, 0}, {1, 1}})),
      rc::gen::set(&step::partner, rc::gen::inRange(0, 2)),
      rc::gen::set(&step::id, rc::gen::inRange(0, id_count)),
      rc::gen::set(&step::ref, rc::gen::inRange(0, id_count)),
      rc::gen::set(&step::amount,
                   rc::gen::weightedOneOf<int64_t>({{1, rc::gen::inRange<int64_t>(-5, 1)},
                                                    {20, rc::gen::inRange<int64_t>(1, 500)},
                                                    {1, rc::gen::just(max_amount + 1)}})),
      rc::gen::set(&step::with_amount, rc::gen::arbitrary<bool>()));
}

std::string account_name(int i) {
  return "acc" + std::to_string(i);
}

request to_request(const step& s) {
  request r;
  r.account = account_name(s.account);
  r.currency = currencies[s.currency];
  if (s.op < 3) {  // open: mostly in EUR, sometimes a clashing currency
    r.op = op_kind::open;
    r.currency = s.account % 2 == 0 ? currencies[s.currency] : "USD";
    return r;
  }
  if (s.op == 3) {
    r.op = op_kind::balance;
    return r;
  }
  if (s.op == 4) {
    r.op = op_kind::balance;
    r.account = s.kind % 2 == 0 ? std::string{"house:"} + currencies[s.currency]
                                : std::string{"partner:"} + partners[s.partner] + ":" +
                                      currencies[s.currency];
    return r;
  }
  if (s.op == 5) {
    r.op = s.kind % 2 == 0 ? op_kind::block : op_kind::unblock;
    return r;
  }
  if (s.op == 6) {
    r.op = op_kind::partner;
    r.partner = partners[s.partner];
    return r;
  }
  r.op = op_kind::txn;
  r.kind = static_cast<txn_kind>(s.kind);
  r.id = "t" + std::to_string(s.id);
  r.amount = s.amount;
  r.has_amount = true;
  switch (r.kind) {
    case txn_kind::bet:
    case txn_kind::win:
      r.partner = partners[s.partner];
      r.round = "r" + std::to_string(s.ref);
      break;
    case txn_kind::rollback:
      r.partner = partners[s.partner];
      r.ref = "t" + std::to_string(s.ref);
      r.has_amount = s.with_amount;
      if (!r.has_amount)
        r.amount = 0;
      break;
    case txn_kind::transfer:
      r.to = account_name(s.other);
      break;
    default:
      break;
  }
  return r;
}

std::string show(const response& r) {
  std::string s = r.ok() ? "ok" : std::string{protocol::to_string(r.error)};
  s += " outcome=" + std::string{protocol::to_string(r.outcome)};
  s += " balance=" + std::to_string(r.balance) + " version=" + std::to_string(r.version);
  s += " has_balance=" + std::to_string(r.has_balance);
  return s;
}

void check_same(const request& req, const response& got, const response& want) {
  RC_ASSERT(got.error == want.error);
  if (!want.ok()) {
    RC_ASSERT(got.has_balance == want.has_balance);
    if (want.has_balance)
      RC_ASSERT(got.balance == want.balance);
    return;
  }
  switch (req.op) {
    case op_kind::txn:
      RC_ASSERT(got.outcome == want.outcome);
      RC_ASSERT(got.balance == want.balance);
      RC_ASSERT(got.version == want.version);
      break;
    case op_kind::balance:
    case op_kind::block:
    case op_kind::unblock:
      RC_ASSERT(got.currency == want.currency);
      RC_ASSERT(got.kind == want.kind);
      RC_ASSERT(got.status == want.status);
      RC_ASSERT(got.balance == want.balance);
      RC_ASSERT(got.version == want.version);
      break;
    case op_kind::partner:
      RC_ASSERT(got.totals == want.totals);
      break;
    default:
      break;
  }
}

/// Every balance equals the model's, and each currency sums to zero (either engine).
template <class Engine>
void check_balances(Engine& f, testing::reference_model& model) {
  for (auto& [id, acc] : model.accounts) {
    auto b = f.call(testing::req::balance(id));
    RC_ASSERT(b.ok());
    RC_ASSERT(b.balance == acc.balance);
    RC_ASSERT(b.version == acc.version);
  }
  for (auto* cur : currencies)
    RC_ASSERT(model.total(cur) == 0);
}

/// Runs random steps against the engine built with `opts` and the model side by side.
void run_against_model(actors::engine_options opts) {
  const auto steps = *rc::gen::container<std::vector<step>>(gen_step());
  opts.shard.max_amount = max_amount;
  testing::engine_fixture f{opts};
  testing::reference_model model{max_amount};
  for (const auto& s : steps) {
    auto r = to_request(s);
    RC_LOG() << "sending " << protocol::to_string(r.op) << " " << r.account << " "
             << protocol::to_string(r.kind) << "\n";
    auto got = f.call(r);
    auto want = model.apply(r);
    RC_LOG() << protocol::to_string(r.op) << " " << r.account << " "
             << (r.op == op_kind::txn ? std::string{protocol::to_string(r.kind)} + " " + r.id +
                                            " amount=" + std::to_string(r.amount)
                                      : std::string{})
             << " -> engine " << show(got) << " / model " << show(want) << "\n";
    check_same(r, got, want);
  }
  check_balances(f, model);
}

/// What the journal does with the first chunk a step hands it.
enum class fault { none, refuse, doubt_then_land, doubt_then_refuse };

const char* to_string(fault f) {
  switch (f) {
    case fault::none:
      return "none";
    case fault::refuse:
      return "refuse";
    case fault::doubt_then_land:
      return "doubt_then_land";
    case fault::doubt_then_refuse:
      return "doubt_then_refuse";
  }
  return "?";
}

rc::Gen<fault> gen_fault() {
  return rc::gen::weightedElement<fault>({{12, fault::none},
                                          {2, fault::refuse},
                                          {1, fault::doubt_then_land},
                                          {1, fault::doubt_then_refuse}});
}

/// Runs random steps, each with a journal fault, against the stepped engine and the model. A
/// step whose first chunk is refused (or in doubt, then refused) is answered `unavailable` and
/// never happened; one in doubt that then lands is answered `unavailable` and happened.
void run_with_journal_faults() {
  const auto steps = *rc::gen::container<std::vector<std::pair<step, fault>>>(
      rc::gen::pair(gen_step(), gen_fault()));
  auto journal = std::make_shared<testing::scripted_journal>();
  auto opts = testing::stepped_engine::default_options();
  opts.shard.max_amount = max_amount;
  opts.journal = journal;
  testing::stepped_engine f{opts};
  testing::reference_model model{max_amount};
  for (const auto& [s, fl] : steps) {
    auto r = to_request(s);
    journal->fail(fl == fault::refuse ? 1 : 0);
    journal->hold(fl == fault::doubt_then_land || fl == fault::doubt_then_refuse ? 1 : 0);
    const auto chunks_before = journal->chunks();
    const auto model_before = model;
    auto want = model.apply(r);
    auto rid = f.send(r);
    f.run();
    const bool hit = fl != fault::none && journal->chunks() > chunks_before;
    journal->fail(0);  // a step that journaled nothing leaves nothing armed
    journal->hold(0);
    RC_LOG() << protocol::to_string(r.op) << " " << r.account << " "
             << (r.op == op_kind::txn ? std::string{protocol::to_string(r.kind)} + " " + r.id +
                                            " amount=" + std::to_string(r.amount)
                                      : std::string{})
             << " fault=" << to_string(fl) << (hit ? " (hit)" : "") << "\n";
    auto got = f.answer(rid);
    if (!hit) {
      RC_LOG() << "  -> engine " << show(got) << " / model " << show(want) << "\n";
      check_same(r, got, want);
      RC_ASSERT(f.stats().transfers == 0u);
      continue;
    }
    RC_ASSERT(got.error == error_code::unavailable);
    if (fl != fault::refuse) {
      journal->release(fl == fault::doubt_then_land ? durability::durable : durability::failed);
      f.run();
    }
    if (fl != fault::doubt_then_land)
      model = model_before;
    RC_ASSERT(f.pending().empty());  // answered once
    RC_ASSERT(f.stats().transfers == 0u);
  }
  check_balances(f, model);
  RC_ASSERT(f.unexpected().empty());
}

}  // namespace

RC_BOOST_PROP(engine_answers_like_the_model, ()) {
  run_against_model(testing::engine_fixture::default_options());
}

RC_BOOST_PROP(engine_with_a_journal_answers_like_the_model, ()) {
  // Every change travels through journal chunks confirmed later on another thread.
  auto opts = testing::engine_fixture::default_options();
  opts.journal = std::make_shared<testing::async_journal>(std::chrono::microseconds(50));
  run_against_model(opts);
}

RC_BOOST_PROP(stepped_engine_with_journal_faults_answers_like_the_model, ()) {
  run_with_journal_faults();
}
