// The specification of settlement money arithmetic, as tables: which currencies exist and
// how many digits their minor unit has, which rate strings are rates, how a rate prints, and
// what an amount converts to (exactly, rounded half to even) and what a revenue share is.
#define BOOST_TEST_MODULE money
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "ledger/money.hpp"

using namespace settle::ledger;

namespace {

constexpr int64_t i64_max = std::numeric_limits<int64_t>::max();
constexpr int64_t i64_min = std::numeric_limits<int64_t>::min();
constexpr int64_t two_62 = int64_t{1} << 62;

fx_rate rate(const char* text) {
  auto d = parse_rate(text);
  BOOST_REQUIRE_MESSAGE(d, text);
  return to_fx_rate(*d);
}
fx_rate inverse_of(const char* text) { return inverse(rate(text)); }

/// An optional as text, so a failed check prints both sides.
template <typename T>
std::string text(const std::optional<T>& v) {
  return v ? std::to_string(*v) : "nullopt";
}

}  // namespace

// -- ISO 4217 minor units --

struct exponent_row {
  const char* code;
  std::optional<int> exponent;
};
const exponent_row exponent_rows[] = {
    {"KRW", 0}, {"JPY", 0}, {"VND", 0}, {"ISK", 0}, {"CLP", 0}, {"XOF", 0}, {"XAF", 0},
    {"XPF", 0}, {"USD", 2}, {"EUR", 2}, {"GBP", 2}, {"CHF", 2},
    {"IDR", 2},  // ISO's exponent, though prices are quoted in whole rupiah
    {"XCG", 2},  // the Caribbean guilder, which replaced ANG in 2025
    {"KWD", 3}, {"BHD", 3}, {"JOD", 3}, {"OMR", 3}, {"TND", 3}, {"LYD", 3}, {"IQD", 3},
    {"CLF", 4}, {"UYW", 4},
    // Not currencies one settles in: unknown.
    {"BTC", std::nullopt}, {"XAU", std::nullopt},  // gold: ISO has no minor unit for it
    {"XDR", std::nullopt}, {"XXX", std::nullopt}, {"XTS", std::nullopt},
    {"HRK", std::nullopt},  // withdrawn: Croatia uses the euro since 2023
    {"BGN", std::nullopt},  // withdrawn: Bulgaria uses the euro since 2026
    {"usd", std::nullopt}, {"US", std::nullopt}, {"USDT", std::nullopt}, {"", std::nullopt},
};

