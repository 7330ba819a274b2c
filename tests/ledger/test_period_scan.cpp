// Which journal records make up a partner's period (ledger/period_scan), from a table.
#define BOOST_TEST_MODULE period_scan
#include <boost/test/unit_test.hpp>

#include "ledger/period_scan.hpp"

using namespace settle::ledger;
using settle::protocol::txn_kind;
using settle::protocol::txn_status;

namespace {

journal_record rec(std::string partner, txn_kind kind, int64_t change, int64_t at,
                   txn_status outcome = txn_status::applied, leg_role role = leg_role::player,
                   record_type type = record_type::txn) {
  journal_record r;
  r.type = type;
  r.role = role;
  r.kind = kind;
  r.outcome = outcome;
  r.partner = std::move(partner);
  r.currency = "EUR";
  r.amount = change;
  r.at_unix_ms = at;
  r.txn_id = "id" + std::to_string(at) + std::to_string(change);
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(records_count_in_their_partners_window_only) {
  struct row {
    journal_record r;
    bool counts;
    const char* why;
  };
  const std::vector<row> table{
      {rec("acme", txn_kind::bet, -100, 10), true, "a bet at from"},
      {rec("acme", txn_kind::win, 40, 19), true, "a win just before to"},
      {rec("acme", txn_kind::rollback, 100, 15), true, "a rollback"},
      {rec("acme", txn_kind::bet, -100, 20), false, "at to: the next period"},
      {rec("acme", txn_kind::bet, -100, 9), false, "before from"},
      {rec("beta", txn_kind::bet, -100, 12), false, "another partner"},
      {rec("acme", txn_kind::rollback, 0, 12, txn_status::noop), false, "a noop rollback"},
      {rec("acme", txn_kind::bet, 0, 12, txn_status::duplicate), false, "a duplicate note"},
      {rec("acme", txn_kind::deposit, 100, 12), false, "a deposit"},
      {rec("acme", txn_kind::bet, -100, 12, txn_status::applied, leg_role::transfer_debit),
       false, "not a player leg"},
      {rec("acme", txn_kind::bet, 0, 12, txn_status::applied, leg_role::player,
           record_type::status),
       false, "not a txn record"},
  };
  period_collector c{{{"acme", 10, 20}, {"gamma", 0, 100}}};
  uint64_t expected = 0;
  for (const auto& t : table) {
    BOOST_TEST_CONTEXT(t.why) {
      const size_t before = c.of("acme").rows.size();
      c.add(t.r);
      BOOST_CHECK_EQUAL(c.of("acme").rows.size() - before, t.counts ? 1u : 0u);
      expected += t.counts;
    }
  }
  const auto& got = c.of("acme");
  BOOST_CHECK_EQUAL(got.rows.size(), expected);
  const auto& eur = got.totals.at(pack_currency("EUR"));
  BOOST_CHECK_EQUAL(eur.bets, 100);
  BOOST_CHECK_EQUAL(eur.wins, 40);
  BOOST_CHECK_EQUAL(eur.rollbacks, 100);
  BOOST_CHECK_EQUAL(eur.bet_count + eur.win_count + eur.rollback_count, 3u);
  BOOST_CHECK(got.rows[0].amount == 100 && got.rows[0].kind == txn_kind::bet);
  BOOST_CHECK(c.of("gamma").rows.empty());
  BOOST_CHECK_EQUAL(c.earliest_from_unix_ms(), 0);
  BOOST_CHECK_EQUAL(got.totals_list().size(), 1u);
}
