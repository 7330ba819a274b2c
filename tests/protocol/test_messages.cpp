// Names of enum values, retryable codes, make_error.
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

#include "protocol/messages.hpp"

using namespace settle::protocol;

namespace {

/// Every value of Enum in 0..last has a distinct name that parses back to it.
template <class Enum>
void names_round_trip(Enum last) {
  std::set<std::string> seen;
  for (int i = 0; i <= static_cast<int>(last); ++i) {
    auto x = static_cast<Enum>(i);
    auto name = to_string(x);
    BOOST_TEST_CONTEXT("value " << i << " named " << name) {
      BOOST_CHECK(!name.empty());
      BOOST_CHECK(seen.insert(std::string{name}).second);
      Enum back{};
      BOOST_CHECK(parse(name, back));
      BOOST_CHECK(back == x);
    }
  }
  Enum untouched = last;
  BOOST_CHECK(!parse("no-such-name", untouched));
  BOOST_CHECK(!parse("", untouched));
  BOOST_CHECK(untouched == last);
}

}  // namespace

BOOST_AUTO_TEST_CASE(enum_names_round_trip) {
  names_round_trip(error_code::internal);
  names_round_trip(last_error_code);
  names_round_trip(op_kind::unblock);
  names_round_trip(last_op_kind);
  names_round_trip(txn_kind::transfer);
  names_round_trip(account_kind::house);
  names_round_trip(account_status::blocked);
  names_round_trip(txn_status::noop);
  names_round_trip(role::viewer);
}

BOOST_AUTO_TEST_CASE(wire_names_are_the_documented_ones) {
  const char* codes[] = {"none",           "bad_request",     "unauthenticated",  "forbidden",
                         "unknown_account", "account_exists", "account_blocked",  "currency_mismatch",
                         "invalid_amount",  "insufficient_funds", "id_conflict",  "rolled_back",
                         "ref_mismatch",    "unknown_partner", "overloaded",      "unavailable",
                         "internal",       "rate_limited",    "partner_suspended", "credit_exhausted",
                         "fx_missing",     "unknown_period",  "no_contract"};
  for (int i = 0; i <= static_cast<int>(last_error_code); ++i)
    BOOST_CHECK_EQUAL(to_string(static_cast<error_code>(i)), codes[i]);
  BOOST_CHECK_EQUAL(to_string(op_kind::hello), "hello");
  BOOST_CHECK_EQUAL(to_string(op_kind::unblock), "unblock");
  BOOST_CHECK_EQUAL(to_string(txn_kind::rollback), "rollback");
  BOOST_CHECK_EQUAL(to_string(txn_kind::transfer), "transfer");
  BOOST_CHECK_EQUAL(to_string(account_kind::player), "player");
  BOOST_CHECK_EQUAL(to_string(account_status::blocked), "blocked");
  BOOST_CHECK_EQUAL(to_string(txn_status::duplicate), "duplicate");
  BOOST_CHECK_EQUAL(to_string(role::partner), "partner");
  // Out-of-range values never index past the tables.
  BOOST_CHECK_EQUAL(to_string(static_cast<error_code>(200)), "invalid");
  BOOST_CHECK_EQUAL(to_string(op_kind::snapshot), "snapshot");
  BOOST_CHECK_EQUAL(to_string(op_kind::subscribe), "subscribe");
  BOOST_CHECK_EQUAL(to_string(op_kind::unsubscribe), "unsubscribe");
  BOOST_CHECK_EQUAL(to_string(op_kind::contract_set), "contract_set");
  BOOST_CHECK_EQUAL(to_string(op_kind::reconcile), "reconcile");
  BOOST_CHECK_EQUAL(to_string(static_cast<op_kind>(static_cast<int>(last_op_kind) + 1)),
                    "invalid");
}

BOOST_AUTO_TEST_CASE(only_overloaded_unavailable_internal_rate_limited_are_retryable) {
  for (int i = 0; i <= static_cast<int>(last_error_code); ++i) {
    auto e = static_cast<error_code>(i);
    bool expected = e == error_code::overloaded || e == error_code::unavailable ||
                    e == error_code::internal || e == error_code::rate_limited;
    BOOST_CHECK_MESSAGE(is_retryable(e) == expected, to_string(e));
  }
}

BOOST_AUTO_TEST_CASE(make_error_fills_an_error_response) {
  auto r = make_error(op_kind::txn, 42, error_code::insufficient_funds, "balance 3 < 5");
  BOOST_CHECK(r.op == op_kind::txn);
  BOOST_CHECK_EQUAL(r.rid, 42u);
  BOOST_CHECK(r.error == error_code::insufficient_funds);
  BOOST_CHECK_EQUAL(r.message, "balance 3 < 5");
  BOOST_CHECK(!r.ok());
  BOOST_CHECK(!r.has_balance);
  BOOST_CHECK(response{}.ok());
}
