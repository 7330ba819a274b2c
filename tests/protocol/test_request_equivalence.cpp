// decode_request (views and owned) against the previous msgpack-c decoder on many generated
// bodies: valid and invalid requests of every op, duplicate, nil, unknown and non-string keys,
// values of every type and encoding, and random mutations of all of those. Status, message and
// every field must be identical.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_util.hpp"
#include "protocol/codec.hpp"
#include "reference_codec.hpp"

using namespace settle::protocol;
using namespace settle::protocol::test;

namespace {

std::string describe(const request& r) {
  std::ostringstream o;
  o << "op=" << to_string(r.op) << " rid=" << r.rid << " token=" << hex(r.token)
    << " account=" << hex(r.account) << " currency=" << hex(r.currency)
    << " partner=" << hex(r.partner) << " id=" << hex(r.id) << " kind=" << to_string(r.kind)
    << " amount=" << r.amount << " has_amount=" << r.has_amount << " round=" << hex(r.round)
    << " game=" << hex(r.game) << " ref=" << hex(r.ref) << " to=" << hex(r.to)
    << " all=" << r.all << " subscription=" << r.subscription << " accounts=";
  for (const auto& a : r.accounts)
    o << hex(a) << ",";
  o << " partners=";
  for (const auto& p : r.partners)
    o << hex(p) << ",";
  return o.str();
}

bool same(const request& a, const request& b) {
  return a.op == b.op && a.rid == b.rid && a.token == b.token && a.account == b.account &&
         a.currency == b.currency && a.partner == b.partner && a.id == b.id && a.kind == b.kind &&
         a.amount == b.amount && a.has_amount == b.has_amount && a.round == b.round &&
         a.game == b.game && a.ref == b.ref && a.to == b.to && a.accounts == b.accounts &&
         a.partners == b.partners && a.all == b.all && a.subscription == b.subscription;
}

/// Every non-empty string of `v` lies inside `body`.
bool points_into(const request_view& v, std::string_view body) {
  for (std::string_view s : {v.token, v.account, v.currency, v.partner, v.id, v.round, v.game,
                             v.ref, v.to})
    if (!s.empty() && (s.data() < body.data() || s.data() + s.size() > body.data() + body.size()))
      return false;
  return true;
}

/// A request left over from an earlier decode, every field set: nothing of it may survive.
request stale_request() {
  request r;
  r.op = op_kind::partner;
  r.rid = 4242;
  r.token = "old token";
  r.account = std::string(70, 'o');
  r.currency = "OLD";
  r.partner = "oldp";
  r.id = "old-id";
  r.kind = txn_kind::withdraw;
  r.amount = 17;
  r.has_amount = true;
  r.round = "old-round";
  r.game = "old-game";
  r.ref = "old-ref";
  r.to = "old-to";
  return r;
}

struct counts {
  size_t ok = 0, bad_request = 0, malformed = 0;
};

/// Decodes `body` with all three decoders and requires identical answers.
void check_same_answer(const std::string& body, counts& seen) {
  request expected;
  std::string expected_why = "stale";
  const auto expected_st = reference::decode_request(body, expected, expected_why);

  const request stale = stale_request();
  request_view view = view_of(stale);  // nothing of it may survive
  std::string view_why = "stale";
  const auto view_st = decode_request(body, view, view_why);

  request owned = stale_request();
  std::string owned_why = "stale";
  const auto owned_st = decode_request(body, owned, owned_why);

  BOOST_REQUIRE_MESSAGE(view_st == expected_st && owned_st == expected_st,
                        "status differs for body " << hex(body) << ": reference "
                                                   << static_cast<int>(expected_st) << ", view "
                                                   << static_cast<int>(view_st) << ", owned "
                                                   << static_cast<int>(owned_st));
  BOOST_REQUIRE_MESSAGE(view_why == expected_why && owned_why == expected_why,
                        "message differs for body " << hex(body) << ": reference '"
                                                    << expected_why << "', view '" << view_why
                                                    << "', owned '" << owned_why << "'");
  BOOST_REQUIRE_MESSAGE(same(to_request(view), expected) && same(owned, expected),
                        "fields differ for body " << hex(body) << "\n reference "
                                                  << describe(expected) << "\n view      "
                                                  << describe(to_request(view)) << "\n owned     "
                                                  << describe(owned));
  BOOST_REQUIRE_MESSAGE(points_into(view, body), "a view points outside the body " << hex(body));
  switch (expected_st) {
    case decode_status::ok: ++seen.ok; break;
    case decode_status::bad_request: ++seen.bad_request; break;
    case decode_status::malformed: ++seen.malformed; break;
  }
}

const char* const request_keys[] = {"op",      "rid",  "token",    "account",  "currency",
                                    "partner", "id",   "kind",     "amount",   "round",
                                    "game",    "ref",  "to",       "accounts", "partners",
                                    "all",     "subscription"};

/// The keys a request of `op` (and txn `kind`) needs.
std::vector<std::string> keys_of_op(const std::string& op, const std::string& kind) {
  if (op == "hello")
    return {"token"};
  if (op == "open")
    return {"account", "currency"};
  if (op == "balance" || op == "block" || op == "unblock")
    return {"account"};
  if (op == "partner")
    return {"partner"};
  if (op == "subscribe")
    return {"accounts", "partners", "all"};
  if (op == "unsubscribe")
    return {"subscription"};
  if (op != "txn")
    return {};
  std::vector<std::string> keys{"kind", "id", "account", "currency", "amount"};
  if (kind == "bet" || kind == "win" || kind == "rollback")
    keys.push_back("partner");
  if (kind == "rollback")
    keys.push_back("ref");
  if (kind == "transfer")
    keys.push_back("to");
  if (kind == "bet") {
    keys.push_back("round");
    keys.push_back("game");
  }
  return keys;
}

/// A value for `key`: mostly a good one, sometimes anything at all.
void value_for(fuzz_rng& rng, const std::string& key, const std::string& op,
               const std::string& kind, mp_bytes& out) {
  if (rng.chance(15)) {
    any_value(rng, out);
    return;
  }
  if (key == "op")
    out.str(op);
  else if (key == "kind")
    out.str(kind);
  else if (key == "accounts" || key == "partners") {
    const uint32_t n = static_cast<uint32_t>(rng.below(4));
    out.array(n);
    for (uint32_t i = 0; i < n; ++i)
      out.str(rng.pick(std::vector<std::string>{"alice", "acme", "house:EUR", "a:b", "",
                                                std::string(65, 'x')}));
  } else if (key == "all")
    out.boolean(rng.chance(50));
  else if (key == "rid" || key == "subscription")
    out.uint(rng.chance(50) ? rng.below(1000) : rng.pick(interesting_uints()));
  else if (key == "amount")
    out.sint(rng.chance(70) ? static_cast<int64_t>(rng.below(100000))
                            : rng.pick(interesting_ints()));
  else if (key == "currency")
    out.str(rng.pick(std::vector<std::string>{"EUR", "USD", "KRW", "eur", "EURO"}));
  else if (key == "account" || key == "to")
    out.str(rng.pick(std::vector<std::string>{"alice", "bob", "p48213", "house:EUR",
                                              std::string(64, 'a'), "a b", ""}));
  else if (key == "partner")
    out.str(rng.pick(std::vector<std::string>{"acme", "prov7", "a:b", std::string(64, 'p')}));
  else if (key == "token")
    out.str(rng.pick(std::vector<std::string>{"s3cret", std::string(256, 't'),
                                              std::string(257, 't'), ""}));
  else
    out.str(rng.chance(80) ? "tx-" + std::to_string(rng.below(100)) : any_text(rng));
}

/// A request-like map: the op's keys (some dropped), sometimes other ops' keys, duplicates,
/// nils, unknown keys and non-string keys, in a random order.
std::string request_like(fuzz_rng& rng) {
  static const std::vector<std::string> ops{"txn",     "txn",   "txn",     "hello",  "open",
                                            "balance", "block", "unblock", "partner", "snapshot",
                                            "subscribe", "unsubscribe", "bogus"};
  static const std::vector<std::string> kinds{"bet",     "bet",      "win",     "rollback",
                                              "deposit", "withdraw", "transfer", "refund"};
  const std::string op = rng.pick(ops);
  const std::string kind = rng.pick(kinds);

  std::vector<std::string> pairs;  // each one packed key + value
  auto add = [&](const std::string& key) {
    mp_bytes p;
    p.str(key, rng.chance(95) ? -1 : 1);
    if (rng.chance(4))
      p.nil();
    else
      value_for(rng, key, op, kind, p);
    pairs.push_back(std::move(p.bytes));
  };
  if (rng.chance(95))
    add("op");
  if (rng.chance(95))
    add("rid");
  for (const auto& key : keys_of_op(op, kind))
    if (rng.chance(93))
      add(key);
  if (rng.chance(20))
    add(rng.pick(request_keys));  // a key of another op, or a duplicate
  if (rng.chance(10))
    add(rng.pick(request_keys));
  if (rng.chance(20)) {  // unknown keys, any value
    mp_bytes p;
    p.str(rng.pick(std::vector<std::string>{"x-trace", "", "opp", "o", "ridd", "Op", "amounts",
                                            "currenc", "partners", "tokens"}));
    any_value(rng, p);
    pairs.push_back(std::move(p.bytes));
  }
  if (rng.chance(5)) {  // a non-string key
    mp_bytes p;
    any_value(rng, p, 1);
    if (!p.bytes.empty() && (static_cast<unsigned char>(p.bytes[0]) & 0xe0) == 0xa0)
      p.bytes = "\x01";  // that was a fixstr: use an integer instead
    any_value(rng, p);
    pairs.push_back(std::move(p.bytes));
  }
  for (size_t i = pairs.size(); i > 1; --i)  // shuffle
    std::swap(pairs[i - 1], pairs[rng.below(i)]);
  mp_bytes body;
  body.map(static_cast<uint32_t>(pairs.size()), rng.chance(90) ? -1 : 2);
  for (const auto& p : pairs)
    body.raw(p);
  return body.bytes;
}

}  // namespace

