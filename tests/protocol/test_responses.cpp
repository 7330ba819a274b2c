// Responses: encode_response -> decode_response round trips of every op and error code, the
// exact keys written per op, and response bodies a client must refuse.
#include <boost/test/unit_test.hpp>

#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "protocol_test_util.hpp"

using namespace settle::protocol;
using namespace settle::protocol::test;
using keys = std::set<std::string>;

namespace {

std::string encoded_body(const response& in) {
  std::vector<char> out;
  encode_response(in, out);
  return body_of(out);
}

response round_trip(const response& in) {
  response back;
  std::string why = "stale";
  BOOST_REQUIRE_MESSAGE(decode_response(encoded_body(in), back, why), why);
  BOOST_CHECK(why.empty());
  BOOST_CHECK_EQUAL(back.rid, in.rid);
  BOOST_CHECK(back.error == in.error);
  return back;
}

response success(op_kind op, uint64_t rid) {
  response r;
  r.op = op;
  r.rid = rid;
  return r;
}

bool decodes(const std::string& body) {
  response r;
  std::string why;
  bool ok = decode_response(body, r, why);
  BOOST_CHECK_EQUAL(ok, why.empty());
  return ok;
}

}  // namespace

BOOST_AUTO_TEST_CASE(hello_response_round_trip) {
  auto r = success(op_kind::hello, 1);
  r.granted_role = role::partner;
  r.partner = "acme";
  r.protocol_version = protocol_version;
  auto body = encoded_body(r);
  BOOST_CHECK((keys_of(body) == keys{"rid", "ok", "role", "partner", "version"}));
  BOOST_CHECK_EQUAL(value_of<uint32_t>(body, "version"), 1u);
  auto back = round_trip(r);
  BOOST_CHECK(back.op == op_kind::hello);
  BOOST_CHECK(back.granted_role == role::partner);
  BOOST_CHECK_EQUAL(back.partner, "acme");
  BOOST_CHECK_EQUAL(back.protocol_version, 1u);

  // Only partner tokens are bound to a partner.
  for (auto granted : {role::admin, role::viewer}) {
    r.granted_role = granted;
    r.partner = "leftover";
    BOOST_CHECK((keys_of(encoded_body(r)) == keys{"rid", "ok", "role", "version"}));
    back = round_trip(r);
    BOOST_CHECK(back.granted_role == granted);
    BOOST_CHECK(back.partner.empty());
    BOOST_CHECK_EQUAL(back.protocol_version, 1u);
  }
}

BOOST_AUTO_TEST_CASE(open_response_round_trip) {
  auto r = success(op_kind::open, 2);
  r.account = "alice";
  r.currency = "EUR";
  r.kind = account_kind::player;
  r.balance = 5;  // not part of an open answer
  BOOST_CHECK((keys_of(encoded_body(r)) == keys{"rid", "ok", "account", "currency", "kind"}));
  BOOST_CHECK_EQUAL(value_of<std::string>(encoded_body(r), "kind"), "player");
  auto back = round_trip(r);
  BOOST_CHECK(back.op == op_kind::open);
  BOOST_CHECK_EQUAL(back.account, "alice");
  BOOST_CHECK_EQUAL(back.currency, "EUR");
  BOOST_CHECK(back.kind == account_kind::player);
  BOOST_CHECK(!back.has_balance);
}

BOOST_AUTO_TEST_CASE(txn_response_round_trip) {
  for (auto outcome : {txn_status::applied, txn_status::duplicate, txn_status::noop}) {
    BOOST_TEST_CONTEXT(to_string(outcome)) {
      auto r = success(op_kind::txn, 3);
      r.outcome = outcome;
      r.balance = -5;  // house and partner balances may be negative
      r.version = std::numeric_limits<uint64_t>::max();
      r.account = "not written";
      auto body = encoded_body(r);
      BOOST_CHECK((keys_of(body) == keys{"rid", "ok", "status", "balance", "version"}));
      BOOST_CHECK_EQUAL(value_of<std::string>(body, "status"), to_string(outcome));
      auto back = round_trip(r);
      BOOST_CHECK(back.op == op_kind::txn);
      BOOST_CHECK(back.outcome == outcome);
      BOOST_CHECK_EQUAL(back.balance, -5);
      BOOST_CHECK_EQUAL(back.version, std::numeric_limits<uint64_t>::max());
      BOOST_CHECK(back.account.empty());
    }
  }
  auto r = success(op_kind::txn, std::numeric_limits<uint64_t>::max());
  r.balance = std::numeric_limits<int64_t>::min();
  BOOST_CHECK_EQUAL(round_trip(r).balance, std::numeric_limits<int64_t>::min());
  r.balance = std::numeric_limits<int64_t>::max();
  BOOST_CHECK_EQUAL(round_trip(r).balance, std::numeric_limits<int64_t>::max());
}

