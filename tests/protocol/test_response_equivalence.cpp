// The direct encoders and the single-pass decode_response against the previous msgpack-c codec:
// byte-for-byte identical frames for every response and request (encode_txn_result and
// encode_error included), and identical decode_response answers (result, message, every field)
// on generated and mutated response bodies.
#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "protocol/codec.hpp"
#include "protocol/frame.hpp"
#include "reference_codec.hpp"

using namespace settle::protocol;
using namespace settle::protocol::test;

namespace {

bool same(const response& a, const response& b) {
  return a.op == b.op && a.rid == b.rid && a.error == b.error && a.message == b.message &&
         a.granted_role == b.granted_role && a.protocol_version == b.protocol_version &&
         a.partner == b.partner && a.account == b.account && a.currency == b.currency &&
         a.kind == b.kind && a.status == b.status && a.outcome == b.outcome &&
         a.balance == b.balance && a.version == b.version && a.has_balance == b.has_balance &&
         a.totals == b.totals && a.subscription == b.subscription;
}

std::string describe(const response& r) {
  std::ostringstream o;
  o << "op=" << to_string(r.op) << " rid=" << r.rid << " error=" << to_string(r.error)
    << " message=" << hex(r.message) << " role=" << to_string(r.granted_role)
    << " pv=" << r.protocol_version << " partner=" << hex(r.partner)
    << " account=" << hex(r.account) << " currency=" << hex(r.currency)
    << " kind=" << to_string(r.kind) << " status=" << to_string(r.status)
    << " outcome=" << to_string(r.outcome) << " balance=" << r.balance
    << " version=" << r.version << " has_balance=" << r.has_balance
    << " subscription=" << r.subscription << " totals=" << r.totals.size();
  for (const auto& t : r.totals)
    o << " [" << hex(t.currency) << " " << t.bets << " " << t.wins << " " << t.rollbacks << " "
      << t.bet_count << " " << t.win_count << " " << t.rollback_count << " " << t.ggr << "]";
  return o.str();
}

/// Text of any length, sometimes long enough for str8, str16 or str32.
std::string any_string(fuzz_rng& rng) {
  if (rng.chance(3))
    return std::string(rng.pick(std::vector<size_t>{31, 32, 255, 256, 65535, 65536, 70000}), 'm');
  return any_text(rng);
}

template <class Enum>
Enum any_enum(fuzz_rng& rng, Enum last) {
  if (rng.chance(2))
    return static_cast<Enum>(static_cast<int>(last) + 1 + static_cast<int>(rng.below(3)));
  return static_cast<Enum>(rng.below(static_cast<uint64_t>(last) + 1));
}

/// An op of the reference's own (hello .. unsubscribe), or a value past the last op. The
/// settlement ops have tests of their own (test_settlement_equivalence.cpp).
op_kind any_op(fuzz_rng& rng) {
  if (rng.chance(2))
    return static_cast<op_kind>(static_cast<int>(last_op_kind) + 1 + static_cast<int>(rng.below(3)));
  return static_cast<op_kind>(rng.below(static_cast<uint64_t>(op_kind::unsubscribe) + 1));
}

response any_response(fuzz_rng& rng) {
  response r;
  r.op = any_op(rng);
  r.rid = rng.pick(interesting_uints());
  if (rng.chance(40)) {
    r.error = any_enum(rng, last_error_code);
    if (r.error == error_code::none)
      r.error = error_code::bad_request;
    r.message = any_string(rng);
    r.has_balance = rng.chance(50);
  }
  r.granted_role = any_enum(rng, role::viewer);
  r.protocol_version = static_cast<uint32_t>(rng.pick(interesting_uints()));
  r.partner = any_string(rng);
  r.account = any_string(rng);
  r.currency = any_string(rng);
  r.kind = any_enum(rng, account_kind::house);
  r.status = any_enum(rng, account_status::blocked);
  r.outcome = any_enum(rng, txn_status::noop);
  r.balance = rng.pick(interesting_ints());
  r.version = rng.pick(interesting_uints());
  r.subscription = rng.pick(interesting_uints());
  const auto entries = rng.chance(5) ? 17 + rng.below(3) : rng.below(4);  // 16+: array16
  for (uint64_t i = 0; i < entries; ++i)
    r.totals.push_back({any_text(rng), rng.pick(interesting_ints()), rng.pick(interesting_ints()),
                        rng.pick(interesting_ints()), rng.pick(interesting_uints()),
                        rng.pick(interesting_uints()), rng.pick(interesting_uints()),
                        rng.pick(interesting_ints())});
  return r;
}

request any_request(fuzz_rng& rng) {
  request r;
  r.op = any_op(rng);
  r.rid = rng.pick(interesting_uints());
  r.kind = any_enum(rng, txn_kind::transfer);
  r.amount = rng.pick(interesting_ints());
  r.has_amount = rng.chance(50);
  for (std::string* s : {&r.token, &r.account, &r.currency, &r.partner, &r.id, &r.round, &r.game,
                         &r.ref, &r.to})
    if (rng.chance(70))
      *s = any_string(rng);
  for (auto* list : {&r.accounts, &r.partners})
    for (auto n = rng.below(3); n > 0; --n)
      list->push_back(any_text(rng));
  r.all = rng.chance(30);
  r.subscription = rng.pick(interesting_uints());
  return r;
}

std::vector<char> framed(const response& r) {
  std::vector<char> out{'p', 'r', 'e'};  // encoders append
  encode_response(r, out);
  return out;
}

std::string body_of(const std::vector<char>& frame, size_t offset) {
  return std::string{frame.data() + offset + frame_header_bytes,
                     frame.size() - offset - frame_header_bytes};
}

/// Decodes `body` with the reference and with decode_response (into a reused, dirty response)
/// and requires identical answers.
void check_same_decode(const std::string& body, response& reused, size_t& accepted) {
  response expected;
  std::string expected_why = "stale";
  const bool expected_ok = reference::decode_response(body, expected, expected_why);
  std::string why = "stale";
  const bool ok = decode_response(body, reused, why);
  BOOST_REQUIRE_MESSAGE(ok == expected_ok && why == expected_why,
                        "answer differs for body " << hex(body) << ": reference " << expected_ok
                                                   << " '" << expected_why << "', fast " << ok
                                                   << " '" << why << "'");
  BOOST_REQUIRE_MESSAGE(same(reused, expected), "fields differ for body "
                                                    << hex(body) << "\n reference "
                                                    << describe(expected) << "\n fast      "
                                                    << describe(reused));
  accepted += ok ? 1 : 0;
}

const char* const response_keys[] = {"rid",     "ok",      "error",   "message", "retryable",
                                     "role",    "partner", "account", "currency", "kind",
                                     "status",  "balance", "version", "totals"};
const char* const totals_keys[] = {"currency",  "bets",      "wins",           "rollbacks",
                                   "bet_count", "win_count", "rollback_count", "ggr"};

/// A value for a response key: mostly of the right type, often with an invalid content.
void response_value(fuzz_rng& rng, const std::string& key, mp_bytes& out) {
  if (rng.chance(12)) {
    any_value(rng, out);
    return;
  }
  if (key == "ok" || key == "retryable") {
    out.boolean(rng.chance(50));
  } else if (key == "rid" || key == "version" || key == "balance") {
    any_int(rng, out);
  } else if (key == "totals") {
    const auto n = static_cast<uint32_t>(rng.below(4));
    out.array(n);
    for (uint32_t i = 0; i < n; ++i) {
      if (rng.chance(5)) {
        any_value(rng, out);
        continue;
      }
      const auto pairs = static_cast<uint32_t>(rng.below(9));
      out.map(pairs);
      for (uint32_t j = 0; j < pairs; ++j) {
        const std::string k = rng.chance(90) ? rng.pick(totals_keys) : "x";
        if (rng.chance(3))
          any_value(rng, out, 0);  // a key of another type
        else
          out.str(k);
        if (rng.chance(15))
          any_value(rng, out, 0);
        else if (k == "currency")
          out.str("EUR");
        else
          any_int(rng, out);
      }
    }
  } else {
    static const std::vector<std::string> names{
        "applied", "duplicate", "noop",    "active",        "blocked",   "player", "house",
        "partner", "admin",     "viewer",  "bad_request",   "forbidden", "none",   "kaboom",
        "overloaded", "insufficient_funds", "unknown_partner", ""};
    out.str(rng.chance(80) ? rng.pick(names) : any_text(rng));
  }
}

std::string response_like(fuzz_rng& rng) {
  std::vector<std::string> pairs;
  const auto n = rng.below(9);
  for (uint64_t i = 0; i < n; ++i) {
    mp_bytes p;
    if (rng.chance(3)) {
      p.uint(7);
    } else {
      p.str(rng.chance(92) ? std::string{rng.pick(response_keys)} : any_text(rng));
    }
    std::string key = p.bytes.size() > 1 ? p.bytes.substr(1) : "";
    response_value(rng, key, p);
    pairs.push_back(std::move(p.bytes));
  }
  // Usually a plausible core: rid and ok first or last.
  mp_bytes core;
  core.str("rid").uint(rng.below(100)).str("ok").boolean(rng.chance(60));
  if (rng.chance(90))
    pairs.push_back(core.bytes);
  mp_bytes body;
  body.map(static_cast<uint32_t>(pairs.size() + (rng.chance(90) ? 1 : 0)));
  for (const auto& p : pairs)
    body.raw(p);
  return body.bytes;
}

}  // namespace

