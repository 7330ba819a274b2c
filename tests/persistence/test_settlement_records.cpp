// Settlement persistence: every settlement record round-trips exactly, field by field, from
// a table (optional fields absent or present, int64 and uint64 extremes, inverse FX rates);
// damaged bytes (every truncation, garbage, flipped bytes, unknown format or tag, bad types,
// currencies and rates) are refused with std::runtime_error saying what is wrong, never a
// crash; records the decoder would refuse are never encoded. Against a real redis-server:
// the settlement stream keeps records in order across pages, plain values round-trip, and the
// settlement store keeps records and periods and reads a close's period from the journal.
#define BOOST_TEST_MODULE settlement_records
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <random>
#include <tuple>

#include <msgpack.hpp>

#include "persistence/journal_batch.hpp"
#include "persistence/journal_stream.hpp"
#include "persistence/redis_connection.hpp"
#include "persistence/settlement_records.hpp"
#include "persistence/settlement_store.hpp"
#include "persistence/settlement_stream.hpp"
#include "tests/persistence/redis_fixture.hpp"

using namespace settle;
using namespace settle::persistence;

namespace {

constexpr int64_t i64_min = std::numeric_limits<int64_t>::min();
constexpr int64_t i64_max = std::numeric_limits<int64_t>::max();
constexpr uint64_t u64_max = std::numeric_limits<uint64_t>::max();

ledger::currency_code cur(const char* code) { return ledger::pack_currency(code); }

// -- field-by-field equality (the ledger's structs have no operator==) --------------------

auto key(const ledger::contract_record& r) {
  const auto& f = r.fields;
  return std::tie(r.revision, r.at_unix_ms, f.partner, f.kind, f.currency, f.cycle, f.tz,
                  f.cutoff, f.weekday, f.day, f.via, f.share_bps, f.credit_alert, f.max_tps);
}
auto key(const ledger::fx_record& r) {
  return std::tie(r.base, r.quote, r.rate.digits, r.rate.scale, r.at_unix_ms);
}
auto key(const ledger::topup_record& r) {
  return std::tie(r.partner, r.id, r.amount, r.at_unix_ms);
}
auto key(const ledger::suspension_record& r) { return std::tie(r.partner, r.suspended); }
auto key(const ledger::statement_terms& t) {
  return std::tie(t.partner, t.period, t.from_unix_ms, t.to_unix_ms, t.revision,
                  t.settlement_currency, t.share_bps, t.via, t.carried_in);
}
auto key(const ledger::statement_currency& c) {
  const auto& t = c.totals;
  return std::tie(t.currency, t.bets, t.wins, t.rollbacks, t.bet_count, t.win_count,
                  t.rollback_count, c.ggr, c.rate.rate, c.rate.set_at_unix_ms, c.rate.inverted,
                  c.ggr_settlement);
}
auto key(const ledger::statement_line& l) { return std::tie(l.partner, l.ggr_settlement); }

template <class T>
bool same_list(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (key(a[i]) != key(b[i]))
      return false;
  return true;
}

bool same_close(const ledger::close_record& a, const ledger::close_record& b) {
  const auto& x = a.stated;
  const auto& y = b.stated;
  return key(x.terms) == key(y.terms) && same_list(x.currencies, y.currencies) &&
         same_list(x.lines, y.lines) &&
         std::tie(x.ggr_settlement, x.share, x.net_payable, x.carried_forward, x.txn_count,
                  x.checksum, x.payable_to) ==
             std::tie(y.ggr_settlement, y.share, y.net_payable, y.carried_forward, y.txn_count,
                      y.checksum, y.payable_to);
}

/// Every field equal, absent optional fields absent on both sides.
bool same(const ledger::settlement_record& a, const ledger::settlement_record& b) {
  if (a.index() != b.index())
    return false;
  return std::visit(
      [&b](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        const auto& y = std::get<T>(b);
        if constexpr (std::is_same_v<T, ledger::close_record>)
          return same_close(x, y);
        else
          return key(x) == key(y);
      },
      a);
}

// -- the records ----------------------------------------------------------------------------

ledger::close_record a_close() {
  ledger::statement st;
  st.terms = {"sup", 3, 1'800'000'000'000, 1'800'086'400'000, 2, cur("KRW"), 1000, "", -250};
  ledger::statement_currency usd;
  usd.totals = {cur("USD"), 1001, 0, 0, 1, 0, 0};
  usd.ggr = 1001;
  usd.rate = {ledger::inverse(ledger::to_fx_rate(*ledger::parse_rate("0.0008"))), 17, true};
  usd.ggr_settlement = 12'512;
  ledger::statement_currency krw;
  krw.totals = {cur("KRW"), INT64_MAX, 5, 7, 9, 8, 7};
  krw.ggr = INT64_MAX - 12;
  krw.rate = {ledger::fx_rate{}, 0, false};
  krw.ggr_settlement = INT64_MIN + 1;
  st.currencies = {usd, krw};
  st.lines = {{"prov", 33'839}, {"sup", -5}};
  st.ggr_settlement = 33'834;
  st.share = 3'383;
  st.net_payable = 3'133;
  st.carried_forward = 0;
  st.txn_count = 2;
  st.checksum = std::string(64, 'a');
  st.payable_to = "sup";
  return {st};
}

/// A supplier's losing period: three currencies (one at the exact inverse of a decimal that
/// never ends in decimal: 1/1382.5), lines of two providers and itself, negative GGR carried
/// in and forward, and the extremes of every integer width.
ledger::close_record a_losing_supplier_close() {
  ledger::statement st;
  st.terms = {"supplier-1", UINT64_MAX, i64_min, i64_max, UINT32_MAX, cur("USD"), 10'000,
              "",           -1};
  ledger::statement_currency eur;
  eur.totals = {cur("EUR"), 0, 90'000, 1, 0, 12, 1};
  eur.ggr = -90'001;
  eur.rate = {ledger::to_fx_rate(*ledger::parse_rate("1.0825")), 1'799'999'999'999, false};
  eur.ggr_settlement = -97'426;
  ledger::statement_currency krw;
  krw.totals = {cur("KRW"), i64_min, i64_max, i64_min, u64_max, u64_max, u64_max};
  krw.ggr = i64_min;
  krw.rate = {ledger::inverse(ledger::to_fx_rate(*ledger::parse_rate("1382.50"))), -7, true};
  krw.ggr_settlement = -1;
  ledger::statement_currency usd;
  usd.totals = {cur("USD"), 5, 0, 0, 1, 0, 0};
  usd.ggr = 5;
  usd.ggr_settlement = 5;
  st.currencies = {eur, krw, usd};
  st.lines = {{"prov-a", -40'000}, {"prov-b", i64_max}, {"supplier-1", -97'422}};
  st.ggr_settlement = -137'422;
  st.share = -137'422;
  st.net_payable = 0;
  st.carried_forward = -137'423;
  st.txn_count = u64_max;
  st.checksum = std::string(64, 'f');
  st.payable_to = "supplier-1";
  return {st};
}

/// A provider settling through a supplier, with nothing in the period.
ledger::close_record an_empty_close_via() {
  ledger::statement st;
  st.terms = {"p", 1, 0, 1, 1, cur("EUR"), 0, "supplier-1", 0};
  st.checksum = "";
  st.payable_to = "supplier-1";
  return {st};
}

std::vector<ledger::settlement_record> every_kind() {
  ledger::contract_record full;
  full.fields = {"acme", "provider", "EUR", "monthly", "Europe/Malta", "23:30", std::nullopt,
                 "last", "sup", 2500, std::nullopt, 100};
  full.revision = 7;
  full.at_unix_ms = -1;
  ledger::contract_record bare;
  bare.fields.partner = "b";
  bare.fields.kind = "supplier";
  bare.fields.currency = "KRW";
  bare.fields.cycle = "daily";
  bare.fields.share_bps = 0;
  bare.revision = 1;
  bare.fields.credit_alert = 0;
  return {full,
          bare,
          ledger::fx_record{cur("USD"), cur("KRW"), {138250, 2}, 1'800'000'000'123},
          ledger::topup_record{"sup", "t-1", INT64_MAX, 5},
          ledger::suspension_record{"acme", true},
          ledger::suspension_record{"acme", false},
          a_close()};
}

struct row {
  const char* name;
  ledger::settlement_record record;
};

/// every_kind() and more: each optional field alone, empty strings, extremes.
std::vector<row> table() {
  std::vector<row> t;
  for (const auto& r : every_kind())
    t.push_back({"every_kind", r});
  ledger::contract_record every_optional;
  every_optional.fields = {"w", "provider", "USD", "weekly", "UTC", "00:00", "mon", "1",
                           "",  i64_min,    i64_max, 0};
  every_optional.revision = UINT32_MAX;
  every_optional.at_unix_ms = i64_max;
  t.push_back({"contract, every optional field, extremes", every_optional});
  ledger::contract_record none;  // every string empty, every optional field absent
  t.push_back({"contract, all empty", none});
  ledger::contract_record only_weekday;
  only_weekday.fields.weekday = "sun";
  only_weekday.fields.max_tps = -1;
  t.push_back({"contract, weekday and max_tps only", only_weekday});
  t.push_back({"fx, 18 digits at scale 18",
               ledger::fx_record{cur("XAU"), cur("ZAR"), {999'999'999'999'999'999, 18}, i64_min}});
  t.push_back({"fx, 1 at scale 0", ledger::fx_record{cur("JPY"), cur("EUR"), {1, 0}, 0}});
  t.push_back({"topup, extremes", ledger::topup_record{"", std::string(300, 'x'), i64_min, i64_max}});
  t.push_back({"suspension, binary partner",
               ledger::suspension_record{std::string("a\0b\xff", 4), true}});
  t.push_back({"close, losing supplier", a_losing_supplier_close()});
  t.push_back({"close, empty via", an_empty_close_via()});
  return t;
}

/// Bytes of a hand-built array, for records no encoder writes.
template <class F>
std::string packed(F&& fill) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk{buf};
  fill(pk);
  return {buf.data(), buf.size()};
}

/// The message of decoding `bytes`, which must be refused with std::runtime_error.
std::string refusal(std::string_view bytes) {
  try {
    decode_settlement_record(bytes);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  BOOST_ERROR("decoded what should have been refused");
  return {};
}

bool mentions(const std::string& text, std::string_view part) {
  const bool found = text.find(part) != std::string::npos;
  if (!found)
    BOOST_TEST_MESSAGE("'" << text << "' does not mention '" << part << "'");
  return found;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_record_round_trips_field_by_field) {
  for (const auto& [name, r] : table()) {
    BOOST_TEST_CONTEXT(name) {
      const auto bytes = encode_settlement_record(r);
      const auto back = decode_settlement_record(bytes);
      BOOST_CHECK(same(back, r));
      BOOST_CHECK(encode_settlement_record(back) == bytes);  // the encoding is canonical
      // The comparison itself sees a change in a field.
      BOOST_CHECK(!same(back, ledger::suspension_record{"zz", true}) ||
                  std::holds_alternative<ledger::suspension_record>(r));
    }
  }
  // Spot checks that do not go through same().
  auto close = std::get<ledger::close_record>(
      decode_settlement_record(encode_settlement_record(a_losing_supplier_close())));
  BOOST_REQUIRE_EQUAL(close.stated.currencies.size(), 3u);
  BOOST_CHECK_EQUAL(close.stated.currencies[1].totals.bets, i64_min);
  BOOST_CHECK_EQUAL(close.stated.currencies[1].totals.rollback_count, u64_max);
  BOOST_CHECK(close.stated.currencies[1].rate.inverted);
  BOOST_CHECK(close.stated.currencies[1].rate.rate == (ledger::fx_rate{2, 2765}));
  BOOST_CHECK_EQUAL(close.stated.currencies[1].rate.set_at_unix_ms, -7);
  BOOST_CHECK_EQUAL(close.stated.terms.carried_in, -1);
  BOOST_CHECK_EQUAL(close.stated.carried_forward, -137'423);
  BOOST_CHECK_EQUAL(close.stated.terms.period, UINT64_MAX);
  BOOST_REQUIRE_EQUAL(close.stated.lines.size(), 3u);
  BOOST_CHECK_EQUAL(close.stated.lines[1].ggr_settlement, i64_max);
  auto c = std::get<ledger::contract_record>(
      decode_settlement_record(encode_settlement_record(every_kind()[0])));
  BOOST_CHECK(!c.fields.weekday);
  BOOST_CHECK(c.fields.day == std::optional<std::string>{"last"});
  BOOST_CHECK(!c.fields.credit_alert);
  BOOST_CHECK(c.fields.max_tps == std::optional<int64_t>{100});
  auto empty_via = std::get<ledger::contract_record>(
      decode_settlement_record(encode_settlement_record(table()[7].record)));
  BOOST_CHECK(empty_via.fields.via == std::optional<std::string>{""});  // present, empty
  // Currencies are written as their codes, for tools reading Redis directly.
  BOOST_CHECK(mentions(encode_settlement_record(every_kind()[2]), "\xa3USD\xa3KRW"));
}

BOOST_AUTO_TEST_CASE(every_truncation_and_trailing_byte_is_refused) {
  for (const auto& [name, r] : table()) {
    BOOST_TEST_CONTEXT(name) {
      const auto bytes = encode_settlement_record(r);
      for (size_t n = 0; n < bytes.size(); ++n)
        BOOST_CHECK(mentions(refusal(std::string_view{bytes}.substr(0, n)), "truncated"));
      BOOST_CHECK(mentions(refusal(bytes + "x"), "1 bytes after it"));
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_headers_fields_currencies_and_rates_are_refused_with_a_message) {
  const auto suspension = encode_settlement_record(ledger::suspension_record{"acme", true});
  auto other_format = suspension;
  other_format[1] = 2;  // [format, tag, ...]: format 2 is not this engine's
  BOOST_CHECK(mentions(refusal(other_format), "unknown format 2"));
  auto other_tag = suspension;
  other_tag[2] = 99;
  BOOST_CHECK(mentions(refusal(other_tag), "unknown tag 99"));
  auto not_a_flag = suspension;
  not_a_flag.back() = 1;
  BOOST_CHECK(mentions(refusal(not_a_flag), "(suspended): not a boolean"));
  auto fx = encode_settlement_record(ledger::fx_record{cur("USD"), cur("KRW"), {138250, 2}, 1});
  BOOST_REQUIRE_EQUAL(fx.substr(3, 4), "\xa3USD");
  fx[4] = 'u';
  BOOST_CHECK(mentions(refusal(fx), "(base): bad currency 'uSD'"));
  // A header asking for a huge array is refused without allocating it.
  BOOST_CHECK(mentions(refusal(std::string{"\xdd\xff\xff\xff\xff", 5}), "larger than"));
  BOOST_CHECK(mentions(refusal("\xc1"), "not msgpack"));
  BOOST_CHECK(mentions(refusal("\x01"), "not an array"));
  BOOST_CHECK(mentions(refusal("\x91\x91\x91\x91\x01"), "nested deeper"));
  using pk_t = msgpack::packer<msgpack::sbuffer>;
  auto too_many = packed([](pk_t& pk) {
    pk.pack_array(5);
    pk.pack(1), pk.pack(4), pk.pack(std::string{"a"}), pk.pack(true), pk.pack(5);
  });
  BOOST_CHECK(mentions(refusal(too_many), "1 more than"));
  auto too_few = packed([](pk_t& pk) {
    pk.pack_array(3);
    pk.pack(1), pk.pack(4), pk.pack(std::string{"a"});
  });
  BOOST_CHECK(mentions(refusal(too_few), "too few (no suspended)"));
  auto bin_partner = packed([](pk_t& pk) {  // a string must be a str, not a bin
    pk.pack_array(4);
    pk.pack(1), pk.pack(4), pk.pack_bin(1), pk.pack_bin_body("a", 1), pk.pack(true);
  });
  BOOST_CHECK(mentions(refusal(bin_partner), "(partner): not a string"));
  auto wide_revision = packed([](pk_t& pk) {
    pk.pack_array(16);
    pk.pack(1), pk.pack(1), pk.pack(uint64_t{1} << 32);
    for (int k = 0; k < 13; ++k)
      pk.pack_nil();
  });
  BOOST_CHECK(mentions(refusal(wide_revision), "(revision): does not fit in 32 bits"));
  auto huge_amount = packed([](pk_t& pk) {
    pk.pack_array(6);
    pk.pack(1), pk.pack(3), pk.pack(std::string{"s"}), pk.pack(std::string{"t"});
    pk.pack(uint64_t{1} << 63), pk.pack(0);
  });
  BOOST_CHECK(mentions(refusal(huge_amount), "(amount): does not fit in 64 signed bits"));
  auto fx_of = [](uint64_t digits, uint64_t scale) {
    return packed([&](pk_t& pk) {
      pk.pack_array(7);
      pk.pack(1), pk.pack(2), pk.pack(std::string{"USD"}), pk.pack(std::string{"KRW"});
      pk.pack(digits), pk.pack(scale), pk.pack(0);
    });
  };
  BOOST_CHECK_NO_THROW(decode_settlement_record(fx_of(5, 18)));
  BOOST_CHECK(mentions(refusal(fx_of(0, 2)), "out of range"));
  BOOST_CHECK(mentions(refusal(fx_of(5, 19)), "out of range"));
  BOOST_CHECK(mentions(refusal(fx_of(1'000'000'000'000'000'000, 0)), "out of range"));
  BOOST_CHECK(mentions(refusal(fx_of(5, 300)), "(scale): does not fit in 8 bits"));
}

BOOST_AUTO_TEST_CASE(a_close_with_a_rate_not_in_lowest_terms_is_refused) {
  ledger::close_record c = an_empty_close_via();
  ledger::statement_currency one;
  one.totals.currency = cur("EUR");
  one.ggr = 0x61;
  one.rate = {ledger::fx_rate{7, 3}, 0x62, false};
  c.stated.currencies = {one};
  auto bytes = encode_settlement_record(c);
  const auto at = bytes.find("\x61\x07\x03\x62");
  BOOST_REQUIRE(at != std::string::npos);
  BOOST_CHECK_NO_THROW(decode_settlement_record(bytes));
  bytes[at + 1] = 6;  // 6/3
  BOOST_CHECK(mentions(refusal(bytes), "currency 0, field 10 (rate_denominator): a rate not in lowest terms"));
  bytes[at + 1] = 0;  // 0/3
  BOOST_CHECK(mentions(refusal(bytes), "a rate with a zero"));
}

BOOST_AUTO_TEST_CASE(records_the_decoder_would_refuse_are_never_encoded) {
  BOOST_CHECK_THROW(encode_settlement_record(ledger::fx_record{0, cur("EUR"), {1, 0}, 0}),
                    std::invalid_argument);
  BOOST_CHECK_THROW(encode_settlement_record(ledger::fx_record{cur("EUR"), 0x656565, {1, 0}, 0}),
                    std::invalid_argument);  // "eee"
  BOOST_CHECK_THROW(encode_settlement_record(ledger::fx_record{cur("EUR"), cur("USD"), {0, 0}, 0}),
                    std::invalid_argument);
  BOOST_CHECK_THROW(encode_settlement_record(ledger::fx_record{cur("EUR"), cur("USD"), {1, 19}, 0}),
                    std::invalid_argument);
  auto bad_rate = a_close();
  bad_rate.stated.currencies[0].rate.rate = {4, 2};
  BOOST_CHECK_THROW(encode_settlement_record(bad_rate), std::invalid_argument);
  auto no_currency = a_close();
  no_currency.stated.terms.settlement_currency = 0;
  BOOST_CHECK_THROW(encode_settlement_record(no_currency), std::invalid_argument);
  auto bad_line_currency = a_close();
  bad_line_currency.stated.currencies[1].totals.currency = 1;
  BOOST_CHECK_THROW(encode_settlement_record(bad_line_currency), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(garbage_and_flipped_bytes_give_an_error_never_a_crash) {
  // Each decode either gives a record or throws std::runtime_error; anything else (another
  // exception, a crash, a sanitizer report) fails the test.
  std::mt19937_64 rng{20261204};
  size_t refused = 0;
  for (int k = 0; k < 20'000; ++k) {
    std::string junk(rng() % 48, '\0');
    for (auto& ch : junk)
      ch = static_cast<char>(rng());
    if (k % 2 == 0 && !junk.empty())
      junk[0] = static_cast<char>(0x90 | (rng() % 16));  // mostly an array, to go deeper
    try {
      decode_settlement_record(junk);
    } catch (const std::runtime_error&) {
      ++refused;
    }
  }
  BOOST_CHECK_GT(refused, 19'000u);
  for (const auto& [name, r] : table()) {
    const auto bytes = encode_settlement_record(r);
    for (size_t i = 0; i < bytes.size(); ++i)
      for (unsigned v : {0x00u, 0x01u, 0x7fu, 0x80u, 0x90u, 0xa0u, 0xc0u, 0xc1u, 0xc3u, 0xccu,
                         0xcfu, 0xd3u, 0xd9u, 0xdcu, 0xddu, 0xdfu, 0xffu}) {
        auto flipped = bytes;
        flipped[i] = static_cast<char>(v);
        try {
          decode_settlement_record(flipped);
        } catch (const std::runtime_error&) {
        }
      }
  }
}

BOOST_AUTO_TEST_CASE(the_settlement_stream_keeps_records_in_order_and_values) {
  testing::redis_instance redis;
  redis_address addr;
  addr.unix_socket = redis.socket();
  redis_connection c{addr};
  const std::string key = "settle:journal:settlement";
  BOOST_CHECK(read_settlement_stream(c, key).empty());  // no stream yet
  const std::vector<ledger::settlement_record> three{
      every_kind()[0], ledger::fx_record{cur("USD"), cur("KRW"), {138250, 2}, 9},
      a_losing_supplier_close()};
  std::vector<std::string> ids;
  for (const auto& r : three)
    ids.push_back(append_settlement(c, key, encode_settlement_record(r)));
  BOOST_CHECK(ids[0] != ids[1] && ids[1] != ids[2]);
  auto back = read_settlement_stream(c, key);
  BOOST_REQUIRE_EQUAL(back.size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    BOOST_CHECK(same(decode_settlement_record(back[i]), three[i]));
  auto range = read_stream_page(c, key, "-", 10);
  BOOST_CHECK(range.ids == ids);  // the ids returned are the entries', oldest first

  // Across pages: 2,345 more entries (pages of 1000 end inside them twice), in order.
  const std::string many = "settle:test:many";
  for (int k = 0; k < 2'345; ++k)
    append_settlement(c, many, encode_settlement_record(ledger::topup_record{
                                   "sup", "t-" + std::to_string(k), k + 1, k}));
  auto all = read_settlement_stream(c, many);
  BOOST_REQUIRE_EQUAL(all.size(), 2'345u);
  for (int k = 0; k < 2'345; ++k) {
    auto t = std::get<ledger::topup_record>(decode_settlement_record(all[k]));
    BOOST_CHECK_EQUAL(t.amount, k + 1);
  }

  // An entry without the record's field stops the read, naming it.
  c.run({"XADD", key, "*", "other", "x"});
  try {
    read_settlement_stream(c, key);
    BOOST_ERROR("an entry without field b was read");
  } catch (const std::runtime_error& e) {
    BOOST_CHECK(mentions(e.what(), "(number 4) has no record"));
  }

  // Plain values: absent, then the exact bytes (NULs included), then replaced.
  const std::string statement_key = "settle:statement:sup:3";
  BOOST_CHECK(!get_value(c, statement_key));
  const auto bytes = encode_settlement_record(a_close());
  put_value(c, statement_key, bytes);
  BOOST_CHECK(get_value(c, statement_key) == std::optional<std::string>{bytes});
  put_value(c, statement_key, std::string("\0x", 2));
  BOOST_CHECK(get_value(c, statement_key) == std::optional<std::string>(std::string("\0x", 2)));
  put_value(c, statement_key, "");
  BOOST_CHECK(get_value(c, statement_key) == std::optional<std::string>{""});
  BOOST_CHECK_THROW(get_value(c, key), redis_error);          // a stream: WRONGTYPE
  BOOST_CHECK_THROW(append_settlement(c, statement_key, "x"), redis_error);  // a string
}

BOOST_AUTO_TEST_CASE(period_rows_round_trip_and_damage_is_refused) {
  std::vector<ledger::txn_row> rows{{"b1", protocol::txn_kind::bet, 1000, ledger::pack_currency("EUR")},
                                    {std::string(64, 'z'), protocol::txn_kind::rollback, INT64_MAX,
                                     ledger::pack_currency("KRW")}};
  auto bytes = encode_rows(rows);
  BOOST_CHECK(decode_rows(bytes) == rows);
  BOOST_CHECK(decode_rows(encode_rows({})).empty());
  for (size_t n = 0; n < bytes.size(); ++n)
    BOOST_CHECK_THROW(decode_rows(std::string_view{bytes}.substr(0, n)), std::runtime_error);
  auto bad_kind = bytes;
  bad_kind[11] = static_cast<char>(protocol::txn_kind::deposit);
  BOOST_CHECK_THROW(decode_rows(bad_kind), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(the_redis_store_keeps_records_periods_and_reads_the_journal) {
  testing::redis_instance redis;
  redis_address addr;
  addr.unix_socket = redis.socket();
  redis_settlement_options o;
  o.shards = 2;
  auto store = make_redis_settlement_store(addr, o);
  for (const auto& r : every_kind())
    store->append(r);
  auto back = store->load();
  BOOST_REQUIRE_EQUAL(back.size(), every_kind().size());
  for (size_t i = 0; i < back.size(); ++i)
    BOOST_CHECK(same(back[i], every_kind()[i]));
  // A period's rows and statement.
  const auto close = a_close();
  std::vector<ledger::txn_row> rows{{"b1", protocol::txn_kind::bet, 5, ledger::pack_currency("EUR")}};
  store->put_period(close.stated, rows);
  BOOST_CHECK(store->rows("sup", 3) == rows);
  BOOST_CHECK_THROW(store->rows("sup", 4), std::runtime_error);
  // The journal scan: records of both shards' streams, filtered by partner and window.
  redis_connection c{addr};
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (uint32_t shard = 0; shard < 2; ++shard) {
    journal_batch b;
    b.shard = shard;
    for (int k = 0; k < 3; ++k) {
      journal_record r;
      r.account = "p" + std::to_string(shard);
      r.currency = "EUR";
      r.partner = k == 2 ? "other" : "acme";
      r.kind = protocol::txn_kind::bet;
      r.txn_id = "s" + std::to_string(shard) + "-" + std::to_string(k);
      r.amount = -10 * (k + 1);
      r.at_unix_ms = now + k;
      b.records.push_back(r);
    }
    uint64_t hash = 0;
    c.run({"XADD", journal_stream_key(o.stream_prefix, shard), "*", "b", encode_batch(b, hash)});
  }
  ledger::period_collector collected{{{"acme", now, now + 1}}};  // only k == 0 is inside
  store->scan(collected);
  const auto& got = collected.of("acme");
  BOOST_REQUIRE_EQUAL(got.rows.size(), 2u);
  BOOST_CHECK_EQUAL(got.totals.at(ledger::pack_currency("EUR")).bets, 20);
  // The records above do not fold (acme's contract names a supplier with none): the start
  // is refused, naming the record. A stream that folds gives the book.
  try {
    load_settlement(*store);
    BOOST_ERROR("a stream that does not fold was loaded");
  } catch (const std::runtime_error& e) {
    BOOST_CHECK(std::string{e.what()}.find("record 1 of 7") != std::string::npos);
  }
  redis_settlement_options fresh = o;
  fresh.stream_prefix = "other:";
  auto good = make_redis_settlement_store(addr, fresh);
  good->append(every_kind()[1]);
  good->append(ledger::topup_record{"b", "t-1", 10, 5});
  auto book = load_settlement(*good);
  BOOST_REQUIRE(book.partner("b") != nullptr);
  BOOST_CHECK_EQUAL(book.partner("b")->credit_topped_up, 10);
}
