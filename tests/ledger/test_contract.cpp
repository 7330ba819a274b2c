// The specification of contract_set's fields and of a partner's periods, as tables: which
// contracts are accepted, the refusal (and the field it names) of every other, and how
// periods close and pick up a changed contract.
#define BOOST_TEST_MODULE contract
#include <boost/test/unit_test.hpp>
#include <map>
#include <string>

#include "ledger/contract.hpp"

using namespace settle::ledger;
using settle::protocol::error_code;

namespace {

/// Contracts already in force: a supplier "kr1" and a provider "evo".
const contract* known(std::string_view partner) {
  static const std::map<std::string, contract, std::less<>> contracts = [] {
    std::map<std::string, contract, std::less<>> m;
    m["kr1"].kind = partner_kind::supplier;
    m["kr1"].currency = pack_currency("EUR");
    m["evo"].kind = partner_kind::provider;
    return m;
  }();
  auto it = contracts.find(partner);
  return it == contracts.end() ? nullptr : &it->second;
}

/// A valid provider contract; each row changes one thing.
contract_fields provider() {
  contract_fields f;
  f.partner = "acme";
  f.kind = "provider";
  f.currency = "EUR";
  f.cycle = "daily";
  f.share_bps = 1200;
  return f;
}

/// provider() with one change.
contract_fields with(void (*change)(contract_fields&)) {
  auto f = provider();
  change(f);
  return f;
}

struct row {
  const char* rule;
  void (*change)(contract_fields&);  // applied to provider()
  const char* refusal;               // a part of the message, or nullptr when accepted
};

}  // namespace