BOOST_AUTO_TEST_CASE(generated_requests_decode_as_before) {
  fuzz_rng rng{20261123};
  counts seen;
  for (int i = 0; i < 40000; ++i)
    check_same_answer(request_like(rng), seen);
  BOOST_TEST_MESSAGE("generated: " << seen.ok << " ok, " << seen.bad_request << " bad_request, "
                                   << seen.malformed << " malformed");
  // The generator must exercise every outcome substantially.
  BOOST_CHECK_GT(seen.ok, 5000u);
  BOOST_CHECK_GT(seen.bad_request, 10000u);
}

BOOST_AUTO_TEST_CASE(mutated_requests_decode_as_before) {
  fuzz_rng rng{77};
  counts seen;
  for (int i = 0; i < 40000; ++i) {
    std::string body = request_like(rng);
    const auto mutations = 1 + rng.below(3);
    for (uint64_t m = 0; m < mutations; ++m)
      mutate(rng, body);
    check_same_answer(body, seen);
  }
  BOOST_TEST_MESSAGE("mutated: " << seen.ok << " ok, " << seen.bad_request << " bad_request, "
                                 << seen.malformed << " malformed");
  BOOST_CHECK_GT(seen.malformed, 10000u);
  BOOST_CHECK_GT(seen.bad_request, 3000u);
}