BOOST_AUTO_TEST_CASE(balance_response_round_trip) {
  for (auto kind : {account_kind::player, account_kind::partner, account_kind::house})
    for (auto status : {account_status::active, account_status::blocked}) {
      auto r = success(op_kind::balance, 4);
      r.account = "partner:acme:EUR";
      r.currency = "EUR";
      r.kind = kind;
      r.status = status;
      r.balance = 77;
      r.version = 3;
      BOOST_CHECK((keys_of(encoded_body(r)) == keys{"rid", "ok", "account", "currency", "kind",
                                                   "status", "balance", "version"}));
      auto back = round_trip(r);
      BOOST_CHECK(back.op == op_kind::balance);
      BOOST_CHECK_EQUAL(back.account, r.account);
      BOOST_CHECK_EQUAL(back.currency, "EUR");
      BOOST_CHECK(back.kind == kind);
      BOOST_CHECK(back.status == status);
      BOOST_CHECK_EQUAL(back.balance, 77);
      BOOST_CHECK_EQUAL(back.version, 3u);
    }
}

BOOST_AUTO_TEST_CASE(partner_response_round_trip) {
  auto r = success(op_kind::partner, 5);
  r.partner = "acme";
  BOOST_CHECK((keys_of(encoded_body(r)) == keys{"rid", "ok", "partner", "totals"}));
  auto back = round_trip(r);
  BOOST_CHECK(back.op == op_kind::partner);
  BOOST_CHECK(back.totals.empty());

  r.totals.push_back({"EUR", 100, 40, 10, 3, 2, 1, 50});
  r.totals.push_back({"USD", 1, 0, 0, 1, 0, 0, 1});
  r.totals.push_back({"KRW", 0, std::numeric_limits<int64_t>::max(), 0, 0,
                      std::numeric_limits<uint64_t>::max(), 0, std::numeric_limits<int64_t>::min()});
  back = round_trip(r);
  BOOST_CHECK_EQUAL(back.partner, "acme");
  BOOST_CHECK(back.totals == r.totals);

  // Each entry carries exactly the documented keys.
  auto body = encoded_body(r);
  auto oh = msgpack::unpack(body.data(), body.size());
  const auto& totals = oh.get().via.map.ptr[3].val;
  BOOST_REQUIRE(totals.type == msgpack::type::ARRAY);
  BOOST_REQUIRE_EQUAL(totals.via.array.size, 3u);
  std::string entry;
  {
    msgpack::sbuffer buf;
    msgpack::pack(buf, totals.via.array.ptr[0]);
    entry.assign(buf.data(), buf.size());
  }
  BOOST_CHECK((keys_of(entry) == keys{"currency", "bets", "wins", "rollbacks", "bet_count",
                                      "win_count", "rollback_count", "ggr"}));
}

BOOST_AUTO_TEST_CASE(block_unblock_response_round_trip) {
  for (auto op : {op_kind::block, op_kind::unblock}) {
    auto r = success(op, 6);
    r.account = "alice";
    r.status = op == op_kind::block ? account_status::blocked : account_status::active;
    r.version = 9;
    BOOST_CHECK((keys_of(encoded_body(r)) == keys{"rid", "ok", "account", "status", "version"}));
    auto back = round_trip(r);
    BOOST_CHECK(back.op == op);
    BOOST_CHECK_EQUAL(back.account, "alice");
    BOOST_CHECK(back.status == r.status);
    BOOST_CHECK_EQUAL(back.version, 9u);
  }
}

