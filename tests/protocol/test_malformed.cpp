// Requests the decoder must refuse: malformed bodies (the connection is closed) and well-formed
// maps with a bad field (bad_request naming the field; rid and op echoed when readable).
#include <boost/test/unit_test.hpp>

#include <limits>
#include <map>
#include <string>

#include "protocol_test_util.hpp"

using namespace settle::protocol;
using namespace settle::protocol::test;

namespace {

void expect_malformed(const std::string& body, const std::string& why_part = {}) {
  request r;
  r.rid = 99;  // stale values must not survive
  std::string why;
  BOOST_CHECK(decode_request(body, r, why) == decode_status::malformed);
  BOOST_CHECK_MESSAGE(!why.empty(), "a malformed body has a reason");
  BOOST_CHECK_MESSAGE(why.find(why_part) != std::string::npos,
                      "'" << why << "' contains '" << why_part << "'");
  BOOST_CHECK_EQUAL(r.rid, 0u);
}

/// Expects bad_request with a message starting "field '<field>': <problem>".
void expect_bad(const std::string& body, const std::string& field, const std::string& problem,
                uint64_t rid = 3, op_kind op = op_kind::txn) {
  request r;
  std::string why;
  BOOST_CHECK(decode_request(body, r, why) == decode_status::bad_request);
  std::string expected = "field '" + field + "': " + problem;
  BOOST_CHECK_MESSAGE(why.starts_with(expected), "'" << why << "' starts with '" << expected << "'");
  BOOST_CHECK_EQUAL(r.rid, rid);
  BOOST_CHECK_MESSAGE(r.op == op, "op " << to_string(r.op) << " == " << to_string(op));
}

/// A valid txn of `kind` with rid 3.
map_body txn(const char* kind) {
  map_body m{{"op", val("txn")},       {"rid", val(3)},          {"kind", val(kind)},
             {"id", val("t1")},        {"account", val("alice")}, {"currency", val("EUR")}};
  std::string k = kind;
  if (k != "rollback")
    m.set("amount", 10);
  if (k == "bet" || k == "win" || k == "rollback")
    m.set("partner", "acme");
  if (k == "rollback")
    m.set("ref", "t0");
  if (k == "transfer")
    m.set("to", "bob");
  return m;
}

/// A msgpack float64 whose big-endian IEEE bytes start with `high` (the rest zero), packed by
/// hand: msgpack-c's packer writes integral doubles as integers.
value float64_bytes(const char (&high)[3]) {
  return raw(std::string{"\xcb", 1} + std::string{high, 2} + std::string(6, '\0'));
}

const char* all_kinds[] = {"bet", "win", "rollback", "deposit", "withdraw", "transfer"};

}  // namespace

// -- malformed: not exactly one msgpack map --------------------------------------------------------

BOOST_AUTO_TEST_CASE(not_msgpack_is_malformed) {
  expect_malformed(std::string{"\xc1"});  // the one byte msgpack never uses
  expect_malformed(std::string{"\xc1\x80\x00", 3});
  expect_malformed("");  // frames are never empty, but the codec must not trust that
}

BOOST_AUTO_TEST_CASE(truncated_msgpack_is_malformed) {
  auto full = txn("bet").pack();
  for (size_t n = 1; n < full.size(); ++n)
    BOOST_TEST_CONTEXT("first " << n << " bytes") { expect_malformed(full.substr(0, n)); }
  expect_malformed(std::string{"\x82\xa2op", 4}, "truncated");
  expect_malformed(std::string{"\xdb\x00\x00\x10\x00", 5});  // str32 with its bytes missing
}

BOOST_AUTO_TEST_CASE(non_maps_are_malformed) {
  expect_malformed(packed([](auto& pk) { pk.pack(std::vector<int>{1, 2}); }), "array");
  expect_malformed(packed([](auto& pk) { pk.pack_array(0); }), "array");
  expect_malformed(packed([](auto& pk) { pk.pack(42); }), "integer");
  expect_malformed(packed([](auto& pk) { pk.pack(-42); }), "integer");
  expect_malformed(packed([](auto& pk) { pk.pack(std::string("op")); }), "string");
  expect_malformed(packed([](auto& pk) { pk.pack_nil(); }), "nil");
  expect_malformed(packed([](auto& pk) { pk.pack_true(); }), "boolean");
  expect_malformed(packed([](auto& pk) { pk.pack(1.5); }), "float");
  // An array holding a valid request map is still not a map.
  expect_malformed(packed([](auto& pk) {
    pk.pack_array(1);
    pk.pack(std::map<std::string, std::string>{{"op", "balance"}});
  }));
}