BOOST_AUTO_TEST_CASE(random_values_decode_as_before) {
  // Whole bodies of any msgpack value: mostly not maps, many malformed.
  fuzz_rng rng{5};
  counts seen;
  for (int i = 0; i < 20000; ++i) {
    mp_bytes body;
    any_value(rng, body, 3);
    if (rng.chance(30))
      mutate(rng, body.bytes);
    check_same_answer(body.bytes, seen);
  }
  BOOST_CHECK_GT(seen.malformed, 1000u);
}

BOOST_AUTO_TEST_CASE(short_byte_strings_decode_as_before) {
  // Every body of one byte and every body of two bytes: all format bytes, all truncations.
  counts seen;
  for (unsigned a = 0; a < 256; ++a) {
    check_same_answer(std::string(1, static_cast<char>(a)), seen);
    for (unsigned b = 0; b < 256; ++b)
      check_same_answer(std::string{static_cast<char>(a), static_cast<char>(b)}, seen);
  }
  check_same_answer("", seen);
}

BOOST_AUTO_TEST_CASE(duplicates_nil_and_unknown_keys_decode_as_before) {
  counts seen;
  auto bet = [](mp_bytes& m) {
    m.str("op").str("txn").str("rid").uint(3).str("kind").str("bet").str("id").str("t1");
    m.str("account").str("alice").str("currency").str("EUR").str("amount").uint(10);
    m.str("partner").str("acme");
  };
  {  // the last duplicate wins, whichever is valid
    mp_bytes m;
    m.map(10);
    bet(m);
    m.str("amount").str("ten").str("amount").sint(-4);
    check_same_answer(m.bytes, seen);
  }
  {
    mp_bytes m;
    m.map(9);
    bet(m);
    m.str("account").str("not valid");
    check_same_answer(m.bytes, seen);
  }
  {  // a later nil makes a field absent again
    mp_bytes m;
    m.map(9);
    bet(m);
    m.str("partner").nil();
    check_same_answer(m.bytes, seen);
  }
  {  // a nil op, then a good one
    mp_bytes m;
    m.map(9);
    m.str("op").nil();
    bet(m);
    check_same_answer(m.bytes, seen);
  }
  {  // unknown keys with nested values, a key of each type
    mp_bytes m;
    m.map(13);
    bet(m);
    m.str("x").array(2).map(1).str("op").str("hello").array(0);
    m.str("").map(0);
    m.str("ops").str("txn");
    m.str("rid2").nil();
    m.str("kindx").byte(0xd4).byte(1).byte(2);
    check_same_answer(m.bytes, seen);
  }
  for (int key_type = 0; key_type < 6; ++key_type) {  // non-string keys of every kind
    mp_bytes m;
    m.map(9);
    bet(m);
    switch (key_type) {
      case 0: m.uint(1); break;
      case 1: m.nil(); break;
      case 2: m.byte(0xc4).byte(2).raw("op"); break;
      case 3: m.array(1).str("op"); break;
      case 4: m.map(1).str("op").str("txn"); break;
      default: m.byte(0xcb).be(0, 8); break;
    }
    m.str("txn");
    check_same_answer(m.bytes, seen);
  }
  BOOST_CHECK_GT(seen.ok, 0u);
  BOOST_CHECK_GT(seen.bad_request, 0u);
}

