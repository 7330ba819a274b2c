// The wire codec: round trips of every op, every malformed input, and framing.
#define BOOST_TEST_MODULE protocol
#include <boost/test/unit_test.hpp>

#include <limits>

#include <msgpack.hpp>

#include "protocol/codec.hpp"
#include "protocol/frame.hpp"

using namespace settle::protocol;

namespace {

/// Body of the single frame in `framed` (checks the length prefix).
std::string_view body_of(const std::vector<char>& framed) {
  BOOST_REQUIRE_GE(framed.size(), 4u);
  frame_reader r;
  std::string_view body;
  static std::vector<char> keep;
  keep = framed;
  r.feed(keep.data(), keep.size());
  BOOST_REQUIRE(r.next(body) == frame_reader::status::frame);
  static std::string copy;
  copy = std::string{body};
  return copy;
}

request round_trip(const request& in) {
  std::vector<char> out;
  encode_request(in, out);
  request back;
  std::string why;
  auto st = decode_request(body_of(out), back, why);
  BOOST_REQUIRE_MESSAGE(st == decode_status::ok, why);
  return back;
}

response round_trip(const response& in) {
  std::vector<char> out;
  encode_response(in, out);
  response back;
  std::string why;
  BOOST_REQUIRE_MESSAGE(decode_response(body_of(out), back, why), why);
  return back;
}

/// Packs a map from (key, value) pairs given as a lambda over a packer.
template <class F>
std::string packed(F&& f) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk{buf};
  f(pk);
  return std::string{buf.data(), buf.size()};
}

decode_status decode(const std::string& body, request& out, std::string& why) {
  return decode_request(body, out, why);
}

request bet() {
  request r;
  r.op = op_kind::txn;
  r.rid = 7;
  r.kind = txn_kind::bet;
  r.id = "tx-1";
  r.account = "alice";
  r.amount = 1250;
  r.has_amount = true;
  r.currency = "EUR";
  r.partner = "acme";
  r.round = "round-9";
  r.game = "slot";
  return r;
}

/// A txn map with one field replaced (or removed when value is empty).
std::string txn_with(const std::string& key, const msgpack::object* value) {
  std::map<std::string, msgpack::object> fields;
  msgpack::zone z;
  fields["op"] = msgpack::object(std::string("txn"), z);
  fields["rid"] = msgpack::object(3, z);
  fields["kind"] = msgpack::object(std::string("bet"), z);
  fields["id"] = msgpack::object(std::string("t1"), z);
  fields["account"] = msgpack::object(std::string("alice"), z);
  fields["amount"] = msgpack::object(10, z);
  fields["currency"] = msgpack::object(std::string("EUR"), z);
  fields["partner"] = msgpack::object(std::string("acme"), z);
  if (value == nullptr)
    fields.erase(key);
  else
    fields[key] = *value;
  return packed([&](auto& pk) { pk.pack(fields); });
}

}  // namespace

BOOST_AUTO_TEST_CASE(request_round_trips) {
  auto b = round_trip(bet());
  BOOST_CHECK(b.op == op_kind::txn);
  BOOST_CHECK_EQUAL(b.rid, 7u);
  BOOST_CHECK(b.kind == txn_kind::bet);
  BOOST_CHECK_EQUAL(b.id, "tx-1");
  BOOST_CHECK_EQUAL(b.account, "alice");
  BOOST_CHECK_EQUAL(b.amount, 1250);
  BOOST_CHECK_EQUAL(b.currency, "EUR");
  BOOST_CHECK_EQUAL(b.partner, "acme");
  BOOST_CHECK_EQUAL(b.round, "round-9");
  BOOST_CHECK_EQUAL(b.game, "slot");

  request rb = bet();
  rb.kind = txn_kind::rollback;
  rb.ref = "tx-0";
  rb.has_amount = false;
  auto back = round_trip(rb);
  BOOST_CHECK(!back.has_amount);
  BOOST_CHECK_EQUAL(back.ref, "tx-0");

  request tr = bet();
  tr.kind = txn_kind::transfer;
  tr.partner.clear();
  tr.to = "bob";
  BOOST_CHECK_EQUAL(round_trip(tr).to, "bob");

  request h;
  h.op = op_kind::hello;
  h.rid = 1;
  h.token = "secret";
  BOOST_CHECK_EQUAL(round_trip(h).token, "secret");
  for (auto op : {op_kind::balance, op_kind::block, op_kind::unblock}) {
    request r;
    r.op = op;
    r.rid = 2;
    r.account = "house:EUR";
    auto x = round_trip(r);
    BOOST_CHECK(x.op == op);
    BOOST_CHECK_EQUAL(x.account, "house:EUR");
  }
  request o;
  o.op = op_kind::open;
  o.account = "a.b_c-d:e";
  o.currency = "KRW";
  BOOST_CHECK_EQUAL(round_trip(o).currency, "KRW");
  request p;
  p.op = op_kind::partner;
  p.partner = "acme";
  BOOST_CHECK_EQUAL(round_trip(p).partner, "acme");
}

