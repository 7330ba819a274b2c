// Requests: encode_request -> decode_request round trips of every op and txn kind, the exact
// keys encode_request writes, and well-formed inputs the decoder must accept.
#include <boost/test/unit_test.hpp>

#include <limits>
#include <set>
#include <string>

#include "protocol_test_util.hpp"

using namespace settle::protocol;
using namespace settle::protocol::test;
using keys = std::set<std::string>;

namespace {

void check_equal(const request& a, const request& b) {
  BOOST_CHECK(a.op == b.op);
  BOOST_CHECK_EQUAL(a.rid, b.rid);
  BOOST_CHECK_EQUAL(a.token, b.token);
  BOOST_CHECK_EQUAL(a.account, b.account);
  BOOST_CHECK_EQUAL(a.currency, b.currency);
  BOOST_CHECK_EQUAL(a.partner, b.partner);
  BOOST_CHECK_EQUAL(a.id, b.id);
  BOOST_CHECK(a.kind == b.kind);
  BOOST_CHECK_EQUAL(a.amount, b.amount);
  BOOST_CHECK_EQUAL(a.has_amount, b.has_amount);
  BOOST_CHECK_EQUAL(a.round, b.round);
  BOOST_CHECK_EQUAL(a.game, b.game);
  BOOST_CHECK_EQUAL(a.ref, b.ref);
  BOOST_CHECK_EQUAL(a.to, b.to);
}

/// Encodes, checks the frame, decodes; returns the decoded request.
request round_trip(const request& in) {
  std::vector<char> out{'x', 'y'};  // encoding appends: existing bytes stay
  encode_request(in, out);
  BOOST_REQUIRE(out[0] == 'x' && out[1] == 'y');
  out.erase(out.begin(), out.begin() + 2);
  request back;
  std::string why = "stale";
  auto st = decode_request(body_of(out), back, why);
  BOOST_REQUIRE_MESSAGE(st == decode_status::ok, why);
  BOOST_CHECK(why.empty());
  return back;
}

std::string encoded_body(const request& in) {
  std::vector<char> out;
  encode_request(in, out);
  return body_of(out);
}

request make(op_kind op, uint64_t rid) {
  request r;
  r.op = op;
  r.rid = rid;
  return r;
}

request txn(txn_kind kind) {
  request r = make(op_kind::txn, 77);
  r.kind = kind;
  r.id = "tx-" + std::string{to_string(kind)};
  r.account = "alice";
  r.currency = "EUR";
  if (kind != txn_kind::rollback) {
    r.amount = 1250;
    r.has_amount = true;
  }
  if (kind == txn_kind::bet || kind == txn_kind::win || kind == txn_kind::rollback)
    r.partner = "acme";
  if (kind == txn_kind::rollback)
    r.ref = "tx-bet";
  if (kind == txn_kind::transfer)
    r.to = "bob";
  return r;
}

decode_status decode(const std::string& body, request& out) {
  std::string why;
  auto st = decode_request(body, out, why);
  BOOST_CHECK_MESSAGE(st == decode_status::ok, why);
  return st;
}

}  // namespace

BOOST_AUTO_TEST_CASE(hello_round_trip) {
  auto r = make(op_kind::hello, 1);
  r.token = "s3cr3t token with spaces \xc3\xa9";
  check_equal(round_trip(r), r);
  r.token = std::string(256, 't');
  check_equal(round_trip(r), r);
}

BOOST_AUTO_TEST_CASE(open_round_trip) {
  auto r = make(op_kind::open, 2);
  r.account = "a.b_c-d:E9";
  r.currency = "KRW";
  check_equal(round_trip(r), r);
}

BOOST_AUTO_TEST_CASE(account_ops_round_trip) {
  for (auto op : {op_kind::balance, op_kind::block, op_kind::unblock}) {
    BOOST_TEST_CONTEXT(to_string(op)) {
      auto r = make(op, 3);
      r.account = "partner:acme:EUR";  // reserved ids are an engine rule, not the codec's
      check_equal(round_trip(r), r);
      r.account = "house:USD";
      check_equal(round_trip(r), r);
    }
  }
}

