// Heap allocations of the hot codec paths, counted by replacing the global operator new in this
// test executable (a module of its own, so no other test pays for the counting): decoding a
// request into views allocates nothing, nor do the owned decoder, decode_response and the
// direct encoders once their buffers are warm; a tiny body declaring 2^32 elements fails
// without allocating for them.
#define BOOST_TEST_MODULE protocol_allocations
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "protocol/codec.hpp"
#include "protocol/frame.hpp"
#include "protocol/settlement.hpp"

namespace {

// Counted only while `counting` is set, so Boost.Test's own allocations do not interfere.
bool counting = false;
size_t allocations = 0;

void* counted_alloc(std::size_t n) {
  if (counting)
    ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n))
    return p;
  throw std::bad_alloc{};
}

}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace settle::protocol;

namespace {

/// Heap allocations made by `f`.
template <class F>
size_t allocations_of(F&& f) {
  allocations = 0;
  counting = true;
  f();
  counting = false;
  return allocations;
}

std::string body_of(const request& r) {
  std::vector<char> frame;
  encode_request(r, frame);
  return std::string{frame.data() + frame_header_bytes, frame.size() - frame_header_bytes};
}

std::string body_of(const response& r) {
  std::vector<char> frame;
  encode_response(r, frame);
  return std::string{frame.data() + frame_header_bytes, frame.size() - frame_header_bytes};
}

/// One valid request of every op and txn kind, with long ids (no small-string shortcut).
std::vector<std::string> valid_bodies() {
  std::vector<std::string> bodies;
  const std::string long_id(64, 'i');
  for (int o = 0; o <= static_cast<int>(op_kind::snapshot); ++o) {
    request r;
    r.op = static_cast<op_kind>(o);
    r.rid = 918273;
    r.token = std::string(200, 't');
    r.account = std::string(40, 'a');
    r.currency = "EUR";
    r.partner = "provider-number-seven";
    if (r.op != op_kind::txn) {
      bodies.push_back(body_of(r));
      continue;
    }
    for (int k = 0; k <= static_cast<int>(txn_kind::transfer); ++k) {
      r.kind = static_cast<txn_kind>(k);
      r.id = long_id;
      r.amount = 1250;
      r.has_amount = true;
      r.round = long_id;
      r.game = "slot-machine-with-a-long-name";
      r.ref = r.kind == txn_kind::rollback ? long_id : "";
      r.to = r.kind == txn_kind::transfer ? "another-player-account" : "";
      bodies.push_back(body_of(r));
    }
  }
  return bodies;
}

}  // namespace

BOOST_AUTO_TEST_CASE(counting_works) {
  BOOST_CHECK_EQUAL(allocations_of([] { std::string s(100, 'x'); }), 1u);
}

BOOST_AUTO_TEST_CASE(decoding_into_views_allocates_nothing) {
  for (const auto& body : valid_bodies()) {
    request_view v;
    std::string why;
    why.reserve(64);
    decode_status st{};
    BOOST_CHECK_EQUAL(allocations_of([&] { st = decode_request(body, v, why); }), 0u);
    BOOST_REQUIRE_MESSAGE(st == decode_status::ok, why);
  }
}

BOOST_AUTO_TEST_CASE(decoding_settlement_ops_into_views_allocates_nothing) {
  // Off the hot path, but the I/O thread decodes them too: their check keeps nothing.
  auto s = std::make_shared<settlement_request>();
  s->contract = {"supplier", "EUR", "monthly", "Europe/Berlin", "06:00", "", "last", 1500,
                 "", 100000, 500};
  s->period = 7;
  s->base = "USD";
  s->quote = "KRW";
  s->rate = "1382.50";
  s->reconcile_id = std::string(64, 'r');
  s->rows.assign(500, {std::string(64, 'i'), txn_kind::win, 1250, "EUR"});
  for (int o = static_cast<int>(op_kind::contract_set); o <= static_cast<int>(last_settlement_op); ++o) {
    request r;
    r.op = static_cast<op_kind>(o);
    r.rid = 5;
    r.partner = "provider-number-seven";
    r.amount = 100;
    r.currency = "EUR";
    r.id = std::string(64, 't');
    r.settlement = s;
    const std::string body = body_of(r);
    request_view v;
    std::string why;
    why.reserve(64);
    decode_status st{};
    BOOST_CHECK_EQUAL(allocations_of([&] { st = decode_request(body, v, why); }), 0u);
    BOOST_REQUIRE_MESSAGE(st == decode_status::ok, why);
  }
}