BOOST_AUTO_TEST_CASE(encode_response_is_byte_identical) {
  fuzz_rng rng{11};
  for (int i = 0; i < 20000; ++i) {
    const response r = any_response(rng);
    std::vector<char> expected{'p', 'r', 'e'};
    reference::encode_response(r, expected);
    const auto got = framed(r);
    BOOST_REQUIRE_MESSAGE(got == expected, "frame differs for " << describe(r));
  }
}

BOOST_AUTO_TEST_CASE(hot_encoders_match_encode_response) {
  fuzz_rng rng{12};
  for (int i = 0; i < 20000; ++i) {
    response r = any_response(rng);
    std::vector<char> direct{'p', 'r', 'e'};
    if (r.ok()) {
      r.op = op_kind::txn;
      encode_txn_result(r.rid, r.outcome, r.balance, r.version, direct);
    } else {
      encode_error(r.op, r.rid, r.error, r.message, r.has_balance, r.balance, r.version, direct);
    }
    std::vector<char> expected{'p', 'r', 'e'};
    reference::encode_response(r, expected);
    BOOST_REQUIRE_MESSAGE(direct == expected, "frame differs for " << describe(r));
    BOOST_REQUIRE(direct == framed(r));
  }
  // Every error code, with and without a balance, at the integer boundaries.
  for (int c = 1; c <= static_cast<int>(last_error_code) + 1; ++c)  // none is success
    for (int64_t balance : interesting_ints())
      for (bool has_balance : {false, true}) {
        auto r = make_error(op_kind::txn, 918273, static_cast<error_code>(c), "m");
        r.has_balance = has_balance;
        r.balance = balance;
        r.version = static_cast<uint64_t>(balance);
        std::vector<char> direct, expected;
        encode_error(r.op, r.rid, r.error, r.message, has_balance, balance, r.version, direct);
        reference::encode_response(r, expected);
        BOOST_REQUIRE(direct == expected);
      }
}