BOOST_AUTO_TEST_CASE(trailing_bytes_are_malformed) {
  auto good = map_body{{"op", val("balance")}, {"rid", val(1)}, {"account", val("a")}}.pack();
  expect_malformed(good + std::string(1, '\0'), "trailing");
  expect_malformed(good + good, "trailing");  // two maps in one frame
  expect_malformed(good + packed([](auto& pk) { pk.pack_nil(); }), "trailing");
}

BOOST_AUTO_TEST_CASE(huge_declared_sizes_fail_without_allocating) {
  // A few bytes that declare 2^32-1 elements must not make the decoder allocate for them.
  expect_malformed(std::string{"\xdd\xff\xff\xff\xff", 5});
  expect_malformed(std::string{"\xdf\xff\xff\xff\xff", 5});
  expect_malformed(std::string{"\x81\xa1x\xdd\x7f\xff\xff\xff", 8});  // inside a map value
  expect_malformed(std::string{"\xdf\x00\x01\x00\x00\xa2op\xa3txn", 12});
}

// -- bad_request: a map, but a bad field ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(non_string_keys_are_bad_requests) {
  request r;
  std::string why;
  auto int_keys = packed([](auto& pk) { pk.pack(std::map<int, int>{{1, 2}}); });
  BOOST_CHECK(decode_request(int_keys, r, why) == decode_status::bad_request);
  BOOST_CHECK(why.find("keys must be strings") != std::string::npos);
  BOOST_CHECK_EQUAL(r.rid, 0u);
  // Readable op and rid are echoed.
  auto mixed = map_body{{"op", val("balance")}, {"rid", val(12)}, {"account", val("a")}}.pack();
  mixed[0] = static_cast<char>(0x84);  // one more pair: a binary key
  mixed += packed([](auto& pk) {
    pk.pack_bin(1);
    pk.pack_bin_body("k", 1);
    pk.pack(1);
  });
  BOOST_CHECK(decode_request(mixed, r, why) == decode_status::bad_request);
  BOOST_CHECK(why.find("keys must be strings") != std::string::npos);
  BOOST_CHECK_EQUAL(r.rid, 12u);
  BOOST_CHECK(r.op == op_kind::balance);
}

BOOST_AUTO_TEST_CASE(op_missing_unknown_or_mistyped) {
  expect_bad(map_body{{"rid", val(5)}}.pack(), "op", "missing", 5, op_kind::hello);
  expect_bad(txn("bet").erase("op").pack(), "op", "missing", 3, op_kind::hello);
  expect_bad(txn("bet").set("op", "explode").pack(), "op", "unknown op 'explode'", 3,
             op_kind::hello);
  expect_bad(txn("bet").set("op", "TXN").pack(), "op", "unknown op 'TXN'", 3, op_kind::hello);
  expect_bad(txn("bet").set("op", 2).pack(), "op", "expected string", 3, op_kind::hello);
  expect_bad(txn("bet").set("op", nil()).pack(), "op", "missing", 3, op_kind::hello);
  expect_bad(map_body{}.pack(), "op", "missing", 0, op_kind::hello);
  // Unknown names are echoed shortened and escaped.
  request r;
  std::string why;
  BOOST_CHECK(decode_request(txn("bet").set("op", std::string(1000, 'z') + "\n").pack(), r, why) ==
              decode_status::bad_request);
  BOOST_CHECK_LT(why.size(), 100u);
  BOOST_CHECK(decode_request(txn("bet").set("op", "a\nb'").pack(), r, why) ==
              decode_status::bad_request);
  BOOST_CHECK_EQUAL(why, "field 'op': unknown op 'a\\x0ab\\x27'");
}

BOOST_AUTO_TEST_CASE(rid_missing_or_mistyped) {
  expect_bad(txn("bet").erase("rid").pack(), "rid", "missing", 0);
  expect_bad(txn("bet").set("rid", -1).pack(), "rid", "expected unsigned integer", 0);
  expect_bad(txn("bet").set("rid", "3").pack(), "rid", "expected unsigned integer", 0);
  expect_bad(txn("bet").set("rid", 3.5).pack(), "rid", "expected unsigned integer", 0);
  expect_bad(txn("bet").set("rid", float64_bytes("\x40\x08")).pack(), "rid",  // 3.0
             "expected unsigned integer", 0);
  expect_bad(txn("bet").set("rid", nil()).pack(), "rid", "missing", 0);
  expect_bad(map_body{{"op", val("balance")}, {"account", val("a")}}.pack(), "rid", "missing", 0,
             op_kind::balance);
}