BOOST_AUTO_TEST_CASE(minor_exponents_are_iso_4217s) {
  for (const auto& t : exponent_rows) {
    BOOST_TEST_CONTEXT(t.code) {
      BOOST_CHECK_EQUAL(text(minor_exponent(t.code)), text(t.exponent));
      // The packed code says the same (an invalid text packs to 0, which is no currency).
      BOOST_CHECK_EQUAL(text(minor_exponent(pack_currency(t.code))), text(t.exponent));
    }
  }
  BOOST_CHECK(!minor_exponent(currency_code{0}));
  BOOST_CHECK(!minor_exponent(currency_code{0x0100'0000} | pack_currency("USD")));
}

// -- Parsing rates --

struct parse_row {
  const char* text;
  std::optional<uint64_t> digits{};  // nullopt: refused
  int scale = 0;
  const char* canonical = "";
};
const parse_row parse_rows[] = {
    {"1382.50", 138250, 2, "1382.5"},  // kept as written, printed canonically
    {"0.000723", 723, 6, "0.000723"},
    {"1", 1, 0, "1"},
    {"1.000", 1000, 3, "1"},
    {"10.10", 1010, 2, "10.1"},
    {"100", 100, 0, "100"},
    {"0.5", 5, 1, "0.5"},
    {"999999999999999999", 999'999'999'999'999'999, 0, "999999999999999999"},  // 18 digits
    {"0.000000000000000001", 1, 18, "0.000000000000000001"},  // 18 fraction digits
    {"123456789.123456789", 123'456'789'123'456'789, 9, "123456789.123456789"},
    {"1.00000000000000000", 100'000'000'000'000'000, 17, "1"},  // zeros count as digits
    // Refused: not a plain positive decimal that looks like its canonical form.
    {""}, {"."}, {"1."}, {".5"}, {"0"}, {"0.000"}, {"00"}, {"01.5"}, {"-1"}, {"+1"},
    {"-0.5"}, {"1e3"}, {"1E3"}, {" 1"}, {"1 "}, {"1\t"}, {"1.2.3"}, {"1,5"}, {"0x10"},
    {"1/2"}, {"inf"}, {"NaN"},
    {"9999999999999999999"},    // 19 significant digits
    {"1234567890.123456789"},   // 19 significant digits
    {"0.0000000000000000001"},  // 19 fraction digits
    {"1.000000000000000000"},   // 19 significant digits, though trailing zeros
};

BOOST_AUTO_TEST_CASE(rates_are_plain_positive_decimals) {
  for (const auto& t : parse_rows) {
    BOOST_TEST_CONTEXT("\"" << t.text << "\"") {
      std::string why;
      auto r = parse_rate(t.text, why);
      BOOST_REQUIRE_EQUAL(r.has_value(), t.digits.has_value());
      if (!r) {
        BOOST_CHECK(!why.empty());  // every refusal says why
        continue;
      }
      BOOST_CHECK_EQUAL(r->digits, *t.digits);
      BOOST_CHECK_EQUAL(r->scale, t.scale);
      BOOST_CHECK_EQUAL(to_string(*r), t.canonical);
      BOOST_CHECK_EQUAL(to_string(to_fx_rate(*r)), t.canonical);
    }
  }
}

BOOST_AUTO_TEST_CASE(refusals_name_what_is_wrong) {
  auto why = [](const char* text) {
    std::string out;
    BOOST_CHECK(!parse_rate(text, out));
    return out;
  };
  BOOST_CHECK_EQUAL(why(""), "empty rate");
  BOOST_CHECK_EQUAL(why("0.000"), "a rate must be greater than 0");
  BOOST_CHECK_EQUAL(why(".5"), "a rate needs a digit on both sides of its '.'");
  BOOST_CHECK_EQUAL(why("1e3"),
                    "a rate is digits with at most one '.' (no sign, exponent or spaces)");
  BOOST_CHECK_EQUAL(why("9999999999999999999"), "a rate has at most 18 significant digits");
  BOOST_CHECK_EQUAL(why("0.0000000000000000001"), "a rate has at most 18 digits after the point");
}

// -- Exact rates and their inverses --

BOOST_AUTO_TEST_CASE(fx_rates_are_reduced_fractions) {
  BOOST_CHECK(rate("1382.50") == (fx_rate{2765, 2}));
  BOOST_CHECK(rate("0.000723") == (fx_rate{723, 1'000'000}));
  BOOST_CHECK(rate("1.000") == rate("1"));  // == is equality of values
  BOOST_CHECK(inverse_of("1382.50") == (fx_rate{2, 2765}));
  BOOST_CHECK(inverse(inverse_of("0.3")) == rate("0.3"));
}

struct print_row {
  fx_rate rate;
  const char* text;
};
const print_row print_rows[] = {
    {rate("1382.50"), "1382.5"},
    {inverse_of("0.5"), "2"},  // an inverse that is a finite decimal prints as one
    {inverse_of("1.25"), "0.8"},
    {inverse_of("4"), "0.25"},
    {inverse_of("1024"), "0.0009765625"},
    {inverse_of("1"), "1"},
    {inverse_of("1382.50"), "1/1382.5"},  // 0.000723327305605786... never ends
    {inverse_of("0.3"), "1/0.3"},
    {inverse_of("0.000723"), "1/0.000723"},
    // Finite, but not a rate string: 19 digits, or 59 fraction digits (1/2^59).
    {inverse_of("0.000000000000000001"), "1/0.000000000000000001"},
    {inverse_of("576460752303423488"), "1/576460752303423488"},
    {fx_rate{2, 3}, "1/1.5"},  // any fraction with a decimal inverse is such an inverse
    {fx_rate{3, 7}, "3/7"},  // neither a decimal nor one's inverse: no rate string says it
};

BOOST_AUTO_TEST_CASE(rates_print_exactly_and_parse_back) {
  for (const auto& t : print_rows) {
    BOOST_TEST_CONTEXT(t.text) {
      BOOST_CHECK_EQUAL(to_string(t.rate), t.text);
      std::string why;
      auto back = parse_fx_rate(t.text, why);
      if (t.rate == fx_rate{3, 7}) {
        BOOST_CHECK(!back);
        continue;
      }
      BOOST_REQUIRE_MESSAGE(back, why);
      BOOST_CHECK(*back == t.rate);
    }
  }
  std::string why;
  BOOST_CHECK(!parse_fx_rate("1/", why));
  BOOST_CHECK(!parse_fx_rate("2/3", why));
  BOOST_CHECK(!parse_fx_rate("1/1/2", why));
  BOOST_CHECK(!parse_fx_rate("1/0", why));
}

// -- Rounding --

struct division_row {
  __int128 numerator, denominator;
  int64_t quotient;
};
const division_row division_rows[] = {
    {0, 5, 0},   {10, 5, 2},  {7, 3, 2},   {8, 3, 3},    {-8, 3, -3},
    {1, 2, 0},   {3, 2, 2},   {5, 2, 2},   {7, 2, 4},    // ties to the even neighbour
    {-1, 2, 0},  {-3, 2, -2}, {-5, 2, -2}, {-7, 2, -4},  // and symmetric around zero
    {1, -2, 0},  {3, -2, -2}, {-3, -2, 2},
};

BOOST_AUTO_TEST_CASE(division_rounds_half_to_even) {
  for (const auto& t : division_rows) {
    const auto n = static_cast<int64_t>(t.numerator), d = static_cast<int64_t>(t.denominator);
    BOOST_TEST_CONTEXT(n << "/" << d) {
      BOOST_CHECK_EQUAL(static_cast<int64_t>(round_half_even_div(t.numerator, t.denominator)),
                        t.quotient);
    }
  }
  const __int128 big = static_cast<__int128>(i64_max) * i64_max;
  BOOST_CHECK(round_half_even_div(big, i64_max) == i64_max);
}

// -- Conversion --

struct convert_row {
  const char* rule;
  int64_t amount_minor;
  int from_exponent;
  fx_rate rate;
  int to_exponent;
  std::optional<int64_t> result_minor;
};
const convert_row convert_rows[] = {
    // Identity: the amount, unchanged, all the way to the ends of int64.
    {"identity", 12345, 2, rate("1"), 2, 12345},
    {"identity at int64 max", i64_max, 2, rate("1"), 2, i64_max},
    {"identity at int64 min", i64_min, 2, rate("1"), 2, i64_min},
    {"zero", 0, 2, rate("1382.50"), 0, 0},
    // Half cents round to the even cent.
    {"EUR->USD 1.5: 1 cent is 1.5 cents", 1, 2, rate("1.5"), 2, 2},
    {"EUR->USD 1.5: 3 cents are 4.5 cents", 3, 2, rate("1.5"), 2, 4},
    {"EUR->USD 1.5: 5 cents are 7.5 cents", 5, 2, rate("1.5"), 2, 8},
    {"EUR->USD 1.5: 2 cents are exactly 3", 2, 2, rate("1.5"), 2, 3},
    {"negative: -1 cent is -1.5 cents", -1, 2, rate("1.5"), 2, -2},
    {"negative: -3 cents are -4.5 cents", -3, 2, rate("1.5"), 2, -4},
    // Zero and two exponents: USD/KRW quoted as 1 USD = 1382.50 KRW.
    {"USD->KRW: 1 USD is 1382.5 won", 100, 2, rate("1382.50"), 0, 1382},
    {"USD->KRW: 3 USD are 4147.5 won", 300, 2, rate("1382.50"), 0, 4148},
    {"USD->KRW: negative", -300, 2, rate("1382.50"), 0, -4148},
    {"KRW->USD by the inverse: 1000 won are 72.33 cents", 1000, 0, inverse_of("1382.50"), 2,
     72},
    {"KRW->USD: 1 won is 0.07 cents", 1, 0, inverse_of("1382.50"), 2, 0},
    {"KRW->USD: 12345678 won", 12'345'678, 0, inverse_of("1382.50"), 2, 892'997},
    {"JPY->USD by the inverse of 155.125: 1000 yen", 1000, 0, inverse_of("155.125"), 2, 645},
    {"JPY->USD: negative", -1000, 0, inverse_of("155.125"), 2, -645},
    // Three exponents.
    {"USD->KWD 0.307: 1 USD is 307 fils", 100, 2, rate("0.307"), 3, 307},
    {"USD->KWD: 1 cent is 3.07 fils", 1, 2, rate("0.307"), 3, 3},
    {"KWD->USD by the inverse: 1 KWD is 325.73 cents", 1000, 3, inverse_of("0.307"), 2, 326},
    {"KWD->EUR at 1: 5 fils are 0.5 cents", 5, 3, rate("1"), 2, 0},
    {"KWD->EUR at 1: 15 fils are 1.5 cents", 15, 3, rate("1"), 2, 2},
    {"KWD->EUR at 1: 25 fils are 2.5 cents", 25, 3, rate("1"), 2, 2},
    {"KWD->EUR at 1: -5 fils", -5, 3, rate("1"), 2, 0},
    {"KWD->EUR at 1: -15 fils", -15, 3, rate("1"), 2, -2},
    {"KWD->EUR at 1: -25 fils", -25, 3, rate("1"), 2, -2},
    // Four exponents: CLF (unidad de fomento) and CLP.
    {"CLF->CLP: 1 CLF", 10'000, 4, rate("39000.25"), 0, 39'000},
    {"CLP->CLF: 1000 pesos", 1000, 0, inverse_of("39000.25"), 4, 256},
    // The ends of int64.
    {"the smallest rate", i64_max, 0, rate("0.000000000000000001"), 0, 9},
    {"2^62 doubled overflows", two_62, 2, rate("2"), 2, std::nullopt},
    {"-2^62 doubled is int64 min", -two_62, 2, rate("2"), 2, i64_min},
    {"int64 min halved", i64_min, 2, rate("0.5"), 2, -two_62},
    {"int64 max at USD->KRW overflows", i64_max, 2, rate("1382.50"), 0, std::nullopt},
    {"int64 min at USD->KRW overflows", i64_min, 2, rate("1382.50"), 0, std::nullopt},
    {"the largest amount that fits at USD->KRW", 667'151'684'401'792'101, 2, rate("1382.50"), 0,
     9'223'372'036'854'775'796},
    {"one cent more overflows", 667'151'684'401'792'102, 2, rate("1382.50"), 0, std::nullopt},
    {"the largest rate", i64_max, 0, rate("999999999999999999"), 0, std::nullopt},
    {"the largest rate and shift: past 128 bits", i64_max, 0, rate("999999999999999999"), 18,
     std::nullopt},
    {"a big shift down", i64_max, 18, rate("1"), 0, 9},
};

BOOST_AUTO_TEST_CASE(conversion_is_exact_and_rounds_half_to_even) {
  for (const auto& t : convert_rows) {
    BOOST_TEST_CONTEXT(t.rule) {
      BOOST_CHECK_EQUAL(text(convert(t.amount_minor, t.from_exponent, t.rate, t.to_exponent)),
                        text(t.result_minor));
    }
  }
}

// -- Revenue shares --

struct share_row {
  int64_t amount;
  uint32_t share_bps;
  int64_t share;
};
const share_row share_rows[] = {
    {1000, 0, 0},     {1000, 10'000, 1000}, {1000, 2500, 250},  {12'345, 2500, 3086},
    {1, 5000, 0},     {3, 5000, 2},         {5, 5000, 2},       {7, 5000, 4},  // 0.5 1.5 2.5 3.5
    {-1, 5000, 0},    {-3, 5000, -2},       {-5, 5000, -2},     {-7, 5000, -4},
    {1, 1, 0},        {5000, 1, 0},         {15'000, 1, 2},     {25'000, 1, 2},
    {i64_max, 10'000, i64_max}, {i64_min, 10'000, i64_min}, {i64_min, 5000, -two_62},
    {i64_max, 5000, two_62},  // 2^62 - 0.5: to the even 2^62
    {-1000, 0, 0},
};

BOOST_AUTO_TEST_CASE(shares_round_half_to_even) {
  for (const auto& t : share_rows) {
    BOOST_TEST_CONTEXT(t.amount << " at " << t.share_bps << " bps") {
      BOOST_CHECK_EQUAL(share_of(t.amount, t.share_bps), t.share);
    }
  }
}
