// The settlement book as a state machine: what each admin request is decided as (a record or
// a refusal with its code), what applying the record does, and that a book rebuilt from the
// records alone (a replay) equals the live one.
#define BOOST_TEST_MODULE settlement_book
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "ledger/settlement_book.hpp"

using namespace settle::ledger;
using settle::protocol::error_code;

namespace {

constexpr int64_t t0 = 1'800'000'000'000;  // 2027-01-15T08:00:00Z
constexpr int64_t day_ms = 86'400'000;
const auto EUR = pack_currency("EUR");
const auto KRW = pack_currency("KRW");

contract_fields fields(std::string_view partner, std::string_view kind, uint32_t share_bps,
                       std::string_view currency = "EUR") {
  contract_fields f;
  f.partner = partner;
  f.kind = kind;
  f.currency = currency;
  f.cycle = "daily";
  f.share_bps = share_bps;
  return f;
}

/// A book that keeps every record it applied, to replay them into a second one.
struct journaled_book {
  settlement_book live;
  std::vector<settlement_record> journal;

  /// Applies a verdict's record (as the engine does once it is journaled).
  settlement_verdict take(settlement_verdict v) {
    if (v.record) {
      BOOST_REQUIRE_EQUAL(live.apply(*v.record), "");
      journal.push_back(*v.record);
    }
    return v;
  }
  settlement_book replayed() const {
    settlement_book b;
    for (const auto& r : journal)
      BOOST_REQUIRE_EQUAL(b.apply(r), "");
    return b;
  }
};

period_totals eur(int64_t bets, int64_t wins) {
  return {EUR, bets, wins, 0, 1, 1, 0};
}

}  // namespace