BOOST_AUTO_TEST_CASE(decoding_into_a_warm_request_allocates_nothing) {
  const auto bodies = valid_bodies();
  request r;
  std::string why;
  for (const auto& body : bodies)  // grow every string once
    BOOST_REQUIRE(decode_request(body, r, why) == decode_status::ok);
  for (const auto& body : bodies)
    BOOST_CHECK_EQUAL(allocations_of([&] { decode_request(body, r, why); }), 0u);
}

BOOST_AUTO_TEST_CASE(hot_encoders_allocate_nothing_into_a_reserved_buffer) {
  std::vector<char> out;
  out.reserve(4096);
  BOOST_CHECK_EQUAL(allocations_of([&] {
                      encode_txn_result(918273, txn_status::applied, -874250, 4211, out);
                      encode_error(op_kind::txn, 918273, error_code::insufficient_funds,
                                   "balance 8750 is less than amount 99999", true, 8750, 4, out);
                      encode_error(op_kind::open, 1, error_code::bad_request,
                                   "field 'account': missing", false, 0, 0, out);
                    }),
                    0u);
  response txn;
  txn.op = op_kind::txn;
  out.clear();
  BOOST_CHECK_EQUAL(allocations_of([&] { encode_response(txn, out); }), 0u);
}

BOOST_AUTO_TEST_CASE(decoding_responses_into_a_warm_response_allocates_nothing) {
  response txn;
  txn.op = op_kind::txn;
  txn.rid = 918273;
  txn.balance = 874250;
  txn.version = 4211;
  auto refused = make_error(op_kind::txn, 7, error_code::insufficient_funds,
                            "balance 8750 is less than amount 99999");
  refused.has_balance = true;
  response balance;
  balance.op = op_kind::balance;
  balance.account = std::string(40, 'a');
  balance.currency = "EUR";
  for (const auto& body : {body_of(txn), body_of(refused), body_of(balance)}) {
    response out;
    std::string why;
    BOOST_REQUIRE_MESSAGE(decode_response(body, out, why), why);  // warms `out`
    BOOST_CHECK_EQUAL(allocations_of([&] { decode_response(body, out, why); }), 0u);
  }
}

BOOST_AUTO_TEST_CASE(huge_declared_sizes_fail_without_allocating_for_them) {
  // Only the error message may be allocated, never room for the declared elements.
  const std::string bodies[] = {
      std::string{"\xdd\xff\xff\xff\xff", 5},                  // array of 2^32-1
      std::string{"\xdf\xff\xff\xff\xff", 5},                  // map of 2^32-1
      std::string{"\x81\xa1x\xdd\x7f\xff\xff\xff", 8},         // inside a map value
      std::string{"\xdf\x00\x01\x00\x00\xa2op\xa3txn", 12},    // 65536 pairs, 2 given
      std::string{"\xdb\xff\xff\xff\xff", 5},                  // a 4 GiB string
  };
  for (const auto& body : bodies) {
    request_view v;
    std::string why;
    decode_status st{};
    BOOST_CHECK_LE(allocations_of([&] { st = decode_request(body, v, why); }), 1u);
    BOOST_CHECK(st == decode_status::malformed);
    response r;
    BOOST_CHECK_LE(allocations_of([&] { decode_response(body, r, why); }), 1u);
  }
  // Nested declarations, each within the body-size cap: the old decoder reserved room for
  // every level (elements x levels); this one only counts them.
  std::string nested;
  for (int i = 0; i < 20000; ++i)
    nested += std::string{"\xdc\x7f\xff", 3};  // arrays of 32767 elements, 20000 deep
  request_view v;
  std::string why;
  BOOST_CHECK_LE(allocations_of([&] { decode_request(nested, v, why); }), 1u);
  BOOST_CHECK_EQUAL(why, "truncated msgpack");
}
