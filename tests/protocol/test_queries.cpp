// The history and audit ops (docs/protocol.md "History and audit"): requests round-trip and
// their fields are checked (limit 1..max_page_items at and past its bounds, before_version,
// before as an entry id), answers round-trip with every optional field.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "protocol_test_util.hpp"

using namespace settle::protocol;
using namespace settle::protocol::test;

namespace {

request decoded(const std::string& body, decode_status want, std::string* why = nullptr) {
  request r;
  std::string error;
  BOOST_CHECK(decode_request(body, r, error) == want);
  if (why)
    *why = error;
  return r;
}

response answer_round_trip(const response& in) {
  std::vector<char> out;
  encode_response(in, out);
  response back;
  std::string why;
  BOOST_REQUIRE_MESSAGE(decode_response(body_of(out), back, why), why);
  return back;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(queries)

BOOST_AUTO_TEST_CASE(history_and_audit_requests_round_trip) {
  request h;
  h.op = op_kind::history;
  h.rid = 7;
  h.account = "p1";
  h.limit = 20;
  h.before_version = 99;
  h.partner = "acme";
  std::vector<char> out;
  encode_request(h, out);
  auto back = decoded(body_of(out), decode_status::ok);
  BOOST_CHECK(back.op == op_kind::history);
  BOOST_CHECK_EQUAL(back.account, "p1");
  BOOST_CHECK_EQUAL(back.limit, 20u);
  BOOST_CHECK_EQUAL(back.before_version, 99u);
  BOOST_CHECK_EQUAL(back.partner, "acme");
  request a;
  a.op = op_kind::audit;
  a.rid = 8;
  a.before = "1700000000000-3";
  out.clear();
  encode_request(a, out);
  back = decoded(body_of(out), decode_status::ok);
  BOOST_CHECK(back.op == op_kind::audit);
  BOOST_CHECK_EQUAL(back.limit, 0u);
  BOOST_CHECK_EQUAL(back.before, "1700000000000-3");
}

BOOST_AUTO_TEST_CASE(fields_are_checked_at_and_past_their_bounds) {
  struct row {
    map_body body;
    decode_status want;
    const char* message;  // part of the error ("" none)
  };
  const map_body hist{{"op", val("history")}, {"rid", val(1)}, {"account", val("p1")}};
  const map_body aud{{"op", val("audit")}, {"rid", val(1)}};
  auto with = [](map_body b, const std::string& k, value v) { return b.set(k, std::move(v)); };
  const std::vector<row> table{
      {hist, decode_status::ok, ""},
      {with(hist, "limit", val(1)), decode_status::ok, ""},
      {with(hist, "limit", val(1000)), decode_status::ok, ""},
      {with(hist, "limit", val(1001)), decode_status::bad_request, "field 'limit': expected 1..1000"},
      {with(hist, "limit", val(0)), decode_status::bad_request, "field 'limit'"},
      {with(hist, "limit", val(-1)), decode_status::bad_request, "field 'limit'"},
      {with(hist, "limit", val("5")), decode_status::bad_request, "field 'limit'"},
      {with(hist, "before_version", val(3)), decode_status::ok, ""},
      {with(hist, "before_version", val("3")), decode_status::bad_request, "before_version"},
      {with(hist, "partner", val("bad partner")), decode_status::bad_request, "partner"},
      {map_body{{"op", val("history")}, {"rid", val(1)}}, decode_status::bad_request,
       "field 'account': missing"},
      {aud, decode_status::ok, ""},
      {with(aud, "before", val("17-0")), decode_status::ok, ""},
      {with(aud, "before", val("17")), decode_status::bad_request, "expected <ms>-<seq>"},
      {with(aud, "before", val("a-1")), decode_status::bad_request, "field 'before'"},
      {with(aud, "before", val("1-")), decode_status::bad_request, "field 'before'"},
      {with(aud, "limit", val(1001)), decode_status::bad_request, "field 'limit'"},
  };
  for (const auto& r : table) {
    std::string why;
    decoded(r.body.pack(), r.want, &why);
    BOOST_CHECK_MESSAGE(why.find(r.message) != std::string::npos, why);
  }
}

BOOST_AUTO_TEST_CASE(history_answers_round_trip_with_optional_fields) {
  response r;
  r.op = op_kind::history;
  r.rid = 3;
  r.account = "p1";
  history_entry bet{"b1", "acme", "r1", "g1", "", "", -100, 900, 1'700'000'000'000, 2,
                    txn_kind::bet};
  history_entry dep{"d1", "", "", "", "", "", 1000, 1000, 1'700'000'000'000, 1,
                    txn_kind::deposit};
  history_entry xfer{"x1", "", "", "", "", "p2", -5, 895, 1'700'000'000'001, 3,
                     txn_kind::transfer};
  r.changes = {xfer, bet, dep};
  auto back = answer_round_trip(r);
  BOOST_CHECK(back.op == op_kind::history);
  BOOST_CHECK_EQUAL(back.account, "p1");
  BOOST_REQUIRE_EQUAL(back.changes.size(), 3u);
  BOOST_CHECK(back.changes[0] == xfer);
  BOOST_CHECK(back.changes[1] == bet);
  BOOST_CHECK(back.changes[2] == dep);
  r.changes.clear();
  BOOST_CHECK(answer_round_trip(r).changes.empty());
  BOOST_CHECK(answer_round_trip(r).op == op_kind::history);
}

BOOST_AUTO_TEST_CASE(audit_answers_round_trip) {
  response r;
  r.op = op_kind::audit;
  r.rid = 4;
  audit_entry ok{"17-0", 17, "ops", "block", "p1", "ok", ""};
  audit_entry refused{"16-2", 16, "ops", "topup", "acme", "no_contract", "no contract"};
  r.entries = {ok, refused};
  auto back = answer_round_trip(r);
  BOOST_CHECK(back.op == op_kind::audit);
  BOOST_REQUIRE_EQUAL(back.entries.size(), 2u);
  BOOST_CHECK(back.entries[0] == ok);
  BOOST_CHECK(back.entries[1] == refused);
}

BOOST_AUTO_TEST_SUITE_END()