BOOST_AUTO_TEST_CASE(partner_round_trip) {
  auto r = make(op_kind::partner, 4);
  r.partner = "Acme_Games-1.eu";
  check_equal(round_trip(r), r);
}

BOOST_AUTO_TEST_CASE(snapshot_round_trip) {
  auto r = make(op_kind::snapshot, 12);
  check_equal(round_trip(r), r);
}

BOOST_AUTO_TEST_CASE(txn_round_trip_every_kind) {
  for (auto kind : {txn_kind::bet, txn_kind::win, txn_kind::rollback, txn_kind::deposit,
                    txn_kind::withdraw, txn_kind::transfer}) {
    BOOST_TEST_CONTEXT(to_string(kind)) {
      auto r = txn(kind);
      check_equal(round_trip(r), r);
      // With every optional field.
      r.round = "round-9";
      r.game = "slot \xf0\x9f\x8e\xb0";
      if (kind != txn_kind::bet && kind != txn_kind::win && kind != txn_kind::rollback)
        r.partner = "acme";
      check_equal(round_trip(r), r);
    }
  }
}

BOOST_AUTO_TEST_CASE(txn_round_trip_extremes) {
  auto r = txn(txn_kind::bet);
  r.rid = std::numeric_limits<uint64_t>::max();
  r.amount = std::numeric_limits<int64_t>::max();
  r.id = std::string(64, '\xff');  // txn ids are any bytes
  r.round = std::string(64, 'r');
  r.game = std::string(64, 'g');
  r.account = std::string(64, 'a');
  r.partner = std::string(64, 'p');
  check_equal(round_trip(r), r);
  r.amount = std::numeric_limits<int64_t>::min();  // the engine refuses it, the codec carries it
  check_equal(round_trip(r), r);
  r.amount = 0;
  check_equal(round_trip(r), r);
  r.rid = 0;
  check_equal(round_trip(r), r);
}

BOOST_AUTO_TEST_CASE(rollback_amount_is_optional) {
  auto r = txn(txn_kind::rollback);
  BOOST_REQUIRE(!r.has_amount);
  auto back = round_trip(r);
  BOOST_CHECK(!back.has_amount);
  BOOST_CHECK_EQUAL(back.amount, 0);
  r.has_amount = true;
  r.amount = 500;
  back = round_trip(r);
  BOOST_CHECK(back.has_amount);
  BOOST_CHECK_EQUAL(back.amount, 500);
}

BOOST_AUTO_TEST_CASE(encode_request_writes_only_the_fields_of_the_op) {
  auto hello = make(op_kind::hello, 1);
  hello.token = "t";
  hello.account = "ignored";  // fields an op does not use are not written
  hello.amount = 5;
  BOOST_CHECK((keys_of(encoded_body(hello)) == keys{"op", "rid", "token"}));

  auto open = make(op_kind::open, 1);
  open.account = "a";
  open.currency = "EUR";
  open.partner = "ignored";
  BOOST_CHECK((keys_of(encoded_body(open)) == keys{"op", "rid", "account", "currency"}));

  for (auto op : {op_kind::balance, op_kind::block, op_kind::unblock}) {
    auto r = make(op, 1);
    r.account = "a";
    r.currency = "EUR";
    BOOST_CHECK((keys_of(encoded_body(r)) == keys{"op", "rid", "account"}));
  }

  auto partner = make(op_kind::partner, 1);
  partner.partner = "acme";
  partner.account = "ignored";
  BOOST_CHECK((keys_of(encoded_body(partner)) == keys{"op", "rid", "partner"}));

  const keys base{"op", "rid", "kind", "id", "account", "currency"};
  auto with = [&](std::initializer_list<const char*> more) {
    keys k = base;
    k.insert(more.begin(), more.end());
    return k;
  };
  BOOST_CHECK(keys_of(encoded_body(txn(txn_kind::bet))) == with({"amount", "partner"}));
  BOOST_CHECK(keys_of(encoded_body(txn(txn_kind::win))) == with({"amount", "partner"}));
  BOOST_CHECK(keys_of(encoded_body(txn(txn_kind::rollback))) == with({"partner", "ref"}));
  BOOST_CHECK(keys_of(encoded_body(txn(txn_kind::deposit))) == with({"amount"}));
  BOOST_CHECK(keys_of(encoded_body(txn(txn_kind::withdraw))) == with({"amount"}));
  BOOST_CHECK(keys_of(encoded_body(txn(txn_kind::transfer))) == with({"amount", "to"}));
  auto rb = txn(txn_kind::rollback);
  rb.has_amount = true;
  BOOST_CHECK(keys_of(encoded_body(rb)) == with({"amount", "partner", "ref"}));
  auto bet = txn(txn_kind::bet);
  bet.round = "r";
  bet.game = "g";
  bet.token = "ignored";
  BOOST_CHECK(keys_of(encoded_body(bet)) == with({"amount", "partner", "round", "game"}));

  // Values are written with their wire names.
  auto body = encoded_body(txn(txn_kind::withdraw));
  BOOST_CHECK_EQUAL(value_of<std::string>(body, "op"), "txn");
  BOOST_CHECK_EQUAL(value_of<std::string>(body, "kind"), "withdraw");
  BOOST_CHECK_EQUAL(value_of<uint64_t>(body, "rid"), 77u);
  BOOST_CHECK_EQUAL(value_of<int64_t>(body, "amount"), 1250);
}