BOOST_AUTO_TEST_CASE(mistyped_fields_are_named) {
  for (const char* field : {"kind", "id", "account", "currency", "partner", "ref", "to", "round",
                            "game"})
    BOOST_TEST_CONTEXT(field) {
      expect_bad(txn("bet").set(field, 7).pack(), field, "expected string, got integer");
      expect_bad(txn("bet").set(field, true).pack(), field, "expected string, got boolean");
    }
  expect_bad(txn("bet").set("amount", "10").pack(), "amount", "expected integer, got string");
  expect_bad(txn("bet").set("amount", 10.5).pack(), "amount", "expected integer, got float");
  expect_bad(txn("bet").set("amount", float64_bytes("\x40\x24")).pack(), "amount",  // 10.0
             "expected integer, got float");
  expect_bad(txn("bet").set("amount", false).pack(), "amount", "expected integer, got boolean");
  expect_bad(txn("bet").set("amount", std::vector<int>{10}).pack(), "amount",
             "expected integer, got array");
  expect_bad(txn("rollback").set("amount", "5").pack(), "amount", "expected integer");
  // Binary is not a string.
  expect_bad(txn("bet").set("id", [](sbuf_packer& pk) {
                            pk.pack_bin(2);
                            pk.pack_bin_body("t1", 2);
                          }).pack(),
             "id", "expected string, got binary");

  auto hello = map_body{{"op", val("hello")}, {"rid", val(1)}, {"token", val(5)}};
  expect_bad(hello.pack(), "token", "expected string", 1, op_kind::hello);
  auto open = map_body{{"op", val("open")}, {"rid", val(1)}, {"account", val("a")},
                       {"currency", val(978)}};
  expect_bad(open.pack(), "currency", "expected string", 1, op_kind::open);
  for (auto op : {"balance", "block", "unblock"}) {
    op_kind kind{};
    BOOST_REQUIRE(parse(op, kind));
    expect_bad(map_body{{"op", val(op)}, {"rid", val(1)}, {"account", val(1)}}.pack(), "account",
               "expected string", 1, kind);
  }
  expect_bad(map_body{{"op", val("partner")}, {"rid", val(1)}, {"partner", val(1)}}.pack(),
             "partner", "expected string", 1, op_kind::partner);
}

BOOST_AUTO_TEST_CASE(missing_fields_per_op) {
  expect_bad(map_body{{"op", val("hello")}, {"rid", val(1)}}.pack(), "token", "missing", 1,
             op_kind::hello);
  expect_bad(map_body{{"op", val("open")}, {"rid", val(1)}, {"currency", val("EUR")}}.pack(),
             "account", "missing", 1, op_kind::open);
  expect_bad(map_body{{"op", val("open")}, {"rid", val(1)}, {"account", val("a")}}.pack(),
             "currency", "missing", 1, op_kind::open);
  for (auto op : {"balance", "block", "unblock"}) {
    op_kind kind{};
    BOOST_REQUIRE(parse(op, kind));
    expect_bad(map_body{{"op", val(op)}, {"rid", val(1)}}.pack(), "account", "missing", 1, kind);
  }
  expect_bad(map_body{{"op", val("partner")}, {"rid", val(1)}}.pack(), "partner", "missing", 1,
             op_kind::partner);
  expect_bad(map_body{{"op", val("txn")}, {"rid", val(1)}}.pack(), "kind", "missing", 1);
}

BOOST_AUTO_TEST_CASE(missing_required_txn_fields_per_kind) {
  for (const char* kind : all_kinds) {
    BOOST_TEST_CONTEXT(kind) {
      std::string k = kind;
      // The base is valid.
      request r;
      std::string why;
      BOOST_CHECK_MESSAGE(decode_request(txn(kind).pack(), r, why) == decode_status::ok, why);
      for (const char* field : {"kind", "id", "account", "currency"})
        expect_bad(txn(kind).erase(field).pack(), field, "missing");
      if (k != "rollback")
        expect_bad(txn(kind).erase("amount").pack(), "amount", "missing");
      if (k == "bet" || k == "win" || k == "rollback")
        expect_bad(txn(kind).erase("partner").pack(), "partner", "missing");
      if (k == "rollback")
        expect_bad(txn(kind).erase("ref").pack(), "ref", "missing");
      if (k == "transfer")
        expect_bad(txn(kind).erase("to").pack(), "to", "missing");
      // nil is as good as missing; an empty string is not a value either.
      expect_bad(txn(kind).set("id", nil()).pack(), "id", "missing");
      expect_bad(txn(kind).set("id", "").pack(), "id", "must not be empty");
    }
  }
  // Requirements follow the kind, not the fields present.
  expect_bad(txn("bet").set("kind", "rollback").pack(), "ref", "missing");
  expect_bad(txn("bet").set("kind", "transfer").pack(), "to", "missing");
  expect_bad(txn("deposit").set("kind", "win").pack(), "partner", "missing");
  expect_bad(txn("bet").set("kind", "lottery").pack(), "kind", "unknown kind 'lottery'");
  expect_bad(txn("bet").set("kind", "").pack(), "kind", "must not be empty");
}

