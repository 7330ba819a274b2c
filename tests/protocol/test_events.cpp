// Events: the framed event of a subscribed TCP connection (encode_event / decode_event) and the
// event arrays of the Redis channels (encode_event_array / decode_event_array): exact bytes,
// round trips of every kind, and malformed input refused with a message, never a crash.
#define BOOST_TEST_MODULE protocol_events
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "protocol/codec.hpp"
#include "fuzz_util.hpp"
#include "protocol_test_util.hpp"

using namespace settle::protocol;
using namespace settle::protocol::test;

namespace {

event balance_event(bool with_txn) {
  event e;
  e.kind = event_kind::balance;
  e.account = "alice";
  e.currency = "EUR";
  e.balance = 8750;
  e.version = 4;
  e.at_unix_ms = 1795386131708;
  e.has_txn = with_txn;
  if (with_txn) {
    e.txn = "tx-881";
    e.change = "bet";
    e.amount = -1250;
  }
  return e;
}

event partner_event() {
  event e;
  e.kind = event_kind::partner;
  e.partner = "acme";
  e.currency = "EUR";
  e.bets = 1250;
  e.wins = 300;
  e.rollbacks = 1250;
  e.ggr = -300;
  e.version = 3;
  e.at_unix_ms = 1795386131709;
  return e;
}

event closed_event() {
  event e;
  e.kind = event_kind::closed;
  e.reason = "the engine is stopping";
  return e;
}

void check_same(const event& a, const event& b) {
  BOOST_CHECK(a.kind == b.kind);
  BOOST_CHECK_EQUAL(a.at_unix_ms, b.at_unix_ms);
  BOOST_CHECK_EQUAL(a.version, b.version);
  BOOST_CHECK_EQUAL(a.currency, b.currency);
  BOOST_CHECK_EQUAL(a.account, b.account);
  BOOST_CHECK_EQUAL(a.balance, b.balance);
  BOOST_CHECK_EQUAL(a.has_txn, b.has_txn);
  BOOST_CHECK_EQUAL(a.txn, b.txn);
  BOOST_CHECK_EQUAL(a.change, b.change);
  BOOST_CHECK_EQUAL(a.amount, b.amount);
  BOOST_CHECK_EQUAL(a.partner, b.partner);
  BOOST_CHECK_EQUAL(a.bets, b.bets);
  BOOST_CHECK_EQUAL(a.wins, b.wins);
  BOOST_CHECK_EQUAL(a.rollbacks, b.rollbacks);
  BOOST_CHECK_EQUAL(a.ggr, b.ggr);
  BOOST_CHECK_EQUAL(a.reason, b.reason);
}

event round_trip(const event& e) {
  std::vector<char> framed;
  encode_event(e, framed);
  const std::string body = body_of(framed);
  BOOST_CHECK(is_event(body));
  event back;
  std::string why;
  BOOST_CHECK_MESSAGE(decode_event(body, back, why), why);
  return back;
}

std::string array_body(const std::vector<event>& events) {
  std::vector<char> out;
  encode_event_array(events, out);
  return {out.begin(), out.end()};
}

/// decode_event_array refuses `body` with a message.
void refused(const std::string& body, const std::string& what) {
  std::vector<event> out;
  std::string why;
  BOOST_CHECK_MESSAGE(!decode_event_array(body, out, why), what << ": accepted");
  BOOST_CHECK_MESSAGE(!why.empty(), what << ": no message");
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_kind_round_trips) {
  for (const event& e : {balance_event(true), balance_event(false), partner_event(),
                         closed_event()})
    check_same(round_trip(e), e);
}

BOOST_AUTO_TEST_CASE(extreme_values_and_long_strings_round_trip) {
  event e = balance_event(true);
  e.balance = std::numeric_limits<int64_t>::min();
  e.amount = std::numeric_limits<int64_t>::max();
  e.version = std::numeric_limits<uint64_t>::max();
  e.txn = std::string(64, 't');         // str8
  e.account = std::string(300, 'a');    // str16
  e.change = "withdraw";
  check_same(round_trip(e), e);
  event p = partner_event();
  p.bets = std::numeric_limits<int64_t>::max();
  p.ggr = std::numeric_limits<int64_t>::min();
  check_same(round_trip(p), p);
}

BOOST_AUTO_TEST_CASE(the_event_frame_holds_the_documented_map) {
  // Keys in this order and nothing else: the bytes clients and subscribers already read.
  std::vector<char> framed;
  encode_event(balance_event(true), framed);
  BOOST_CHECK(body_of(framed) == (map_body{{"event", val("balance")},
                                           {"account", val("alice")},
                                           {"currency", val("EUR")},
                                           {"balance", val(int64_t{8750})},
                                           {"version", val(uint64_t{4})},
                                           {"txn", val("tx-881")},
                                           {"kind", val("bet")},
                                           {"amount", val(int64_t{-1250})},
                                           {"at", val(int64_t{1795386131708})}}
                                      .pack()));
  framed.clear();
  encode_event(balance_event(false), framed);
  BOOST_CHECK(body_of(framed) == (map_body{{"event", val("balance")},
                                           {"account", val("alice")},
                                           {"currency", val("EUR")},
                                           {"balance", val(int64_t{8750})},
                                           {"version", val(uint64_t{4})},
                                           {"at", val(int64_t{1795386131708})}}
                                      .pack()));
  framed.clear();
  encode_event(partner_event(), framed);
  BOOST_CHECK(body_of(framed) == (map_body{{"event", val("partner")},
                                           {"partner", val("acme")},
                                           {"currency", val("EUR")},
                                           {"bets", val(int64_t{1250})},
                                           {"wins", val(int64_t{300})},
                                           {"rollbacks", val(int64_t{1250})},
                                           {"ggr", val(int64_t{-300})},
                                           {"version", val(uint64_t{3})},
                                           {"at", val(int64_t{1795386131709})}}
                                      .pack()));
  framed.clear();
  encode_event(closed_event(), framed);
  BOOST_CHECK(body_of(framed) == (map_body{{"event", val("closed")},
                                           {"reason", val("the engine is stopping")}}
                                      .pack()));
}

BOOST_AUTO_TEST_CASE(an_event_array_holds_the_frame_maps_in_order) {
  std::vector<event> events{balance_event(true), partner_event(), balance_event(false),
                            closed_event()};
  // Exactly an array header followed by each event frame's body.
  std::string expected = mp_bytes{}.array(static_cast<uint32_t>(events.size())).bytes;
  for (const auto& e : events) {
    std::vector<char> framed;
    encode_event(e, framed);
    expected += body_of(framed);
  }
  std::vector<char> out{'x', 'y'};  // appends: what is already there stays
  encode_event_array(events, out);
  BOOST_REQUIRE_GE(out.size(), 2u);
  BOOST_CHECK_EQUAL(std::string(out.begin(), out.begin() + 2), "xy");
  BOOST_CHECK(std::string(out.begin() + 2, out.end()) == expected);

  std::vector<event> back{closed_event()};  // cleared first
  std::string why;
  BOOST_REQUIRE_MESSAGE(decode_event_array(expected, back, why), why);
  BOOST_REQUIRE_EQUAL(back.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i)
    check_same(back[i], events[i]);
}

BOOST_AUTO_TEST_CASE(empty_and_large_event_arrays_round_trip) {
  std::vector<event> back{closed_event()};
  std::string why;
  BOOST_CHECK(array_body({}) == mp_bytes{}.array(0).bytes);
  BOOST_CHECK_MESSAGE(decode_event_array(array_body({}), back, why), why);
  BOOST_CHECK(back.empty());

  std::vector<event> many;  // more than 15 items: an array16 header
  for (int i = 0; i < 70'000; ++i) {
    event e = balance_event(i % 2 == 0);
    e.account = "acc-" + std::to_string(i);
    e.version = static_cast<uint64_t>(i);
    many.push_back(e);
  }
  for (size_t n : {size_t{16}, size_t{65536}, many.size()}) {  // array16 and array32 headers
    std::vector<event> part(many.begin(), many.begin() + static_cast<std::ptrdiff_t>(n));
    BOOST_REQUIRE_MESSAGE(decode_event_array(array_body(part), back, why), why);
    BOOST_REQUIRE_EQUAL(back.size(), n);
    check_same(back.front(), part.front());
    check_same(back.back(), part.back());
  }
}

BOOST_AUTO_TEST_CASE(malformed_event_arrays_are_refused) {
  const std::string good = array_body({balance_event(true), partner_event()});
  refused("", "empty body");
  refused(map_body{{"event", val("balance")}}.pack(), "a map, not an array");
  refused(mp_bytes{}.str("events").bytes, "a string");
  refused(good + '\x01', "trailing bytes");
  for (size_t n = 1; n < good.size(); ++n)  // every truncation
    refused(good.substr(0, n), "truncated at " + std::to_string(n));
  refused(mp_bytes{}.array(1).str("balance").bytes, "an item that is not a map");
  refused(mp_bytes{}.array(1).raw(map_body{{"account", val("alice")}}.pack()).bytes,
          "an item without 'event'");
  refused(mp_bytes{}.array(1).raw(map_body{{"event", val("balance")},
                                           {"balance", val("12")}}
                                      .pack())
              .bytes,
          "a mistyped field");
  refused(mp_bytes{}.array(1).raw(map_body{{"event", val("bogus")}}.pack()).bytes,
          "an unknown event kind");
  refused(mp_bytes{}.array(0xffffffffu, 4).bytes, "an array declaring 2^32-1 items");
  refused(mp_bytes{}.array(3).raw(map_body{{"event", val("closed")}}.pack()).bytes,
          "fewer items than declared");
}

BOOST_AUTO_TEST_CASE(malformed_events_are_refused) {
  std::vector<char> framed;
  encode_event(balance_event(true), framed);
  const std::string good = body_of(framed);
  event out;
  std::string why;
  for (size_t n = 0; n < good.size(); ++n) {
    BOOST_CHECK(!decode_event(good.substr(0, n), out, why));
    BOOST_CHECK(!why.empty());
  }
  BOOST_CHECK(!decode_event(good + '\x00', out, why));
  BOOST_CHECK(!decode_event(array_body({balance_event(true)}), out, why));  // an array
  BOOST_CHECK(!decode_event(map_body{{"rid", val(uint64_t{1})}, {"ok", val(true)}}.pack(), out,
                            why));  // an answer
  BOOST_CHECK(!is_event(map_body{{"rid", val(uint64_t{1})}, {"ok", val(true)}}.pack()));
  BOOST_CHECK(!decode_event(map_body{{"event", val("balance")}, {"version", val(int64_t{-1})}}
                                .pack(),
                            out, why));
  BOOST_CHECK_NE(why.find("version"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(mutated_arrays_never_crash) {
  // Random byte flips, insertions and cuts of a valid array: decoded or refused, never a crash
  // (run under the sanitizers by scripts/test.sh).
  const std::string good =
      array_body({balance_event(true), partner_event(), balance_event(false), closed_event()});
  fuzz_rng rng{20261124};
  std::vector<event> out;
  std::string why;
  size_t refusals = 0;
  for (int i = 0; i < 20'000; ++i) {
    std::string body = good;
    for (uint64_t m = 0, n = 1 + rng.below(4); m < n; ++m) {
      const size_t at = static_cast<size_t>(rng.below(body.size()));
      switch (rng.below(3)) {
        case 0: body[at] = static_cast<char>(rng.bits()); break;
        case 1: body.insert(at, 1, static_cast<char>(rng.bits())); break;
        default: body.erase(at, 1 + static_cast<size_t>(rng.below(8))); break;
      }
      if (body.empty())
        body = good;
    }
    if (!decode_event_array(body, out, why)) {
      ++refusals;
      BOOST_CHECK(!why.empty());
    }
  }
  BOOST_CHECK_GT(refusals, 0u);
}

BOOST_AUTO_TEST_CASE(a_rule_alert_and_a_balance_event_with_partner_round_and_game) {
  event a;
  a.kind = event_kind::alert;
  a.name = "acme-win-rate";
  a.state = "firing";
  a.value = 0.375;
  a.threshold = 0.25;
  a.at_unix_ms = 1795386131710;
  a.labels = {{"rule", "win_rate_shift"}, {"partner", "acme"}, {"currency", "EUR"}};
  std::vector<char> framed;
  encode_event(a, framed);
  BOOST_CHECK((keys_of(body_of(framed)) ==
               std::set<std::string>{"event", "name", "state", "value", "threshold", "at",
                                     "labels"}));
  auto back = round_trip(a);
  BOOST_CHECK(back.kind == event_kind::alert);
  BOOST_CHECK_EQUAL(back.name, a.name);
  BOOST_CHECK_EQUAL(back.state, "firing");
  BOOST_CHECK_EQUAL(back.value, 0.375);  // exactly: a float 64
  BOOST_CHECK_EQUAL(back.threshold, 0.25);
  BOOST_CHECK_EQUAL(back.at_unix_ms, a.at_unix_ms);
  BOOST_CHECK(back.labels == a.labels);
  // A float 32 and an integer value are read too; labels must be strings.
  auto body = map_body{{"event", val("alert")}, {"name", val("x")}, {"value", val(2.5f)},
                       {"threshold", val(3)}}.pack();
  event f;
  std::string why;
  BOOST_REQUIRE_MESSAGE(decode_event(body, f, why), why);
  BOOST_CHECK_EQUAL(f.value, 2.5);
  BOOST_CHECK_EQUAL(f.threshold, 3);
  auto bad = map_body{{"event", val("alert")},
                      {"labels", [](sbuf_packer& pk) {
                         pk.pack_map(1);
                         pk.pack(std::string{"rule"});
                         pk.pack(7);
                       }}}.pack();
  BOOST_CHECK(!decode_event(bad, f, why));
  BOOST_CHECK_NE(why.find("labels"), std::string::npos);
  // Balance events carry the partner, round and game of bets, wins and rollbacks.
  auto b = balance_event(true);
  b.partner = "acme";
  b.round = "r-9";
  b.game = "slots-7";
  auto bb = round_trip(b);
  check_same(bb, b);
  BOOST_CHECK_EQUAL(bb.round, "r-9");
  BOOST_CHECK_EQUAL(bb.game, "slots-7");
}