BOOST_AUTO_TEST_CASE(contract_fields_are_checked_in_order) {
  const row rows[] = {
      {"a daily provider contract", [](contract_fields&) {}, nullptr},
      {"a weekly one in Seoul at 06:00",
       [](contract_fields& f) {
         f.cycle = "weekly";
         f.weekday = "mon";
         f.tz = "Asia/Seoul";
         f.cutoff = "06:00";
       },
       nullptr},
      {"monthly on the last day",
       [](contract_fields& f) {
         f.cycle = "monthly";
         f.day = "last";
       },
       nullptr},
      {"a supplier with a credit alert",
       [](contract_fields& f) {
         f.kind = "supplier";
         f.credit_alert = 50'000;
       },
       nullptr},
      {"a provider via a supplier", [](contract_fields& f) { f.via = "kr1"; }, nullptr},
      {"a payment provider with a rate limit",
       [](contract_fields& f) {
         f.kind = "payment";
         f.max_tps = 500;
       },
       nullptr},
      {"share at both ends", [](contract_fields& f) { f.share_bps = 0; }, nullptr},
      {"share 10000", [](contract_fields& f) { f.share_bps = 10'000; }, nullptr},
      {"max_tps at its limit", [](contract_fields& f) { f.max_tps = 10'000'000; }, nullptr},
      {"bad partner id", [](contract_fields& f) { f.partner = "a:b"; }, "field 'partner'"},
      {"empty partner id", [](contract_fields& f) { f.partner = ""; }, "field 'partner'"},
      {"unknown kind", [](contract_fields& f) { f.kind = "casino"; }, "field 'kind'"},
      {"unknown currency", [](contract_fields& f) { f.currency = "XYZ"; }, "field 'currency'"},
      {"a currency without minor unit", [](contract_fields& f) { f.currency = "XAU"; },
       "field 'currency'"},
      {"unknown cycle", [](contract_fields& f) { f.cycle = "hourly"; }, "field 'cycle'"},
      {"weekly without weekday", [](contract_fields& f) { f.cycle = "weekly"; }, "field 'weekday'"},
      {"monthly on the 31st",
       [](contract_fields& f) {
         f.cycle = "monthly";
         f.day = "31";
       },
       "field 'day'"},
      {"bad cutoff", [](contract_fields& f) { f.cutoff = "24:00"; }, "field 'cutoff'"},
      {"unknown zone", [](contract_fields& f) { f.tz = "Mars/Base"; }, "field 'tz'"},
      {"share missing", [](contract_fields& f) { f.share_bps = std::nullopt; },
       "field 'share_bps': missing"},
      {"share below 0", [](contract_fields& f) { f.share_bps = -1; }, "field 'share_bps'"},
      {"share above 10000", [](contract_fields& f) { f.share_bps = 10'001; }, "field 'share_bps'"},
      {"via a partner without contract", [](contract_fields& f) { f.via = "nobody"; },
       "has no supplier contract"},
      {"via a supplier in another currency",
       [](contract_fields& f) {
         f.via = "kr1";
         f.currency = "USD";
       },
       "settles in its currency"},
      {"via a provider", [](contract_fields& f) { f.via = "evo"; }, "has no supplier contract"},
      {"via itself",
       [](contract_fields& f) {
         f.partner = "kr1";
         f.via = "kr1";
       },
       "through itself"},
      {"a supplier via another",
       [](contract_fields& f) {
         f.kind = "supplier";
         f.via = "kr1";
       },
       "only a provider"},
      {"a provider with a credit alert", [](contract_fields& f) { f.credit_alert = 5; },
       "only a supplier"},
      {"a negative credit alert",
       [](contract_fields& f) {
         f.kind = "supplier";
         f.credit_alert = -1;
       },
       "field 'credit_alert'"},
      {"max_tps 0", [](contract_fields& f) { f.max_tps = 0; }, "field 'max_tps'"},
      {"max_tps past its limit", [](contract_fields& f) { f.max_tps = 10'000'001; },
       "field 'max_tps'"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.rule) {
      auto got = check_contract(with(r.change), known);
      if (r.refusal == nullptr) {
        BOOST_CHECK_MESSAGE(got.accepted, got.message);
        BOOST_CHECK(got.error == error_code::none);
      } else {
        BOOST_CHECK(!got.accepted);
        BOOST_CHECK(got.error == error_code::bad_request);
        BOOST_CHECK_MESSAGE(got.message.find(r.refusal) != std::string::npos, got.message);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(an_accepted_contract_holds_its_fields) {
  auto f = with([](contract_fields& f) {
    f.kind = "supplier";
    f.currency = "KRW";
    f.cycle = "monthly";
    f.day = "last", f.tz = "Asia/Seoul";
    f.credit_alert = 1'000'000;
    f.max_tps = 200;
  });
  auto c = *check_contract(f, known).accepted;
  BOOST_CHECK(c.kind == partner_kind::supplier);
  BOOST_CHECK_EQUAL(to_string(c.kind), "supplier");
  BOOST_CHECK_EQUAL(currency_text(c.currency), "KRW");
  BOOST_CHECK(c.cycle.kind == cycle_kind::monthly);
  BOOST_CHECK_EQUAL(c.cycle.day, 0);  // last
  BOOST_CHECK_EQUAL(c.cycle.zone_name, "Asia/Seoul");
  BOOST_CHECK_EQUAL(c.share_bps, 1200u);
  BOOST_CHECK_EQUAL(*c.credit_alert, 1'000'000);
  BOOST_CHECK_EQUAL(c.max_tps, 200u);
  BOOST_CHECK_EQUAL(c.revision, 0u);  // numbered by the caller
}

BOOST_AUTO_TEST_CASE(periods_close_at_boundaries_and_changes_wait_for_the_next_period) {
  constexpr int64_t day_ms = 86'400'000;
  constexpr int64_t start = 1'800'000'000'000;               // 2027-01-15T08:00:00Z
  auto first = *check_contract(provider(), known).accepted;  // daily at 00:00 UTC
  first.revision = 1;
  partner_schedule s{first, start};
  BOOST_CHECK_EQUAL(s.open_period(), 1u);
  BOOST_CHECK_EQUAL(s.open_since_unix_ms(), start);
  const int64_t midnight = (start / day_ms + 1) * day_ms;
  BOOST_CHECK_EQUAL(s.closes_at_unix_ms(), midnight);

  auto next = first;
  next.revision = 2;
  next.share_bps = 1500;
  s.change(next);
  BOOST_CHECK_EQUAL(s.in_force().revision, 1u);  // not before the next period
  BOOST_CHECK_EQUAL(s.newest().revision, 2u);

  auto p1 = s.close(midnight);  // automatic, at its boundary
  BOOST_CHECK_EQUAL(p1.period, 1u);
  BOOST_CHECK_EQUAL(p1.from_unix_ms, start);
  BOOST_CHECK_EQUAL(p1.to_unix_ms, midnight);
  BOOST_CHECK_EQUAL(p1.revision, 1u);
  BOOST_CHECK_EQUAL(s.in_force().share_bps, 1500u);
  BOOST_CHECK(!s.pending());

  auto p2 = s.close(midnight + 3'600'000);  // period_close, an hour later
  BOOST_CHECK_EQUAL(p2.period, 2u);
  BOOST_CHECK_EQUAL(p2.from_unix_ms, midnight);  // the next starts where the last ended
  BOOST_CHECK_EQUAL(p2.revision, 2u);
  BOOST_CHECK_EQUAL(s.closes_at_unix_ms(), midnight + day_ms);  // the boundary stays
  auto p3 = s.close(midnight + 3'600'000);                      // an empty period is still a period
  BOOST_CHECK_EQUAL(p3.period, 3u);
  BOOST_CHECK_EQUAL(p3.from_unix_ms, p3.to_unix_ms);
}