BOOST_AUTO_TEST_CASE(encode_request_appends_frames) {
  std::vector<char> stream;
  encode_request(txn(txn_kind::bet), stream);
  auto first = stream.size();
  encode_request(txn(txn_kind::win), stream);
  BOOST_CHECK_GT(stream.size(), first);
  frame_reader reader;
  reader.feed(stream.data(), stream.size());
  std::string_view body;
  request r;
  BOOST_REQUIRE(reader.next(body) == frame_reader::status::frame);
  BOOST_CHECK_EQUAL(body.size() + frame_header_bytes, first);
  BOOST_REQUIRE(decode(std::string{body}, r) == decode_status::ok);
  BOOST_CHECK(r.kind == txn_kind::bet);
  BOOST_REQUIRE(reader.next(body) == frame_reader::status::frame);
  BOOST_REQUIRE(decode(std::string{body}, r) == decode_status::ok);
  BOOST_CHECK(r.kind == txn_kind::win);
}

// -- hand-built inputs the decoder must accept --------------------------------------------------

BOOST_AUTO_TEST_CASE(decode_accepts_hand_built_requests) {
  request r;
  // Key order does not matter; rid may use any unsigned msgpack width.
  auto body = map_body{{"account", val("bob")},
                       {"rid", val(uint64_t{1} << 40)},
                       {"op", val("balance")}}
                  .pack();
  BOOST_REQUIRE(decode(body, r) == decode_status::ok);
  BOOST_CHECK(r.op == op_kind::balance);
  BOOST_CHECK_EQUAL(r.rid, uint64_t{1} << 40);
  BOOST_CHECK_EQUAL(r.account, "bob");

  // Non-negative values of signed msgpack types are unsigned integers too.
  BOOST_REQUIRE(decode(map_body{{"op", val("balance")},
                                {"rid", raw(std::string{"\xd0\x05", 2})},  // int8 5
                                {"account", val("bob")}}
                           .pack(),
                       r) == decode_status::ok);
  BOOST_CHECK_EQUAL(r.rid, 5u);
  BOOST_REQUIRE(decode(map_body{{"op", val("balance")},
                                {"rid", raw(std::string{"\xd3\0\0\0\0\0\0\0\x07", 9})},
                                {"account", val("bob")}}
                           .pack(),
                       r) == decode_status::ok);  // int64 7
  BOOST_CHECK_EQUAL(r.rid, 7u);

  // A deposit needs no partner; one given anyway is kept.
  map_body deposit{{"op", val("txn")},       {"rid", val(5)},         {"kind", val("deposit")},
                   {"id", val("d-1")},       {"account", val("bob")}, {"amount", val(100)},
                   {"currency", val("USD")}};
  BOOST_REQUIRE(decode(deposit.pack(), r) == decode_status::ok);
  BOOST_CHECK(r.kind == txn_kind::deposit);
  BOOST_CHECK(r.partner.empty());
  BOOST_CHECK(r.has_amount);
  BOOST_REQUIRE(decode(deposit.set("partner", "acme").pack(), r) == decode_status::ok);
  BOOST_CHECK_EQUAL(r.partner, "acme");

  // Optional fields sent as nil count as absent.
  BOOST_REQUIRE(decode(deposit.set("round", nil()).set("partner", nil()).pack(), r) ==
                decode_status::ok);
  BOOST_CHECK(r.round.empty());
  BOOST_CHECK(r.partner.empty());
}

