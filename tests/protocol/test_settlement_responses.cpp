// Settlement answers (issue 12): encode_response -> decode_response round trips of every op's
// answer, the keys written, the op a client infers from them, and answers it must refuse.
#include <boost/test/unit_test.hpp>

#include <limits>
#include <memory>
#include <set>
#include <string>

#include "protocol/settlement.hpp"
#include "protocol_test_util.hpp"

using namespace settle::protocol;
using namespace settle::protocol::test;
using keys = std::set<std::string>;

namespace {

response answer(op_kind op, const settlement_answer& a) {
  response r;
  r.op = op;
  r.rid = 8;
  r.partner = op == op_kind::fx || op == op_kind::fx_set || op == op_kind::reconcile ? "" : "acme";
  r.settlement = std::make_shared<settlement_answer>(a);
  return r;
}

std::string encoded_body(const response& in) {
  std::vector<char> out;
  encode_response(in, out);
  return body_of(out);
}

/// Encodes `in`, decodes it into a reused response, and checks everything came back. `op` is
/// the op the client infers (fx_set answers look like fx answers).
void round_trip(const response& in, op_kind inferred, response& back) {
  std::string why = "stale";
  BOOST_REQUIRE_MESSAGE(decode_response(encoded_body(in), back, why), why);
  BOOST_CHECK(why.empty());
  BOOST_CHECK(back.ok());
  BOOST_CHECK_EQUAL(back.rid, in.rid);
  BOOST_CHECK_MESSAGE(back.op == inferred, to_string(back.op) << " == " << to_string(inferred));
  BOOST_CHECK_EQUAL(back.partner, in.partner);
  BOOST_CHECK(back.currency.empty());
  BOOST_CHECK(back.totals.empty());
  BOOST_REQUIRE(back.settlement != nullptr);
  BOOST_CHECK(*back.settlement == *in.settlement);
}

void round_trip(const response& in) {
  response back;
  round_trip(in, in.op == op_kind::fx_set ? op_kind::fx : in.op, back);
}

contract_terms contract() {
  contract_terms c;
  c.kind = "supplier";
  c.currency = "EUR";
  c.cycle = "weekly";
  c.weekday = "sun";
  c.tz = "Asia/Seoul";
  c.cutoff = "23:59";
  c.share_bps = 10000;
  c.credit_alert = 0;
  c.max_tps = 10'000'000;
  return c;
}

statement_totals totals(const char* currency, int64_t ggr) {
  statement_totals t;
  t.currency = currency;
  t.bets = ggr + 100;
  t.wins = 70;
  t.rollbacks = 30;
  t.bet_count = 12;
  t.win_count = 7;
  t.rollback_count = 1;
  t.ggr = ggr;
  t.fx_rate = std::string{currency} == "EUR" ? "1" : "1/1382.5";
  t.ggr_settlement = ggr / 3;
  return t;
}

settlement_answer statement(bool supplier) {
  settlement_answer a;
  a.period = 12;
  a.from_unix_ms = 1'795'000'000'000;
  a.to_unix_ms = 1'795'086'400'000;
  a.revision = 3;
  a.currency = "EUR";
  statement_answer& s = a.statement;
  s.share_bps = 1500;
  s.totals = {totals("EUR", 50'000), totals("KRW", -9'000'000)};
  s.ggr_settlement = -123'456;
  s.share = -18'518;
  s.net_payable = 0;
  s.carried_in = -1'000;
  s.carried_forward = -19'518;
  s.txn_count = 20;
  s.checksum = std::string(64, 'a');
  s.payable_to = "acme";
  if (supplier)
    s.lines = {{"prov-1", 100}, {"prov-2", -200}, {"acme", 0}};
  return a;
}

reconcile_answer reconcile(bool complete, bool chunked) {
  reconcile_answer r;
  r.complete = complete;
  r.reconcile_id = chunked ? "recon-1" : "";
  r.rows_received = 20'000;
  if (complete) {
    r.matched = 19'990;
    r.missing_in_engine = {"x-1", "x-2"};
    r.missing_in_report = {"y-1"};
    r.mismatched = {std::string(64, 'm')};
    r.duplicate_in_report = {};
    r.missing_in_engine_count = 2;
    r.missing_in_report_count = 5000;  // more than listed
    r.mismatched_count = 1;
  }
  return r;
}

/// An array holding one map of `pairs`.
value array_of_maps(std::vector<std::pair<std::string, value>> pairs) {
  return [pairs](sbuf_packer& pk) {
    pk.pack_array(1);
    pk.pack_map(static_cast<uint32_t>(pairs.size()));
    for (const auto& [k, v] : pairs) {
      pk.pack(k);
      v(pk);
    }
  };
}

bool decodes(const std::string& body, std::string& why) {
  response r;
  const bool ok = decode_response(body, r, why);
  BOOST_CHECK_EQUAL(ok, why.empty());
  return ok;
}

}  // namespace

BOOST_AUTO_TEST_CASE(contract_answers_round_trip) {
  settlement_answer a;
  a.revision = 4;
  round_trip(answer(op_kind::contract_set, a));
  BOOST_CHECK((keys_of(encoded_body(answer(op_kind::contract_set, a))) ==
               keys{"rid", "ok", "partner", "revision"}));
  a.contract = contract();
  round_trip(answer(op_kind::contract, a));
  BOOST_CHECK((keys_of(encoded_body(answer(op_kind::contract, a))) ==
               keys{"rid", "ok", "partner", "revision", "kind", "currency", "cycle", "tz",
                    "cutoff", "weekday", "share_bps", "credit_alert", "max_tps", "period", "from",
                    "live", "suspended"}));
  // The open period and its live totals (one currency with every field, one near the limits).
  a.period = 3;
  a.from_unix_ms = 1'764'633'600'000;
  a.live.push_back({"EUR", 1000, 400, 50, 3, 2, 1, 550});
  a.live.push_back({"KRW", std::numeric_limits<int64_t>::max(), 0, 0, UINT64_MAX, 0, 0,
                    std::numeric_limits<int64_t>::max()});
  a.suspended = true;
  round_trip(answer(op_kind::contract, a));
  {
    const auto live_body = encoded_body(answer(op_kind::contract, a));
    BOOST_CHECK_EQUAL(value_of<uint64_t>(live_body, "period"), 3u);
    BOOST_CHECK_EQUAL(value_of<bool>(live_body, "suspended"), true);
  }
  // The share so far (present only when every currency converts).
  a.has_live_share = true;
  a.live_ggr_settlement = -1234;
  a.live_share = -123;
  round_trip(answer(op_kind::contract, a));
  BOOST_CHECK_EQUAL(value_of<int64_t>(encoded_body(answer(op_kind::contract, a)), "live_share"),
                    -123);
  a.has_live_share = false;
  a.live_ggr_settlement = a.live_share = 0;
  a.suspended = false;
  a.has_credit_remaining = true;
  a.credit_remaining = -250;
  a.contract.day = "last";
  a.contract.weekday.clear();
  a.contract.cycle = "monthly";
  round_trip(answer(op_kind::contract, a));
  a.contract.day = "7";
  a.contract.kind = "provider";
  a.contract.via = "supplier-1";
  a.has_credit_remaining = false;
  a.credit_remaining = 0;
  const auto body = encoded_body(answer(op_kind::contract, a));
  BOOST_CHECK_EQUAL(value_of<int>(body, "day"), 7);
  BOOST_CHECK_EQUAL(keys_of(body).count("credit_remaining"), 0u);
  round_trip(answer(op_kind::contract, a));
}

BOOST_AUTO_TEST_CASE(period_answers_round_trip) {
  settlement_answer a;
  a.period = 1;
  a.from_unix_ms = -5;
  a.to_unix_ms = std::numeric_limits<int64_t>::max();
  round_trip(answer(op_kind::period_close, a));
  BOOST_CHECK((keys_of(encoded_body(answer(op_kind::period_close, a))) ==
               keys{"rid", "ok", "partner", "period", "from", "to"}));
  a = {};
  round_trip(answer(op_kind::statements, a));  // none closed yet
  for (uint64_t p = 40; p > 20; --p)  // 20: more than a fixarray
    a.statements.push_back({p, static_cast<int64_t>(p) * 1000, static_cast<int64_t>(p + 1) * 1000,
                            "EUR", static_cast<int64_t>(p) - 30});
  round_trip(answer(op_kind::statements, a));
  BOOST_CHECK((keys_of(encoded_body(answer(op_kind::statements, a))) ==
               keys{"rid", "ok", "partner", "statements"}));
}

BOOST_AUTO_TEST_CASE(statement_answers_round_trip) {
  round_trip(answer(op_kind::statement, statement(false)));
  round_trip(answer(op_kind::statement, statement(true)));
  const keys expected{"rid",      "ok",        "partner",        "period", "from",
                      "to",       "revision",  "currency",       "share_bps", "totals",
                      "ggr_settlement", "share", "net_payable",  "txn_count", "checksum",
                      "payable_to", "carried_in", "carried_forward"};
  BOOST_CHECK(keys_of(encoded_body(answer(op_kind::statement, statement(false)))) == expected);
  keys with_lines = expected;
  with_lines.insert("lines");
  BOOST_CHECK(keys_of(encoded_body(answer(op_kind::statement, statement(true)))) == with_lines);
  auto empty = statement(false);
  empty.statement.totals.clear();  // a period without traffic
  round_trip(answer(op_kind::statement, empty));
}

BOOST_AUTO_TEST_CASE(fx_topup_and_suspension_answers_round_trip) {
  settlement_answer a;
  a.fx = {"USD", "KRW", "1382.50", 1'795'430'000'123};
  round_trip(answer(op_kind::fx_set, a));
  round_trip(answer(op_kind::fx, a));
  BOOST_CHECK((keys_of(encoded_body(answer(op_kind::fx, a))) ==
               keys{"rid", "ok", "base", "quote", "rate", "at"}));
  a = {};
  a.has_credit_remaining = true;
  a.credit_remaining = 4'999'000;
  a.currency = "EUR";
  round_trip(answer(op_kind::topup, a));
  BOOST_CHECK((keys_of(encoded_body(answer(op_kind::topup, a))) ==
               keys{"rid", "ok", "partner", "credit_remaining", "currency"}));
  a = {};
  a.suspended = true;
  round_trip(answer(op_kind::suspend, a));
  a.suspended = false;
  round_trip(answer(op_kind::resume, a));
  BOOST_CHECK((keys_of(encoded_body(answer(op_kind::resume, a))) ==
               keys{"rid", "ok", "partner", "suspended"}));
}

BOOST_AUTO_TEST_CASE(reconcile_answers_round_trip) {
  const keys result{"rid",
                    "ok",
                    "rows_received",
                    "matched",
                    "missing_in_engine",
                    "missing_in_report",
                    "mismatched",
                    "duplicate_in_report",
                    "missing_in_engine_count",
                    "missing_in_report_count",
                    "mismatched_count",
                    "duplicate_in_report_count"};
  settlement_answer a;
  a.reconcile = reconcile(true, false);
  round_trip(answer(op_kind::reconcile, a));
  BOOST_CHECK(keys_of(encoded_body(answer(op_kind::reconcile, a))) == result);
  a.reconcile = reconcile(true, true);
  round_trip(answer(op_kind::reconcile, a));
  a.reconcile = reconcile(false, true);
  round_trip(answer(op_kind::reconcile, a));
  BOOST_CHECK((keys_of(encoded_body(answer(op_kind::reconcile, a))) ==
               keys{"rid", "ok", "reconcile_id", "rows_received"}));
  a.reconcile = reconcile(true, false);
  for (auto* list : {&a.reconcile.missing_in_engine, &a.reconcile.missing_in_report,
                     &a.reconcile.mismatched, &a.reconcile.duplicate_in_report})
    for (int i = 0; i < 1000; ++i)
      list->push_back("id-" + std::to_string(i) + std::string(50, 'x'));
  round_trip(answer(op_kind::reconcile, a));
}

BOOST_AUTO_TEST_CASE(a_settlement_op_without_a_payload_encodes_defaults) {
  for (int o = static_cast<int>(op_kind::contract_set); o <= static_cast<int>(last_settlement_op); ++o) {
    response r;
    r.op = static_cast<op_kind>(o);
    r.partner = "acme";
    response back;
    std::string why;
    BOOST_TEST_CONTEXT(to_string(r.op)) {
      if (r.op == op_kind::contract) {
        // A contract's kind is a partner kind: an empty one is no answer a client takes.
        BOOST_CHECK(!decode_response(encoded_body(r), back, why));
        BOOST_CHECK_EQUAL(why, "response field 'kind' is malformed");
        continue;
      }
      BOOST_REQUIRE_MESSAGE(decode_response(encoded_body(r), back, why), why);
      BOOST_REQUIRE(back.settlement != nullptr);
      settlement_answer expected;
      expected.has_credit_remaining = r.op == op_kind::topup;  // always in a topup answer
      BOOST_CHECK(*back.settlement == expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_reused_response_forgets_the_settlement_answer) {
  response back;
  round_trip(answer(op_kind::statement, statement(true)), op_kind::statement, back);
  response txn;
  txn.op = op_kind::txn;
  std::string why;
  BOOST_REQUIRE(decode_response(encoded_body(txn), back, why));
  BOOST_CHECK(back.settlement == nullptr);
  BOOST_CHECK(back.op == op_kind::txn);
  // And the other way round: a partner answer's totals do not survive into a statement.
  response partner;
  partner.op = op_kind::partner;
  partner.partner = "acme";
  partner.totals = {{"EUR", 1, 2, 3, 4, 5, 6, 7}};
  BOOST_REQUIRE(decode_response(encoded_body(partner), back, why));
  BOOST_CHECK_EQUAL(back.totals.size(), 1u);
  round_trip(answer(op_kind::statement, statement(false)), op_kind::statement, back);
}

BOOST_AUTO_TEST_CASE(error_answers_of_settlement_ops_round_trip) {
  for (auto code : {error_code::no_contract, error_code::unknown_period, error_code::fx_missing,
                    error_code::forbidden}) {
    response back;
    std::string why;
    BOOST_REQUIRE(decode_response(encoded_body(make_error(op_kind::statement, 3, code, "m")),
                                  back, why));
    BOOST_CHECK(back.error == code);
    BOOST_CHECK(back.settlement == nullptr);
  }
}

BOOST_AUTO_TEST_CASE(malformed_settlement_answers_are_refused) {
  auto base = [] { return map_body{{"rid", val(8)}, {"ok", val(true)}, {"partner", val("p")}}; };
  auto refused = [](const map_body& body, const std::string& field) {
    std::string why;
    BOOST_CHECK(!decodes(body.pack(), why));
    BOOST_CHECK_EQUAL(why, "response field '" + field + "' is malformed");
  };
  refused(base().set("revision", -1), "revision");
  refused(base().set("revision", 1).set("cycle", "daily").set("share_bps", "x"), "share_bps");
  refused(base().set("revision", 1).set("cycle", "daily").set("kind", "kaboom"), "kind");
  refused(base().set("revision", 1).set("cycle", "daily").set("day", true), "day");
  refused(base().set("period", "p"), "period");
  refused(base().set("statements", 3), "statements");
  refused(base().set("statements", array_of_maps({{"period", val(-1)}})), "statements");
  refused(base().set("checksum", 5), "checksum");
  refused(base().set("checksum", "c").set("totals", array_of_maps({{"fx_rate", val(1)}})),
          "totals");
  refused(base().set("checksum", "c").set("lines", array_of_maps({{"partner", val(1)}})),
          "lines");
  refused(base().set("checksum", "c").set("lines", "prov-1"), "lines");
  refused(base().set("base", "USD").set("at", "now"), "at");
  refused(base().set("suspended", 1), "suspended");
  refused(base().set("credit_remaining", 1.5), "credit_remaining");
  refused(base().set("matched", 1).set("mismatched", [](sbuf_packer& pk) {
    pk.pack_array(1);
    pk.pack(3);
  }),
          "mismatched");
  refused(base().set("rows_received", -2), "rows_received");
  // Unknown keys are ignored, and an error answer is an error answer whatever else it has.
  std::string why;
  BOOST_CHECK(decodes(base().set("revision", 1).set("x", array_of_maps({})).pack(), why));
  response r;
  BOOST_CHECK(decode_response(map_body{{"rid", val(8)}, {"ok", val(false)},
                                       {"error", val("no_contract")}, {"message", val("m")},
                                       {"revision", val("x")}}
                                  .pack(),
                              r, why));
  BOOST_CHECK(r.error == error_code::no_contract);
  BOOST_CHECK(r.settlement == nullptr);
}
