// The settlement codec (protocol/settlement_*) against the reference (reference_settlement.cpp)
// on generated and mutated bodies: decode_request (views and owned) must give the same status,
// message and fields, decode_response the same answer; the codec's own answer frames must
// decode the same with both.
#include <boost/test/unit_test.hpp>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "protocol/codec.hpp"
#include "protocol/frame.hpp"
#include "protocol/settlement.hpp"
#include "reference_codec.hpp"

using namespace settle::protocol;
using namespace settle::protocol::test;

namespace {

template <class T>
bool same_payload(const std::shared_ptr<const T>& a, const std::shared_ptr<const T>& b) {
  return a == nullptr ? b == nullptr : b != nullptr && *a == *b;
}

bool same(const request& a, const request& b) {
  return a.op == b.op && a.rid == b.rid && a.partner == b.partner && a.amount == b.amount &&
         a.has_amount == b.has_amount && a.currency == b.currency && a.id == b.id &&
         a.account == b.account && a.token == b.token &&
         same_payload(a.settlement, b.settlement);
}

std::string describe(const request& r) {
  std::ostringstream o;
  o << "op=" << to_string(r.op) << " rid=" << r.rid << " partner=" << hex(r.partner)
    << " amount=" << r.amount << "/" << r.has_amount << " currency=" << hex(r.currency)
    << " id=" << hex(r.id) << " settlement=" << (r.settlement ? "set" : "null");
  if (r.settlement)
    o << " rows=" << r.settlement->rows.size() << " period=" << r.settlement->period
      << " final=" << r.settlement->final << " day=" << hex(r.settlement->contract.day);
  return o.str();
}

struct counts {
  size_t ok = 0, bad_request = 0, malformed = 0;
};

void check_same_request(const std::string& body, counts& seen) {
  request expected;
  std::string expected_why;
  const auto expected_st = reference::decode_request(body, expected, expected_why);
  request owned;
  owned.settlement = std::make_shared<settlement_request>();  // stale: must not survive
  std::string owned_why;
  const auto owned_st = decode_request(body, owned, owned_why);
  request_view view;
  std::string view_why;
  const auto view_st = decode_request(body, view, view_why);
  BOOST_REQUIRE_MESSAGE(owned_st == expected_st && view_st == expected_st,
                        "status differs for " << hex(body) << ": reference "
                                              << static_cast<int>(expected_st) << " '"
                                              << expected_why << "', codec "
                                              << static_cast<int>(owned_st) << " '" << owned_why
                                              << "'");
  BOOST_REQUIRE_MESSAGE(owned_why == expected_why && view_why == expected_why,
                        "message differs for " << hex(body) << ": reference '" << expected_why
                                               << "', codec '" << owned_why << "'");
  BOOST_REQUIRE_MESSAGE(same(owned, expected) && same(to_request(view), expected),
                        "fields differ for " << hex(body) << "\n reference "
                                             << describe(expected) << "\n codec     "
                                             << describe(owned));
  switch (expected_st) {
    case decode_status::ok: ++seen.ok; break;
    case decode_status::bad_request: ++seen.bad_request; break;
    case decode_status::malformed: ++seen.malformed; break;
  }
}

// -- generated requests -----------------------------------------------------------------------

const std::vector<std::string> settlement_ops{"contract_set", "contract",  "period_close",
                                              "statements",   "statement", "fx_set",
                                              "fx",           "topup",     "suspend",
                                              "resume",       "reconcile", "reconcile"};

std::vector<std::string> keys_of_op(const std::string& op) {
  if (op == "contract_set")
    return {"partner", "kind",      "currency", "cycle",        "tz",     "cutoff", "weekday",
            "day",     "share_bps", "via",      "credit_alert", "max_tps"};
  if (op == "statements")
    return {"partner", "limit"};
  if (op == "statement")
    return {"partner", "period"};
  if (op == "fx_set")
    return {"base", "quote", "rate"};
  if (op == "fx")
    return {"base", "quote"};
  if (op == "topup")
    return {"partner", "amount", "currency", "id"};
  if (op == "reconcile")
    return {"partner", "period", "reconcile_id", "final", "rows"};
  return {"partner"};
}

void row_value(fuzz_rng& rng, mp_bytes& out) {
  if (rng.chance(4)) {
    any_value(rng, out, 1);
    return;
  }
  std::vector<std::string> keys{"id", "kind", "amount", "currency"};
  if (rng.chance(10))
    keys.push_back(rng.pick(keys));  // a duplicate
  std::erase_if(keys, [&](const std::string&) { return rng.chance(4); });
  const bool int_key = rng.chance(2);
  out.map(static_cast<uint32_t>(keys.size() + int_key));
  if (int_key)
    out.uint(1).uint(2);
  for (const auto& k : keys) {
    out.str(k);
    if (rng.chance(5))
      any_value(rng, out, 0);
    else if (k == "id")
      out.str(rng.chance(90) ? "tx-" + std::to_string(rng.below(50)) : any_text(rng));
    else if (k == "kind")
      out.str(rng.pick(std::vector<std::string>{"bet", "win", "rollback", "deposit", "Bet", ""}));
    else if (k == "amount")
      out.sint(rng.chance(80) ? static_cast<int64_t>(rng.below(10000)) - 100
                              : rng.pick(interesting_ints()));
    else
      out.str(rng.pick(std::vector<std::string>{"EUR", "KRW", "eur", "EURO"}));
  }
}

void settlement_value(fuzz_rng& rng, const std::string& key, mp_bytes& out) {
  if (rng.chance(12)) {
    any_value(rng, out);
    return;
  }
  auto pick = [&](std::vector<std::string> items) { out.str(rng.pick(items)); };
  if (key == "partner" || key == "via")
    pick({"acme", "prov7", "a:b", std::string(64, 'p'), std::string(65, 'p'), ""});
  else if (key == "currency" || key == "base" || key == "quote")
    pick({"EUR", "USD", "KRW", "eur", "EURO", ""});
  else if (key == "kind")
    pick({"provider", "supplier", "payment", "bet", std::string(17, 'k'), ""});
  else if (key == "cycle" || key == "weekday")
    pick({"daily", "weekly", "monthly", "mon", "sun", "", std::string(16, 'c')});
  else if (key == "tz")
    pick({"UTC", "Europe/Berlin", std::string(64, 'z'), std::string(65, 'z')});
  else if (key == "cutoff")
    pick({"00:00", "23:59", "6:30", "06:30:00"});
  else if (key == "day")
    rng.chance(50) ? (void)out.sint(static_cast<int64_t>(rng.below(40)) - 5)
                   : (void)out.str(rng.pick(std::vector<std::string>{"last", "15", ""}));
  else if (key == "rate" || key == "id" || key == "reconcile_id")
    pick({"1382.50", "1", "r-1", "", std::string(64, 'r'), std::string(65, 'r')});
  else if (key == "final")
    out.boolean(rng.chance(50));
  else if (key == "limit" || key == "period")
    out.uint(rng.chance(70) ? rng.below(1003) : rng.pick(interesting_uints()));
  else if (key == "rows") {
    const auto n = static_cast<uint32_t>(rng.below(5));
    out.array(n);
    for (uint32_t i = 0; i < n; ++i)
      row_value(rng, out);
  } else
    any_int(rng, out);  // share_bps, credit_alert, max_tps, amount
}

std::string settlement_like(fuzz_rng& rng) {
  const std::string op = rng.pick(settlement_ops);
  std::vector<std::string> pairs;
  auto add = [&](const std::string& key) {
    mp_bytes p;
    p.str(key);
    if (rng.chance(4))
      p.nil();
    else
      settlement_value(rng, key, p);
    pairs.push_back(std::move(p.bytes));
  };
  mp_bytes head;
  head.str("op").str(rng.chance(97) ? op : "statment");
  pairs.push_back(head.bytes);
  mp_bytes rid;
  rid.str("rid").uint(rng.below(100));
  if (rng.chance(97))
    pairs.push_back(rid.bytes);
  for (const auto& key : keys_of_op(op))
    if (rng.chance(key == "partner" || key == "period" || key == "rows" ? 95 : 70))
      add(key);
  if (rng.chance(15))
    add(rng.pick(keys_of_op(rng.pick(settlement_ops))));  // another op's key, or a duplicate
  if (rng.chance(3)) {  // a non-string key
    mp_bytes p;
    p.uint(7).nil();
    pairs.push_back(p.bytes);
  }
  for (size_t i = pairs.size(); i > 1; --i)
    std::swap(pairs[i - 1], pairs[rng.below(i)]);
  mp_bytes body;
  body.map(static_cast<uint32_t>(pairs.size()));
  for (const auto& p : pairs)
    body.raw(p);
  return body.bytes;
}

// -- answers ----------------------------------------------------------------------------------

bool same(const response& a, const response& b) {
  return a.op == b.op && a.rid == b.rid && a.error == b.error && a.message == b.message &&
         a.partner == b.partner && a.currency == b.currency && a.kind == b.kind &&
         a.totals == b.totals && a.account == b.account && a.status == b.status &&
         a.has_balance == b.has_balance && a.balance == b.balance && a.version == b.version &&
         same_payload(a.settlement, b.settlement);
}

void check_same_answer(const std::string& body, response& reused, size_t& accepted) {
  response expected;
  std::string expected_why;
  const bool expected_ok = reference::decode_response(body, expected, expected_why);
  std::string why;
  const bool ok = decode_response(body, reused, why);
  BOOST_REQUIRE_MESSAGE(ok == expected_ok && why == expected_why,
                        "answer differs for " << hex(body) << ": reference " << expected_ok
                                              << " '" << expected_why << "', codec " << ok
                                              << " '" << why << "'");
  BOOST_REQUIRE_MESSAGE(same(reused, expected),
                        "fields differ for " << hex(body) << ": op " << to_string(reused.op)
                                             << " vs " << to_string(expected.op));
  accepted += ok ? 1 : 0;
}

std::string any_short_text(fuzz_rng& rng) {
  std::string s = any_text(rng);
  if (s.size() > 80)
    s.resize(80);
  return s;
}

settlement_answer any_answer(fuzz_rng& rng) {
  settlement_answer a;
  auto i64 = [&] { return rng.pick(interesting_ints()); };
  auto u64 = [&] { return rng.pick(interesting_uints()); };
  a.revision = u64();
  a.contract = {rng.pick(std::vector<std::string>{"provider", "supplier", "payment"}), "EUR",
                any_short_text(rng), rng.chance(50) ? "UTC" : "",
                rng.chance(50) ? "06:00" : "", rng.chance(50) ? "mon" : "",
                rng.pick(std::vector<std::string>{"", "last", "12", "-4", "007", "x"}), i64(),
                rng.chance(50) ? "sup" : "", std::nullopt, std::nullopt};
  if (rng.chance(50))
    a.contract.credit_alert = i64();
  if (rng.chance(50))
    a.contract.max_tps = i64();
  a.has_credit_remaining = rng.chance(50);
  a.credit_remaining = a.has_credit_remaining ? i64() : 0;
  a.currency = any_short_text(rng);
  a.period = u64();
  a.from_unix_ms = i64();
  a.to_unix_ms = i64();
  for (auto n = rng.below(3); n > 0; --n) {
    currency_totals t;
    t.currency = any_short_text(rng);
    t.wins = i64();
    t.ggr = i64();
    t.rollback_count = u64();
    a.live.push_back(t);
  }
  for (auto n = rng.below(4); n > 0; --n)
    a.statements.push_back({u64(), i64(), i64(), any_short_text(rng), i64()});
  auto& s = a.statement;
  s.share_bps = i64();
  for (auto n = rng.below(3); n > 0; --n) {
    statement_totals t;
    t.currency = any_short_text(rng);
    t.bets = i64();
    t.ggr = i64();
    t.bet_count = u64();
    t.fx_rate = any_short_text(rng);
    t.ggr_settlement = i64();
    s.totals.push_back(t);
  }
  s.ggr_settlement = i64();
  s.net_payable = i64();
  s.carried_forward = i64();
  s.txn_count = u64();
  s.checksum = any_short_text(rng);
  s.payable_to = any_short_text(rng);
  for (auto n = rng.below(3); n > 0; --n)
    s.lines.push_back({any_short_text(rng), i64()});
  a.fx = {any_short_text(rng), "KRW", any_short_text(rng), i64()};
  a.suspended = rng.chance(50);
  auto& r = a.reconcile;
  r.complete = rng.chance(60);
  r.reconcile_id = rng.chance(50) ? any_short_text(rng) : "";
  r.rows_received = u64();
  if (r.complete) {
    r.matched = u64();
    for (auto n = rng.below(4); n > 0; --n)
      r.mismatched.push_back(any_short_text(rng));
    r.duplicate_in_report_count = u64();
  }
  return a;
}

/// What a client decodes from the frame of `a` answering `op`: the fields of that op only.
response any_settlement_response(fuzz_rng& rng) {
  response r;
  r.op = static_cast<op_kind>(static_cast<int>(op_kind::contract_set) + rng.below(11));
  r.rid = rng.pick(interesting_uints());
  r.partner = any_short_text(rng);
  r.settlement = std::make_shared<settlement_answer>(any_answer(rng));
  return r;
}

std::string body_of_response(const response& r) {
  std::vector<char> out;
  encode_response(r, out);
  return std::string{out.data() + frame_header_bytes, out.size() - frame_header_bytes};
}

const char* const answer_keys[] = {
    "rid",     "ok",        "partner",  "revision", "kind",          "currency",  "cycle",
    "day",     "share_bps", "period",   "from",     "to",            "statements", "checksum",
    "totals",  "lines",     "base",     "rate",     "at",            "suspended", "matched",
    "mismatched", "rows_received", "reconcile_id", "credit_remaining", "status", "error", "live"};

/// A settlement-answer-like map: known keys with mostly fitting values, in any order.
std::string answer_like(fuzz_rng& rng) {
  mp_bytes body;
  const auto n = 2 + rng.below(6);
  body.map(static_cast<uint32_t>(n + 2));
  body.str("rid").uint(rng.below(9)).str("ok").boolean(rng.chance(90));
  for (uint64_t i = 0; i < n; ++i) {
    const std::string key = rng.pick(answer_keys);
    body.str(key);
    if (rng.chance(25)) {
      any_value(rng, body);
    } else if (key == "statements" || key == "totals" || key == "lines" || key == "mismatched" ||
               key == "live") {
      const auto items = static_cast<uint32_t>(rng.below(3));
      body.array(items);
      for (uint32_t j = 0; j < items; ++j) {
        if (key == "mismatched") {
          rng.chance(85) ? (void)body.str("id") : any_value(rng, body, 0);
          continue;
        }
        body.map(2);
        body.str(rng.pick(std::vector<std::string>{"currency", "period", "partner", "fx_rate",
                                                   "ggr_settlement", "net_payable"}));
        any_value(rng, body, 0);
        body.str("currency").str("EUR");
      }
    } else if (key == "kind" || key == "currency" || key == "cycle") {
      body.str(rng.pick(std::vector<std::string>{"provider", "player", "EUR", "kaboom"}));
    } else if (key == "suspended") {
      body.boolean(rng.chance(50));
    } else {
      any_int(rng, body);
    }
  }
  return body.bytes;
}

}  // namespace