BOOST_AUTO_TEST_CASE(every_error_code_round_trips_with_its_retryable_flag) {
  for (int c = 1; c <= static_cast<int>(last_error_code); ++c) {
    auto code = static_cast<error_code>(c);
    BOOST_TEST_CONTEXT(to_string(code)) {
      for (auto op : {op_kind::hello, op_kind::txn, op_kind::partner}) {
        auto r = make_error(op, 31, code, "because \xc3\xa9");
        r.account = "not written";
        r.balance = 5;  // not written without has_balance
        auto body = encoded_body(r);
        BOOST_CHECK((keys_of(body) == keys{"rid", "ok", "error", "message", "retryable"}));
        BOOST_CHECK_EQUAL(value_of<bool>(body, "ok"), false);
        BOOST_CHECK_EQUAL(value_of<std::string>(body, "error"), to_string(code));
        BOOST_CHECK_EQUAL(value_of<bool>(body, "retryable"), is_retryable(code));
        auto back = round_trip(r);
        BOOST_CHECK(!back.ok());
        BOOST_CHECK_EQUAL(back.message, "because \xc3\xa9");
        BOOST_CHECK(!back.has_balance);
        BOOST_CHECK(back.account.empty());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(refused_txn_carries_the_balance) {
  auto r = make_error(op_kind::txn, 8, error_code::insufficient_funds, "balance 3 < 5");
  r.has_balance = true;
  r.balance = 3;
  r.version = 11;
  auto body = encoded_body(r);
  BOOST_CHECK((keys_of(body) ==
               keys{"rid", "ok", "error", "message", "retryable", "balance", "version"}));
  auto back = round_trip(r);
  BOOST_CHECK(back.error == error_code::insufficient_funds);
  BOOST_CHECK_EQUAL(back.message, "balance 3 < 5");
  BOOST_CHECK(back.has_balance);
  BOOST_CHECK_EQUAL(back.balance, 3);
  BOOST_CHECK_EQUAL(back.version, 11u);
}

BOOST_AUTO_TEST_CASE(malformed_frame_answer) {
  // What the gateway sends before closing a connection: rid 0, bad_request.
  auto r = make_error(op_kind::hello, 0, error_code::bad_request, "malformed frame");
  auto back = round_trip(r);
  BOOST_CHECK_EQUAL(back.rid, 0u);
  BOOST_CHECK(back.error == error_code::bad_request);
}

BOOST_AUTO_TEST_CASE(decode_response_accepts_unknown_keys_and_any_order) {
  auto body = map_body{{"x-server", val("settled")},
                       {"version", val(4)},
                       {"balance", val(10)},
                       {"status", val("applied")},
                       {"ok", val(true)},
                       {"rid", val(2)}}
                  .pack();
  response r;
  std::string why;
  BOOST_REQUIRE_MESSAGE(decode_response(body, r, why), why);
  BOOST_CHECK(r.op == op_kind::txn);
  BOOST_CHECK_EQUAL(r.balance, 10);
}

BOOST_AUTO_TEST_CASE(decode_response_refuses_bad_bodies) {
  auto good = [] {
    return map_body{{"rid", val(1)}, {"ok", val(false)}, {"error", val("forbidden")},
                    {"message", val("no")}, {"retryable", val(false)}};
  };
  BOOST_CHECK(decodes(good().pack()));
  BOOST_CHECK(!decodes(std::string{"\xc1"}));
  BOOST_CHECK(!decodes(good().pack().substr(0, 5)));
  BOOST_CHECK(!decodes(good().pack() + good().pack()));
  BOOST_CHECK(!decodes(packed([](auto& pk) { pk.pack(std::vector<int>{1}); })));
  BOOST_CHECK(!decodes(packed([](auto& pk) { pk.pack(std::map<int, int>{{1, 1}}); })));
  BOOST_CHECK(!decodes(good().erase("rid").pack()));
  BOOST_CHECK(!decodes(good().erase("ok").pack()));
  BOOST_CHECK(!decodes(good().set("rid", -1).pack()));
  BOOST_CHECK(!decodes(good().set("ok", 0).pack()));
  BOOST_CHECK(!decodes(good().erase("error").pack()));         // ok=false needs an error
  BOOST_CHECK(!decodes(good().set("ok", true).pack()));        // ok=true must not have one
  BOOST_CHECK(!decodes(good().set("error", "kaboom").pack()));  // unknown code
  BOOST_CHECK(!decodes(good().set("error", "none").pack()));
  BOOST_CHECK(!decodes(good().set("retryable", "no").pack()));
  BOOST_CHECK(!decodes(good().set("message", 5).pack()));
  BOOST_CHECK(!decodes(good().set("balance", "5").pack()));
  BOOST_CHECK(!decodes(good().set("balance", std::numeric_limits<uint64_t>::max()).pack()));
  auto txn_ok = [] {
    return map_body{{"rid", val(1)}, {"ok", val(true)}, {"status", val("applied")},
                    {"balance", val(1)}, {"version", val(1)}};
  };
  BOOST_CHECK(decodes(txn_ok().pack()));
  BOOST_CHECK(!decodes(txn_ok().set("status", "maybe").pack()));
  BOOST_CHECK(!decodes(txn_ok().set("version", -1).pack()));
  BOOST_CHECK(!decodes(txn_ok().set("totals", 1).pack()));
  BOOST_CHECK(!decodes(txn_ok().set("totals", std::vector<int>{1}).pack()));
  BOOST_CHECK(!decodes(txn_ok().set("role", "root").pack()));
  BOOST_CHECK(!decodes(txn_ok().set("kind", "alien").pack()));
}