BOOST_AUTO_TEST_CASE(invalid_account_ids) {
  for (const char* field : {"account", "to"}) {
    BOOST_TEST_CONTEXT(field) {
      expect_bad(txn("transfer").set(field, "").pack(), field, "must not be empty");
      expect_bad(txn("transfer").set(field, std::string(65, 'a')).pack(), field,
                 "longer than 64 bytes");
      for (const char* bad : {"a b", "a/b", "a@b", "tab\t", "caf\xc3\xa9", "a,b", "a+b"})
        BOOST_TEST_CONTEXT(bad) {
          expect_bad(txn("transfer").set(field, std::string{bad}).pack(), field,
                     "invalid account id");
        }
      expect_bad(txn("transfer").set(field, std::string{"a\0b", 3}).pack(), field,
                 "invalid account id");
    }
  }
  expect_bad(map_body{{"op", val("open")}, {"rid", val(4)}, {"account", val("x y")},
                      {"currency", val("EUR")}}
                 .pack(),
             "account", "invalid account id 'x y'", 4, op_kind::open);
  expect_bad(map_body{{"op", val("balance")}, {"rid", val(4)}, {"account", val("")}}.pack(),
             "account", "must not be empty", 4, op_kind::balance);
  expect_bad(
      map_body{{"op", val("block")}, {"rid", val(4)}, {"account", val(std::string(65, 'b'))}}
          .pack(),
      "account", "longer than 64 bytes", 4, op_kind::block);
  expect_bad(map_body{{"op", val("unblock")}, {"rid", val(4)}, {"account", val("a!")}}.pack(),
             "account", "invalid account id", 4, op_kind::unblock);
}

BOOST_AUTO_TEST_CASE(invalid_partner_ids) {
  expect_bad(txn("bet").set("partner", "a:b").pack(), "partner", "invalid partner id 'a:b'");
  expect_bad(txn("bet").set("partner", "").pack(), "partner", "must not be empty");
  expect_bad(txn("bet").set("partner", std::string(65, 'p')).pack(), "partner",
             "longer than 64 bytes");
  // Checked also where it is optional.
  expect_bad(txn("deposit").set("partner", "a b").pack(), "partner", "invalid partner id");
  expect_bad(map_body{{"op", val("partner")}, {"rid", val(6)}, {"partner", val("partner:x")}}
                 .pack(),
             "partner", "invalid partner id", 6, op_kind::partner);
}

BOOST_AUTO_TEST_CASE(invalid_currencies) {
  for (const char* bad : {"eur", "Eur", "EU", "EURO", "E1R", "E R", "\xc3\x89UR"})
    BOOST_TEST_CONTEXT(bad) {
      expect_bad(txn("deposit").set("currency", bad).pack(), "currency", "invalid currency");
    }
  expect_bad(txn("deposit").set("currency", "").pack(), "currency", "must not be empty");
  expect_bad(map_body{{"op", val("open")}, {"rid", val(2)}, {"account", val("a")},
                      {"currency", val("usd")}}
                 .pack(),
             "currency", "invalid currency 'usd'", 2, op_kind::open);
}

BOOST_AUTO_TEST_CASE(over_long_strings) {
  expect_bad(txn("bet").set("id", std::string(65, 'x')).pack(), "id", "longer than 64 bytes");
  expect_bad(txn("rollback").set("ref", std::string(65, 'x')).pack(), "ref",
             "longer than 64 bytes");
  expect_bad(txn("rollback").set("ref", "").pack(), "ref", "must not be empty");
  expect_bad(txn("bet").set("round", std::string(65, 'x')).pack(), "round",
             "longer than 64 bytes");
  expect_bad(txn("bet").set("game", std::string(65, 'x')).pack(), "game", "longer than 64 bytes");
  auto hello = [](std::string token) {
    return map_body{{"op", val("hello")}, {"rid", val(1)}, {"token", val(std::move(token))}}.pack();
  };
  expect_bad(hello(std::string(257, 't')), "token", "longer than 256 bytes", 1, op_kind::hello);
  expect_bad(hello(""), "token", "must not be empty", 1, op_kind::hello);
}

BOOST_AUTO_TEST_CASE(amount_out_of_int64_range) {
  auto above = uint64_t{std::numeric_limits<int64_t>::max()} + 1;
  expect_bad(txn("bet").set("amount", above).pack(), "amount", "out of range");
  expect_bad(txn("bet").set("amount", std::numeric_limits<uint64_t>::max()).pack(), "amount",
             "out of range");
  expect_bad(txn("rollback").set("amount", above).pack(), "amount", "out of range");
}

BOOST_AUTO_TEST_CASE(first_problem_wins) {
  // Several problems: the message names one field, the first in reading order.
  auto body = txn("bet").set("amount", "x").set("currency", "eur").pack();
  request r;
  std::string why;
  BOOST_CHECK(decode_request(body, r, why) == decode_status::bad_request);
  BOOST_CHECK(why.starts_with("field 'currency'"));
}
