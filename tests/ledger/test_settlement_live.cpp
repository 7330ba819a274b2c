// The open periods' live totals rebuilt from the journal at start (ledger/settlement_live):
// each contracted partner from its own period's start, and from its supplier's for the
// supplier's credit; partners without a contract are not kept.
#define BOOST_TEST_MODULE settlement_live
#include <boost/test/unit_test.hpp>

#include <string>

#include "ledger/settlement_live.hpp"

using namespace settle::ledger;
using settle::protocol::txn_kind;
using settle::protocol::txn_status;

namespace {

constexpr int64_t t0 = 1'800'000'000'000;  // 2027-01-15T08:00:00Z
const auto EUR = pack_currency("EUR");

contract_fields fields(std::string_view partner, std::string_view kind,
                       std::string_view via = "") {
  contract_fields f;
  f.partner = partner;
  f.kind = kind;
  f.currency = "EUR";
  f.cycle = "daily";
  f.share_bps = 1000;
  if (!via.empty())
    f.via = via;
  return f;
}

void take(settlement_book& b, settlement_verdict v) {
  BOOST_REQUIRE_MESSAGE(v.record, v.message);
  BOOST_REQUIRE_EQUAL(b.apply(*v.record), "");
}

journal_record bet(std::string partner, int64_t amount, int64_t at) {
  journal_record r;
  r.type = record_type::txn;
  r.role = leg_role::player;
  r.kind = txn_kind::bet;
  r.outcome = txn_status::applied;
  r.partner = std::move(partner);
  r.currency = "EUR";
  r.amount = -amount;
  r.at_unix_ms = at;
  r.txn_id = "b" + std::to_string(at) + r.partner;
  return r;
}

int64_t bets_of(const live_totals& t) {
  auto it = t.find(EUR);
  return it == t.end() ? 0 : it->second.bets;
}

}  // namespace

BOOST_AUTO_TEST_CASE(each_partner_from_its_period_and_its_suppliers) {
  settlement_book book;
  take(book, book.decide_contract(fields("sup", "supplier"), t0));
  take(book, book.decide_contract(fields("p1", "provider", "sup"), t0));
  take(book, book.decide_contract(fields("direct", "provider"), t0));
  // The supplier's first period closes at t0 + 10; p1's stays open since t0.
  take(book, book.decide_close("sup", t0 + 10, {}, {{"p1", 0}}, "x"));
  BOOST_REQUIRE_EQUAL(book.partner("sup")->schedule->open_since_unix_ms(), t0 + 10);

  auto c = live_collector(book);
  for (const auto& w : c.windows())
    BOOST_CHECK_EQUAL(w.to_unix_ms, INT64_MAX);  // open-ended: nothing closed since
  struct row {
    journal_record r;
    const char* why;
  };
  const std::vector<row> journal{
      {bet("p1", 1, t0 + 5), "p1 before its supplier's period: its own only"},
      {bet("p1", 20, t0 + 20), "p1 in both"},
      {bet("sup", 300, t0 + 20), "the supplier's own traffic"},
      {bet("sup", 4000, t0 + 5), "the supplier's closed period"},
      {bet("direct", 50000, t0 + 1), "a direct provider: no supplier"},
      {bet("nobody", 600000, t0 + 20), "no contract: not kept"},
  };
  for (const auto& j : journal)
    c.add(j.r);
  const auto live = live_from(book, c);
  BOOST_CHECK_EQUAL(bets_of(live.own.at("p1")), 21);
  BOOST_CHECK_EQUAL(bets_of(live.own.at("sup")), 300);
  BOOST_CHECK_EQUAL(bets_of(live.own.at("direct")), 50000);
  BOOST_CHECK_EQUAL(live.own.count("nobody"), 0u);
  BOOST_CHECK_EQUAL(live.own.at("p1").at(EUR).bet_count, 2u);
  BOOST_CHECK_EQUAL(live.via.size(), 1u);
  BOOST_CHECK_EQUAL(bets_of(live.via.at("sup").at("p1")), 20);
  BOOST_CHECK_EQUAL(bets_of(live.via.at("sup").at("sup")), 300);
  BOOST_CHECK_EQUAL(live.via.at("sup").count("direct"), 0u);
  // Totals only: no rows are kept for the live view.
  for (size_t i = 0; i < c.windows().size(); ++i)
    BOOST_CHECK(c.at(i).rows.empty());
}

BOOST_AUTO_TEST_CASE(a_book_without_contracts_has_no_windows) {
  settlement_book book;
  take(book, book.decide_suspension("acme", true));
  const auto c = live_collector(book);
  BOOST_CHECK(c.windows().empty());
  const auto live = live_from(book, c);
  BOOST_CHECK(live.own.empty());
  BOOST_CHECK(live.via.empty());
}

BOOST_AUTO_TEST_CASE(the_supplier_a_partner_consumes) {
  settlement_book book;
  take(book, book.decide_contract(fields("sup", "supplier"), t0));
  take(book, book.decide_contract(fields("p1", "provider", "sup"), t0));
  take(book, book.decide_contract(fields("direct", "payment"), t0));
  BOOST_CHECK_EQUAL(credit_supplier("sup", book.partner("sup")->schedule->in_force()), "sup");
  BOOST_CHECK_EQUAL(credit_supplier("p1", book.partner("p1")->schedule->in_force()), "sup");
  BOOST_CHECK_EQUAL(credit_supplier("direct", book.partner("direct")->schedule->in_force()), "");
}