BOOST_AUTO_TEST_CASE(huge_declared_sizes_decode_as_before) {
  counts seen;
  // Containers and strings declaring far more than the body holds, at the top and nested, in
  // keys and values, just at and just over the limits (elements <= body bytes, pairs <= half).
  for (unsigned format : {0xdcu, 0xddu, 0xdeu, 0xdfu, 0xd9u, 0xdau, 0xdbu, 0xc4u, 0xc5u, 0xc6u,
                          0xc7u, 0xc8u, 0xc9u})
    for (uint64_t n : {uint64_t{0}, uint64_t{1}, uint64_t{2}, uint64_t{3}, uint64_t{4},
                       uint64_t{5}, uint64_t{6}, uint64_t{7}, uint64_t{8}, uint64_t{9},
                       uint64_t{10}, uint64_t{16}, uint64_t{0xffff}, uint64_t{0xffffffff}}) {
      const size_t width = format == 0xd9 || format == 0xc4 || format == 0xc7 ? 1
                           : format == 0xdc || format == 0xde || format == 0xda ||
                                   format == 0xc5 || format == 0xc8
                               ? 2
                               : 4;
      if (width < 4 && n >= (uint64_t{1} << (8 * width)))
        continue;
      mp_bytes item;
      item.byte(format).be(n, width);
      check_same_answer(item.bytes, seen);
      check_same_answer(item.bytes + std::string(6, '\x01'), seen);
      mp_bytes in_value;
      in_value.map(1).str("x").raw(item.bytes).raw(std::string(3, '\xc0'));
      check_same_answer(in_value.bytes, seen);
      mp_bytes in_key;
      in_key.map(2).raw(item.bytes).nil().str("op").str("txn");
      check_same_answer(in_key.bytes, seen);
    }
  // Fixed-size containers just at the limits: a map of n pairs in a body of 2n or 2n-1 bytes.
  for (unsigned n = 1; n < 16; ++n) {
    mp_bytes exact;
    exact.map(n);
    for (unsigned i = 1; i < 2 * n; ++i)
      exact.nil();
    check_same_answer(exact.bytes, seen);
    exact.nil();
    check_same_answer(exact.bytes, seen);
    mp_bytes arr;
    arr.array(n);
    check_same_answer(arr.bytes + std::string(n - 1, '\x01'), seen);
    check_same_answer(arr.bytes + std::string(n, '\x01'), seen);
  }
  BOOST_CHECK_GT(seen.malformed, 100u);
}

BOOST_AUTO_TEST_CASE(field_formats_accept_the_same_bytes_as_before) {
  for (int c = 0; c < 256; ++c) {
    const std::string one(1, static_cast<char>(c));
    const std::string inside = "a" + one + "b";
    BOOST_TEST_CONTEXT("byte " << c) {
      BOOST_CHECK_EQUAL(valid_account_id(one), reference::valid_account_id(one));
      BOOST_CHECK_EQUAL(valid_account_id(inside), reference::valid_account_id(inside));
      BOOST_CHECK_EQUAL(valid_partner_id(one), reference::valid_partner_id(one));
      BOOST_CHECK_EQUAL(valid_partner_id(inside), reference::valid_partner_id(inside));
      const std::string currency = "A" + one + "C";
      BOOST_CHECK_EQUAL(valid_currency(currency), reference::valid_currency(currency));
    }
  }
  for (size_t n : {0, 1, 63, 64, 65}) {
    const std::string s(n, 'a');
    BOOST_CHECK_EQUAL(valid_account_id(s), reference::valid_account_id(s));
    BOOST_CHECK_EQUAL(valid_partner_id(s), reference::valid_partner_id(s));
    BOOST_CHECK_EQUAL(valid_txn_id(s), reference::valid_txn_id(s));
  }
}