BOOST_AUTO_TEST_CASE(response_round_trips) {
  response t;
  t.op = op_kind::txn;
  t.rid = 9;
  t.outcome = txn_status::duplicate;
  t.balance = -5;
  t.version = 12;
  auto x = round_trip(t);
  BOOST_CHECK(x.ok());
  BOOST_CHECK_EQUAL(x.rid, 9u);
  BOOST_CHECK(x.outcome == txn_status::duplicate);
  BOOST_CHECK_EQUAL(x.balance, -5);
  BOOST_CHECK_EQUAL(x.version, 12u);

  auto e = make_error(op_kind::txn, 4, error_code::insufficient_funds, "no money");
  e.has_balance = true;
  e.balance = 3;
  auto y = round_trip(e);
  BOOST_CHECK(y.error == error_code::insufficient_funds);
  BOOST_CHECK_EQUAL(y.message, "no money");
  BOOST_CHECK(y.has_balance);
  BOOST_CHECK_EQUAL(y.balance, 3);

  response h;
  h.op = op_kind::hello;
  h.granted_role = role::partner;
  h.partner = "acme";
  h.protocol_version = 1;
  auto hh = round_trip(h);
  BOOST_CHECK(hh.granted_role == role::partner);
  BOOST_CHECK_EQUAL(hh.partner, "acme");
  BOOST_CHECK_EQUAL(hh.protocol_version, 1u);

  response b;
  b.op = op_kind::balance;
  b.account = "partner:acme:EUR";
  b.currency = "EUR";
  b.kind = account_kind::partner;
  b.status = account_status::blocked;
  b.balance = 77;
  b.version = 3;
  auto bb = round_trip(b);
  BOOST_CHECK_EQUAL(bb.account, "partner:acme:EUR");
  BOOST_CHECK(bb.kind == account_kind::partner);
  BOOST_CHECK(bb.status == account_status::blocked);

  response p;
  p.op = op_kind::partner;
  p.partner = "acme";
  p.totals.push_back({"EUR", 100, 40, 10, 3, 2, 1, 50});
  p.totals.push_back({"USD", 1, 0, 0, 1, 0, 0, 1});
  BOOST_CHECK(round_trip(p).totals == p.totals);

  // Every error code survives, with its retryable flag.
  for (int c = 1; c <= static_cast<int>(error_code::internal); ++c) {
    auto err = make_error(op_kind::balance, 1, static_cast<error_code>(c), "m");
    BOOST_CHECK(round_trip(err).error == err.error);
  }
  BOOST_CHECK(is_retryable(error_code::overloaded));
  BOOST_CHECK(is_retryable(error_code::unavailable));
  BOOST_CHECK(is_retryable(error_code::internal));
  BOOST_CHECK(!is_retryable(error_code::insufficient_funds));
  BOOST_CHECK(!is_retryable(error_code::bad_request));
}