BOOST_AUTO_TEST_CASE(contracts_number_their_revisions_and_apply_from_the_next_period) {
  journaled_book b;
  auto v = b.take(b.live.decide_contract(fields("acme", "provider", 1000), t0));
  BOOST_REQUIRE(!v.refused());
  BOOST_CHECK_EQUAL(std::get<contract_record>(*v.record).revision, 1u);
  v = b.take(b.live.decide_contract(fields("acme", "provider", 2000), t0 + 5));
  BOOST_CHECK_EQUAL(std::get<contract_record>(*v.record).revision, 2u);
  const auto* p = b.live.partner("acme");
  BOOST_CHECK_EQUAL(p->schedule->in_force().share_bps, 1000u);  // until the period closes
  BOOST_CHECK_EQUAL(p->schedule->newest().share_bps, 2000u);
  v = b.take(b.live.decide_close("acme", t0 + 10, {eur(10'000, 0)}, {}, "x"));
  BOOST_REQUIRE_MESSAGE(!v.refused(), v.message);
  const auto& st = b.live.partner("acme")->statements.back();
  BOOST_CHECK_EQUAL(st.terms.revision, 1u);
  BOOST_CHECK_EQUAL(st.share, 1'000);
  BOOST_CHECK_EQUAL(b.live.partner("acme")->schedule->in_force().share_bps, 2000u);
}

BOOST_AUTO_TEST_CASE(refusals_and_their_codes) {
  journaled_book b;
  b.take(b.live.decide_contract(fields("kr1", "supplier", 2000, "KRW"), t0));
  b.take(b.live.decide_contract(fields("acme", "provider", 1000), t0));
  struct row {
    const char* rule;
    settlement_verdict got;
    error_code want;
  };
  auto via_fields = fields("evo", "provider", 1000, "KRW");
  via_fields.via = "kr1";
  BOOST_REQUIRE(!b.take(b.live.decide_contract(via_fields, t0)).refused());
  via_fields.currency = "EUR";
  BOOST_CHECK(b.live.decide_contract(via_fields, t0).message.find("settles in its currency") !=
              std::string::npos);
  const row rows[] = {
      {"a bad contract is bad_request", b.live.decide_contract(fields("x", "casino", 1), t0),
       error_code::bad_request},
      {"a supplier with providers via it stays a supplier",
       b.live.decide_contract(fields("kr1", "provider", 1000, "KRW"), t0),
       error_code::bad_request},
      {"a close without contract", b.live.decide_close("nobody", t0, {}, {}, ""),
       error_code::no_contract},
      {"a close without a rate", b.live.decide_close("kr1", t0 + 1, {eur(10, 0)}, {}, ""),
       error_code::fx_missing},
      {"a top-up without contract", b.live.decide_topup("nobody", "t1", 5, "KRW", t0),
       error_code::no_contract},
      {"a top-up of a provider", b.live.decide_topup("acme", "t1", 5, "EUR", t0),
       error_code::bad_request},
      {"a top-up in another currency", b.live.decide_topup("kr1", "t1", 5, "EUR", t0),
       error_code::currency_mismatch},
      {"a top-up of nothing", b.live.decide_topup("kr1", "t1", 0, "KRW", t0),
       error_code::invalid_amount},
      {"an FX rate of an unknown currency", b.live.decide_fx("EUR", "XYZ", "1.1", t0),
       error_code::bad_request},
      {"an FX rate of a currency into itself", b.live.decide_fx("EUR", "EUR", "1", t0),
       error_code::bad_request},
      {"an FX rate that is no decimal", b.live.decide_fx("EUR", "KRW", "1,5", t0),
       error_code::bad_request},
  };
  for (const auto& r : rows)
    BOOST_TEST_CONTEXT(r.rule) {
      BOOST_CHECK(r.got.refused());
      BOOST_CHECK(!r.got.record);
      BOOST_CHECK_EQUAL(static_cast<int>(r.got.error), static_cast<int>(r.want));
      BOOST_CHECK(!r.got.message.empty());
    }
  // An FX rate older than the newest of its pair is refused; the same instant replaces.
  b.take(b.live.decide_fx("EUR", "KRW", "1450", t0 + 100));
  BOOST_CHECK(b.live.decide_fx("EUR", "KRW", "1449", t0 + 99).refused());
  BOOST_CHECK(!b.live.decide_fx("EUR", "KRW", "1451", t0 + 100).refused());
}

BOOST_AUTO_TEST_CASE(top_ups_are_idempotent_and_credit_is_consumed_by_closed_shares) {
  journaled_book b;
  b.take(b.live.decide_contract(fields("kr1", "supplier", 2000, "KRW"), t0));
  BOOST_REQUIRE(!b.take(b.live.decide_topup("kr1", "t1", 100'000, "KRW", t0)).refused());
  auto again = b.live.decide_topup("kr1", "t1", 100'000, "KRW", t0 + 1);
  BOOST_CHECK(again.unchanged && !again.record && !again.refused());
  BOOST_CHECK(b.live.decide_topup("kr1", "t1", 5, "KRW", t0).error == error_code::id_conflict);
  BOOST_CHECK_EQUAL(b.live.credit_remaining("kr1", 0), 100'000);
  BOOST_CHECK_EQUAL(b.live.credit_remaining("kr1", 30'000), 70'000);  // accruing live
  // Closed: 20% of 250,000 KRW of GGR is consumed.
  b.take(b.live.decide_close("kr1", t0 + day_ms, {{KRW, 300'000, 50'000, 0, 2, 1, 0}}, {}, ""));
  BOOST_CHECK_EQUAL(b.live.partner("kr1")->statements.back().net_payable, 50'000);
  BOOST_CHECK_EQUAL(b.live.credit_remaining("kr1", 0), 50'000);
  // A negative open period consumes nothing.
  BOOST_CHECK_EQUAL(b.live.credit_remaining("kr1", -10'000), 50'000);
  BOOST_CHECK_EQUAL(b.live.credit_remaining("kr1", 60'000), -10'000);  // exhausted
}

BOOST_AUTO_TEST_CASE(suspension_and_due_closes) {
  journaled_book b;
  b.take(b.live.decide_contract(fields("acme", "provider", 1000), t0));
  BOOST_CHECK(b.take(b.live.decide_suspension("acme", true)).record);
  BOOST_CHECK(b.live.partner("acme")->suspended);
  BOOST_CHECK(b.live.decide_suspension("acme", true).unchanged);
  BOOST_CHECK(b.take(b.live.decide_suspension("acme", false)).record);
  BOOST_CHECK(!b.live.partner("acme")->suspended);
  BOOST_CHECK(b.live.decide_suspension("other", false).unchanged);  // never suspended
  const int64_t midnight = (t0 / day_ms + 1) * day_ms;
  BOOST_CHECK(b.live.due(midnight - 1).empty());
  BOOST_CHECK_EQUAL(b.live.due(midnight).size(), 1u);
}

BOOST_AUTO_TEST_CASE(negative_periods_carry_forward_across_closes) {
  journaled_book b;
  b.take(b.live.decide_contract(fields("acme", "provider", 1000), t0));
  b.take(b.live.decide_close("acme", t0 + 1, {eur(1'000, 6'000)}, {}, ""));  // share -500
  b.take(b.live.decide_close("acme", t0 + 2, {eur(8'000, 0)}, {}, ""));      // 800 - 500
  const auto& st = b.live.partner("acme")->statements;
  BOOST_REQUIRE_EQUAL(st.size(), 2u);
  BOOST_CHECK_EQUAL(st[0].net_payable, 0);
  BOOST_CHECK_EQUAL(st[0].carried_forward, -500);
  BOOST_CHECK_EQUAL(st[1].terms.carried_in, -500);
  BOOST_CHECK_EQUAL(st[1].net_payable, 300);
  BOOST_CHECK_EQUAL(st[1].terms.period, 2u);
  BOOST_CHECK_EQUAL(st[1].terms.from_unix_ms, t0 + 1);
}

BOOST_AUTO_TEST_CASE(a_replay_of_the_records_rebuilds_the_same_book) {
  journaled_book b;
  b.take(b.live.decide_contract(fields("kr1", "supplier", 2000, "KRW"), t0));
  auto via = fields("evo", "provider", 1000, "KRW");
  via.via = "kr1";
  BOOST_REQUIRE(!b.take(b.live.decide_contract(via, t0)).refused());
  b.take(b.live.decide_fx("EUR", "KRW", "1450.5", t0));
  b.take(b.live.decide_topup("kr1", "t1", 1'000'000, "KRW", t0));
  b.take(b.live.decide_close("evo", t0 + 10, {eur(1'000, 0)}, {}, "c1"));
  const auto line = b.live.partner("evo")->statements.back().ggr_settlement;
  BOOST_CHECK_EQUAL(line, 14'505);  // 10.00 EUR at 1450.5
  BOOST_CHECK_EQUAL(b.live.partner("evo")->statements.back().payable_to, "kr1");
  b.take(b.live.decide_close("kr1", t0 + 10, {}, {{"evo", line}}, "c2"));
  b.take(b.live.decide_suspension("evo", true));
  const auto again = b.replayed();
  for (const auto* id : {"kr1", "evo"}) {
    BOOST_TEST_CONTEXT(id) {
      const auto* x = b.live.partner(id);
      const auto* y = again.partner(id);
      BOOST_REQUIRE(y != nullptr);
      BOOST_CHECK_EQUAL(x->schedule->open_period(), y->schedule->open_period());
      BOOST_CHECK_EQUAL(x->schedule->open_since_unix_ms(), y->schedule->open_since_unix_ms());
      BOOST_CHECK_EQUAL(x->suspended, y->suspended);
      BOOST_CHECK_EQUAL(x->credit_topped_up, y->credit_topped_up);
      BOOST_CHECK_EQUAL(x->credit_consumed, y->credit_consumed);
      BOOST_CHECK_EQUAL(x->carried, y->carried);
      BOOST_REQUIRE_EQUAL(x->statements.size(), y->statements.size());
      BOOST_CHECK_EQUAL(x->statements.back().net_payable, y->statements.back().net_payable);
      BOOST_CHECK_EQUAL(x->statements.back().checksum, y->statements.back().checksum);
    }
  }
  BOOST_CHECK_EQUAL(b.live.partner("kr1")->statements.back().share, 2'901);  // 20% of 14,505
  // A record out of order does not fit: a second close of period 1.
  settlement_book fresh = b.replayed();
  BOOST_CHECK_NE(fresh.apply(b.journal[4]), "");
}