BOOST_AUTO_TEST_CASE(encode_request_is_byte_identical) {
  fuzz_rng rng{13};
  for (int i = 0; i < 20000; ++i) {
    const request r = any_request(rng);
    std::vector<char> expected{'p'}, got{'p'};
    reference::encode_request(r, expected);
    encode_request(r, got);
    BOOST_REQUIRE_MESSAGE(got == expected, "frame differs for op " << to_string(r.op) << " kind "
                                                                   << to_string(r.kind));
  }
}

BOOST_AUTO_TEST_CASE(encoded_responses_decode_as_before) {
  fuzz_rng rng{14};
  response reused;
  size_t accepted = 0;
  for (int i = 0; i < 20000; ++i)
    check_same_decode(body_of(framed(any_response(rng)), 3), reused, accepted);
  BOOST_CHECK_GT(accepted, 5000u);
}

BOOST_AUTO_TEST_CASE(generated_responses_decode_as_before) {
  fuzz_rng rng{15};
  response reused;
  size_t accepted = 0;
  for (int i = 0; i < 40000; ++i)
    check_same_decode(response_like(rng), reused, accepted);
  BOOST_TEST_MESSAGE("generated responses accepted: " << accepted);
  BOOST_CHECK_GT(accepted, 1000u);
}

BOOST_AUTO_TEST_CASE(mutated_responses_decode_as_before) {
  fuzz_rng rng{16};
  response reused;
  size_t accepted = 0;
  for (int i = 0; i < 40000; ++i) {
    std::string body = rng.chance(50) ? response_like(rng) : body_of(framed(any_response(rng)), 3);
    if (body.size() > 4096)
      body.resize(4096);  // long strings: a cut is as good as any mutation
    const auto mutations = 1 + rng.below(3);
    for (uint64_t m = 0; m < mutations; ++m)
      mutate(rng, body);
    check_same_decode(body, reused, accepted);
  }
  BOOST_CHECK_GT(accepted, 100u);
}

BOOST_AUTO_TEST_CASE(short_response_bodies_decode_as_before) {
  response reused;
  size_t accepted = 0;
  for (unsigned a = 0; a < 256; ++a)
    for (unsigned b = 0; b < 256; ++b)
      check_same_decode(std::string{static_cast<char>(a), static_cast<char>(b)}, reused, accepted);
  check_same_decode("", reused, accepted);
}