BOOST_AUTO_TEST_CASE(malformed_bodies_are_malformed) {
  request r;
  std::string why;
  BOOST_CHECK(decode("\xc1", r, why) == decode_status::malformed);            // reserved byte
  BOOST_CHECK(decode("\x82\xa2op", r, why) == decode_status::malformed);      // truncated
  BOOST_CHECK(decode(packed([](auto& pk) { pk.pack(std::vector<int>{1, 2}); }), r, why) ==
              decode_status::malformed);
  BOOST_CHECK(decode(packed([](auto& pk) { pk.pack(42); }), r, why) == decode_status::malformed);
  BOOST_CHECK(decode(packed([](auto& pk) { pk.pack(std::string("hi")); }), r, why) ==
              decode_status::malformed);
  auto trailing = packed([](auto& pk) {
    pk.pack(std::map<std::string, int>{{"rid", 1}});
    pk.pack(1);
  });
  BOOST_CHECK(decode(trailing, r, why) == decode_status::malformed);
  BOOST_CHECK(why.find("trailing") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_fields_are_bad_requests_naming_the_field) {
  request r;
  std::string why;
  auto expect_bad = [&](const std::string& body, const std::string& field) {
    BOOST_CHECK(decode(body, r, why) == decode_status::bad_request);
    BOOST_CHECK_MESSAGE(why.find("'" + field + "'") != std::string::npos,
                        "message '" << why << "' names " << field);
  };
  // Non-string keys.
  BOOST_CHECK(decode(packed([](auto& pk) { pk.pack(std::map<int, int>{{1, 2}}); }), r, why) ==
              decode_status::bad_request);
  // Missing op / rid, unknown op, mistyped rid.
  expect_bad(packed([](auto& pk) { pk.pack(std::map<std::string, int>{{"rid", 1}}); }), "op");
  expect_bad(packed([](auto& pk) { pk.pack(std::map<std::string, std::string>{{"op", "balance"}}); }), "rid");
  expect_bad(packed([](auto& pk) {
               pk.pack_map(2);
               pk.pack(std::string("op"));
               pk.pack(std::string("explode"));
               pk.pack(std::string("rid"));
               pk.pack(5);
             }),
             "op");
  BOOST_CHECK_EQUAL(r.rid, 5u);  // readable rid is kept for the error response
  expect_bad(packed([](auto& pk) {
               pk.pack_map(2);
               pk.pack(std::string("op"));
               pk.pack(std::string("balance"));
               pk.pack(std::string("rid"));
               pk.pack(-1);
             }),
             "rid");
  msgpack::zone z;
  auto obj = [&](auto v) { return msgpack::object(v, z); };
  msgpack::object o;
  o = obj(std::string("12"));
  expect_bad(txn_with("amount", &o), "amount");
  o = obj(1.5);
  expect_bad(txn_with("amount", &o), "amount");
  o = obj(uint64_t{std::numeric_limits<uint64_t>::max()});
  expect_bad(txn_with("amount", &o), "amount");
  expect_bad(txn_with("amount", nullptr), "amount");
  expect_bad(txn_with("partner", nullptr), "partner");
  expect_bad(txn_with("id", nullptr), "id");
  o = obj(std::string(65, 'x'));
  expect_bad(txn_with("id", &o), "id");
  o = obj(std::string(""));
  expect_bad(txn_with("account", &o), "account");
  o = obj(std::string(65, 'a'));
  expect_bad(txn_with("account", &o), "account");
  o = obj(std::string("bad id!"));
  expect_bad(txn_with("account", &o), "account");
  o = obj(std::string("eur"));
  expect_bad(txn_with("currency", &o), "currency");
  o = obj(std::string("EURO"));
  expect_bad(txn_with("currency", &o), "currency");
  o = obj(std::string("lottery"));
  expect_bad(txn_with("kind", &o), "kind");
  o = obj(std::string("a:b"));
  expect_bad(txn_with("partner", &o), "partner");
  o = obj(7);
  expect_bad(txn_with("round", &o), "round");
  // Kind-specific requirements.
  o = obj(std::string("rollback"));
  expect_bad(txn_with("kind", &o), "ref");
  o = obj(std::string("transfer"));
  expect_bad(txn_with("kind", &o), "to");
  // Zero and negative amounts pass the codec: the engine answers invalid_amount.
  o = obj(-5);
  BOOST_CHECK(decode(txn_with("amount", &o), r, why) == decode_status::ok);
  BOOST_CHECK_EQUAL(r.amount, -5);
  // Unknown keys are ignored.
  o = obj(std::string("whatever"));
  BOOST_CHECK(decode(txn_with("x-extension", &o), r, why) == decode_status::ok);
  // Edge lengths are accepted.
  o = obj(std::string(64, 'a'));
  BOOST_CHECK(decode(txn_with("account", &o), r, why) == decode_status::ok);
}

BOOST_AUTO_TEST_CASE(field_formats) {
  BOOST_CHECK(valid_account_id("house:EUR"));
  BOOST_CHECK(valid_account_id("A-z_0.9:"));
  BOOST_CHECK(!valid_account_id(""));
  BOOST_CHECK(!valid_account_id("a b"));
  BOOST_CHECK(!valid_partner_id("a:b"));
  BOOST_CHECK(valid_partner_id("acme-1"));
  BOOST_CHECK(valid_currency("EUR"));
  BOOST_CHECK(!valid_currency("Eur"));
  BOOST_CHECK(valid_txn_id("any bytes \xc3\xa9"));
  BOOST_CHECK(!valid_txn_id(""));
}

BOOST_AUTO_TEST_CASE(frames_split_and_joined) {
  std::vector<char> stream;
  for (int i = 0; i < 3; ++i) {
    request r = bet();
    r.rid = static_cast<uint64_t>(i + 1);
    encode_request(r, stream);
  }
  // Fed one byte at a time: frames come out whole, in order.
  frame_reader one_by_one;
  std::vector<uint64_t> rids;
  for (char c : stream) {
    one_by_one.feed(&c, 1);
    std::string_view body;
    while (one_by_one.next(body) == frame_reader::status::frame) {
      request r;
      std::string why;
      BOOST_REQUIRE(decode_request(body, r, why) == decode_status::ok);
      rids.push_back(r.rid);
    }
  }
  BOOST_CHECK((rids == std::vector<uint64_t>{1, 2, 3}));
  // Fed all at once.
  frame_reader whole;
  whole.feed(stream.data(), stream.size());
  std::string_view body;
  int n = 0;
  while (whole.next(body) == frame_reader::status::frame)
    ++n;
  BOOST_CHECK_EQUAL(n, 3);
  BOOST_CHECK_EQUAL(whole.buffered_bytes(), 0u);
  BOOST_CHECK(!whole.frame_ready());
  frame_reader half;
  half.feed(stream.data(), stream.size() / 2);
  BOOST_CHECK(half.frame_ready());  // the first frame is complete
  half.next(body);
  BOOST_CHECK(!half.frame_ready());
}

BOOST_AUTO_TEST_CASE(frame_limits) {
  std::string_view body;
  frame_reader empty;
  empty.feed("\0\0\0\0", 4);
  BOOST_CHECK(empty.next(body) == frame_reader::status::empty);
  BOOST_CHECK(empty.next(body) == frame_reader::status::empty);  // sticky

  frame_reader small{16};
  const char too_big[] = {0, 0, 0, 17};
  small.feed(too_big, 4);
  BOOST_CHECK(small.next(body) == frame_reader::status::too_large);
  small.feed("more", 4);
  BOOST_CHECK(small.next(body) == frame_reader::status::too_large);

  frame_reader exact{16};
  std::string f = std::string{"\0\0\0\x10", 4} + std::string(16, 'x');
  exact.feed(f.data(), f.size());
  BOOST_CHECK(exact.next(body) == frame_reader::status::frame);
  BOOST_CHECK_EQUAL(body.size(), 16u);

  frame_reader partial;
  partial.feed("\0\0", 2);
  BOOST_CHECK(partial.next(body) == frame_reader::status::need_more);
}
