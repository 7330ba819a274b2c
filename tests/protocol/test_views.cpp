// request_view: the view decoder's strings point into the body, and to_request, view_of and
// assign convert between views and owned requests without losing a field.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "protocol/codec.hpp"
#include "protocol/frame.hpp"

using namespace settle::protocol;

namespace {

request full_request() {
  request r;
  r.op = op_kind::txn;
  r.rid = 918273;
  r.token = "tok";
  r.account = "alice";
  r.currency = "EUR";
  r.partner = "acme";
  r.id = "tx-1";
  r.kind = txn_kind::transfer;
  r.amount = -5;
  r.has_amount = true;
  r.round = "r";
  r.game = "g";
  r.ref = "ref-1";
  r.to = "bob";
  return r;
}

void check_same(const request& a, const request_view& b) {
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

bool inside(std::string_view s, std::string_view body) {
  return s.data() >= body.data() && s.data() + s.size() <= body.data() + body.size();
}

}  // namespace

BOOST_AUTO_TEST_CASE(view_of_and_to_request_round_trip) {
  const request r = full_request();
  const request_view v = view_of(r);
  check_same(r, v);
  BOOST_CHECK(v.account.data() == r.account.data());  // a view, not a copy
  const request back = to_request(v);
  check_same(back, v);
  BOOST_CHECK(back.account.data() != r.account.data());  // an owned copy

  request reused = full_request();
  reused.token = std::string(100, 'x');
  assign(reused, view_of(request{}));  // assigning an empty view clears every field
  check_same(request{}, view_of(reused));
  assign(reused, v);
  check_same(reused, v);
}

BOOST_AUTO_TEST_CASE(decoded_views_point_into_the_frame_body) {
  request r = full_request();
  r.kind = txn_kind::rollback;
  r.token.clear();  // not a field of txn: not written
  std::vector<char> stream;
  encode_request(r, stream);
  frame_reader reader;
  reader.feed(stream.data(), stream.size());
  std::string_view body;
  BOOST_REQUIRE(reader.next(body) == frame_reader::status::frame);
  request_view v;
  std::string why;
  BOOST_REQUIRE_MESSAGE(decode_request(body, v, why) == decode_status::ok, why);
  BOOST_CHECK(why.empty());
  check_same(r, v);
  for (std::string_view s : {v.account, v.currency, v.partner, v.id, v.round, v.game, v.ref, v.to})
    BOOST_CHECK(inside(s, body));
}

BOOST_AUTO_TEST_CASE(view_decoder_resets_its_output) {
  request_view v = view_of(full_request());
  std::string why = "stale";
  std::vector<char> frame;
  request balance;
  balance.op = op_kind::balance;
  balance.rid = 2;
  balance.account = "bob";
  encode_request(balance, frame);
  const std::string body{frame.data() + frame_header_bytes, frame.size() - frame_header_bytes};
  BOOST_REQUIRE(decode_request(body, v, why) == decode_status::ok);
  BOOST_CHECK(why.empty());
  check_same(balance, v);

  v = view_of(full_request());
  BOOST_CHECK(decode_request(std::string_view{"\xc1", 1}, v, why) == decode_status::malformed);
  BOOST_CHECK_EQUAL(why, "not valid msgpack (parse error)");
  check_same(request{}, v);
}