BOOST_AUTO_TEST_CASE(decode_ignores_unknown_keys) {
  request r;
  auto body = map_body{{"op", val("partner")},
                       {"rid", val(9)},
                       {"partner", val("acme")},
                       {"x-trace", val("abc")},
                       {"x-nested", [](sbuf_packer& pk) {
                          pk.pack_map(1);
                          pk.pack(std::string{"deep"});
                          pk.pack(std::vector<double>{1.5, 2.5});
                        }},
                       {"x-nil", nil()},
                       {"token", val(12345)}}  // a field of another op, even mistyped
                  .pack();
  BOOST_REQUIRE(decode(body, r) == decode_status::ok);
  BOOST_CHECK(r.op == op_kind::partner);
  BOOST_CHECK_EQUAL(r.partner, "acme");
  BOOST_CHECK(r.token.empty());
}

BOOST_AUTO_TEST_CASE(decode_accepts_boundary_lengths) {
  request r;
  map_body bet{{"op", val("txn")},        {"rid", val(1)},          {"kind", val("bet")},
               {"id", val("x")},          {"account", val("a")},    {"amount", val(1)},
               {"currency", val("AAA")},  {"partner", val("p")}};
  BOOST_CHECK(decode(bet.pack(), r) == decode_status::ok);  // 1-byte ids
  bet.set("id", std::string(64, 'i'))
      .set("account", std::string(64, 'a'))
      .set("partner", std::string(64, 'p'))
      .set("round", std::string(64, 'r'))
      .set("game", std::string(64, 'g'))
      .set("currency", "ZZZ");
  BOOST_CHECK(decode(bet.pack(), r) == decode_status::ok);
  // Every allowed account character; ids of any bytes.
  bet.set("account", "azAZ09._:-").set("id", "\xc3\xa9t\xc3\xa9 \x01\x7f!");
  BOOST_REQUIRE(decode(bet.pack(), r) == decode_status::ok);
  BOOST_CHECK_EQUAL(r.account, "azAZ09._:-");
  BOOST_CHECK_EQUAL(r.id, "\xc3\xa9t\xc3\xa9 \x01\x7f!");
  // Zero and negative amounts pass the codec (the engine answers invalid_amount).
  BOOST_REQUIRE(decode(bet.set("amount", 0).pack(), r) == decode_status::ok);
  BOOST_CHECK_EQUAL(r.amount, 0);
  BOOST_REQUIRE(decode(bet.set("amount", -7).pack(), r) == decode_status::ok);
  BOOST_CHECK_EQUAL(r.amount, -7);
  BOOST_REQUIRE(decode(bet.set("amount", std::numeric_limits<int64_t>::min()).pack(), r) ==
                decode_status::ok);
  BOOST_CHECK_EQUAL(r.amount, std::numeric_limits<int64_t>::min());
  BOOST_REQUIRE(decode(bet.set("amount", uint64_t{std::numeric_limits<int64_t>::max()}).pack(),
                       r) == decode_status::ok);
  BOOST_CHECK_EQUAL(r.amount, std::numeric_limits<int64_t>::max());
}

BOOST_AUTO_TEST_CASE(decode_resets_the_output) {
  request r = txn(txn_kind::transfer);
  r.token = "old";
  auto body = map_body{{"op", val("balance")}, {"rid", val(2)}, {"account", val("bob")}}.pack();
  BOOST_REQUIRE(decode(body, r) == decode_status::ok);
  BOOST_CHECK(r.token.empty());
  BOOST_CHECK(r.to.empty());
  BOOST_CHECK(r.id.empty());
  BOOST_CHECK(!r.has_amount);
}