BOOST_AUTO_TEST_CASE(generated_settlement_requests_decode_as_the_reference) {
  fuzz_rng rng{20261201};
  counts seen;
  for (int i = 0; i < 40000; ++i)
    check_same_request(settlement_like(rng), seen);
  BOOST_TEST_MESSAGE("generated: " << seen.ok << " ok, " << seen.bad_request << " bad_request");
  BOOST_CHECK_GT(seen.ok, 3000u);
  BOOST_CHECK_GT(seen.bad_request, 10000u);
}

BOOST_AUTO_TEST_CASE(mutated_settlement_requests_decode_as_the_reference) {
  fuzz_rng rng{1201};
  counts seen;
  for (int i = 0; i < 40000; ++i) {
    std::string body = settlement_like(rng);
    for (auto m = 1 + rng.below(3); m > 0; --m)
      mutate(rng, body);
    check_same_request(body, seen);
  }
  BOOST_CHECK_GT(seen.malformed, 5000u);
  BOOST_CHECK_GT(seen.bad_request, 3000u);
}

BOOST_AUTO_TEST_CASE(encoded_settlement_answers_decode_as_the_reference) {
  fuzz_rng rng{1202};
  response reused;
  size_t accepted = 0;
  for (int i = 0; i < 20000; ++i)
    check_same_answer(body_of_response(any_settlement_response(rng)), reused, accepted);
  BOOST_CHECK_EQUAL(accepted, 20000u);
}

BOOST_AUTO_TEST_CASE(generated_and_mutated_settlement_answers_decode_as_the_reference) {
  fuzz_rng rng{1203};
  response reused;
  size_t accepted = 0;
  for (int i = 0; i < 40000; ++i) {
    std::string body =
        rng.chance(50) ? answer_like(rng) : body_of_response(any_settlement_response(rng));
    if (rng.chance(60))
      for (auto m = 1 + rng.below(2); m > 0; --m)
        mutate(rng, body);
    check_same_answer(body, reused, accepted);
  }
  BOOST_TEST_MESSAGE("settlement answers accepted: " << accepted);
  BOOST_CHECK_GT(accepted, 2000u);
}
