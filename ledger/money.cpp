#include "ledger/money.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <numeric>

#include "base/invariant.hpp"

namespace settle::ledger {

namespace {

struct iso_currency {
  std::string_view code;
  int8_t exponent;
};

// ISO 4217 List One (SIX, published 2026-01-01), codes with a minor unit, sorted by code so
// lookup is a binary search. Exponents are ISO's, not market practice (ISO says IDR 2, ISK 0).
constexpr iso_currency iso_currencies[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"AOA", 2}, {"ARS", 2}, {"AUD", 2},
    {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BHD", 3}, {"BIF", 0},
    {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BOV", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2},
    {"BWP", 2}, {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHE", 2}, {"CHF", 2},
    {"CHW", 2}, {"CLF", 4}, {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"COU", 2}, {"CRC", 2},
    {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0}, {"DKK", 2}, {"DOP", 2}, {"DZD", 2},
    {"EGP", 2}, {"ERN", 2}, {"ETB", 2}, {"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2},
    {"GEL", 2}, {"GHS", 2}, {"GIP", 2}, {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2},
    {"HKD", 2}, {"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2},
    {"IQD", 3}, {"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3}, {"JPY", 0}, {"KES", 2},
    {"KGS", 2}, {"KHR", 2}, {"KMF", 0}, {"KPW", 2}, {"KRW", 0}, {"KWD", 3}, {"KYD", 2},
    {"KZT", 2}, {"LAK", 2}, {"LBP", 2}, {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3},
    {"MAD", 2}, {"MDL", 2}, {"MGA", 2}, {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2},
    {"MRU", 2}, {"MUR", 2}, {"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MXV", 2}, {"MYR", 2},
    {"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2}, {"NOK", 2}, {"NPR", 2}, {"NZD", 2},
    {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2}, {"PHP", 2}, {"PKR", 2}, {"PLN", 2},
    {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2}, {"RWF", 0}, {"SAR", 2},
    {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2}, {"SGD", 2}, {"SHP", 2}, {"SLE", 2},
    {"SOS", 2}, {"SRD", 2}, {"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2},
    {"THB", 2}, {"TJS", 2}, {"TMT", 2}, {"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2},
    {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0}, {"USD", 2}, {"USN", 2}, {"UYI", 0},
    {"UYU", 2}, {"UYW", 4}, {"UZS", 2}, {"VED", 2}, {"VES", 2}, {"VND", 0}, {"VUV", 0},
    {"WST", 2}, {"XAD", 2}, {"XAF", 0}, {"XCD", 2}, {"XCG", 2}, {"XOF", 0}, {"XPF", 0},
    {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
};

constexpr bool by_code(const iso_currency& a, const iso_currency& b) { return a.code < b.code; }
static_assert(std::is_sorted(std::begin(iso_currencies), std::end(iso_currencies), by_code));
static_assert(std::adjacent_find(std::begin(iso_currencies), std::end(iso_currencies),
                                 [](const auto& a, const auto& b) { return a.code == b.code; }) ==
              std::end(iso_currencies));

constexpr int max_rate_digits = 18;  // 10^18 - 1 < 2^63: digits and 10^scale fit in 64 bits
constexpr int max_exponent = 18;     // 10^18 fits in uint64

constexpr uint64_t pow10(int n) {
  uint64_t out = 1;
  for (int i = 0; i < n; ++i)
    out *= 10;
  return out;
}

using u128 = unsigned __int128;

/// |numerator / denominator| rounded half to even, on magnitudes.
u128 round_half_even_div_u(u128 numerator, u128 denominator) {
  u128 quotient = numerator / denominator;
  u128 remainder = numerator % denominator;
  u128 rest = denominator - remainder;  // distance to the next integer, scaled
  if (remainder > rest || (remainder == rest && (quotient & 1) != 0))
    ++quotient;
  return quotient;
}

u128 magnitude(__int128 v) { return v < 0 ? -static_cast<u128>(v) : static_cast<u128>(v); }

/// The exact decimal of numerator/denominator if it is one parse_rate accepts.
std::optional<std::string> exact_decimal(uint64_t numerator, uint64_t denominator) {
  std::string out = std::to_string(numerator / denominator);
  u128 remainder = numerator % denominator;  // 128 bits: remainder * 10 must not wrap
  if (remainder != 0)
    out += '.';
  for (int i = 0; remainder != 0; ++i) {
    if (i == max_rate_digits)
      return std::nullopt;  // more fraction digits than a rate may have, or never ends
    remainder *= 10;
    out += static_cast<char>('0' + static_cast<int>(remainder / denominator));
    remainder %= denominator;
  }
  if (!parse_rate(out))
    return std::nullopt;  // too many significant digits
  return out;
}

}  // namespace

std::optional<int> minor_exponent(std::string_view code) {
  const auto* end = std::end(iso_currencies);
  const auto* it =
      std::lower_bound(std::begin(iso_currencies), end, iso_currency{code, 0}, by_code);
  if (it == end || it->code != code)
    return std::nullopt;
  return it->exponent;
}

std::optional<int> minor_exponent(currency_code code) {
  if (code > 0xff'ffff)
    return std::nullopt;  // not a packed code: 3 letters use 24 bits
  const char text[3] = {static_cast<char>((code >> 16) & 0xff),
                        static_cast<char>((code >> 8) & 0xff), static_cast<char>(code & 0xff)};
  return minor_exponent(std::string_view{text, 3});
}

std::optional<decimal_rate> parse_rate(std::string_view text, std::string& why) {
  if (text.empty()) {
    why = "empty rate";
    return std::nullopt;
  }
  const auto point = text.find('.');
  const auto whole = text.substr(0, point);
  const auto fraction =
      point == std::string_view::npos ? std::string_view{} : text.substr(point + 1);
  auto all_digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!all_digits(whole) || !all_digits(fraction)) {
    why = "a rate is digits with at most one '.' (no sign, exponent or spaces)";
    return std::nullopt;
  }
  if (whole.empty() || (point != std::string_view::npos && fraction.empty())) {
    why = "a rate needs a digit on both sides of its '.'";
    return std::nullopt;
  }
  if (whole.size() > 1 && whole[0] == '0') {
    why = "a rate's integer part has no leading zero";
    return std::nullopt;
  }
  if (fraction.size() > max_rate_digits) {
    why = "a rate has at most 18 digits after the point";
    return std::nullopt;
  }
  decimal_rate out{.digits = 0, .scale = static_cast<int>(fraction.size())};
  int significant = 0;
  for (char c : text) {
    if (c == '.')
      continue;
    if (out.digits != 0 || c != '0')
      ++significant;
    out.digits = out.digits * 10 + static_cast<uint64_t>(c - '0');  // < 10^19 until checked
    if (significant > max_rate_digits) {
      why = "a rate has at most 18 significant digits";
      return std::nullopt;
    }
  }
  if (out.digits == 0) {
    why = "a rate must be greater than 0";
    return std::nullopt;
  }
  return out;
}

std::optional<decimal_rate> parse_rate(std::string_view text) {
  std::string why;
  return parse_rate(text, why);
}

std::string to_string(const decimal_rate& rate) {
  uint64_t digits = rate.digits;
  int scale = rate.scale;
  while (scale > 0 && digits % 10 == 0) {
    digits /= 10;
    --scale;
  }
  std::string out = std::to_string(digits);
  if (scale == 0)
    return out;
  if (out.size() <= static_cast<size_t>(scale))
    out.insert(0, static_cast<size_t>(scale) + 1 - out.size(), '0');
  out.insert(out.size() - static_cast<size_t>(scale), 1, '.');
  return out;
}

fx_rate to_fx_rate(const decimal_rate& rate) {
  SETTLE_ASSERT(rate.digits > 0 && rate.scale >= 0 && rate.scale <= max_rate_digits,
                "a decimal rate of " + std::to_string(rate.digits) + "e-" +
                    std::to_string(rate.scale));
  const uint64_t denominator = pow10(rate.scale);
  const uint64_t g = std::gcd(rate.digits, denominator);
  return {rate.digits / g, denominator / g};
}

fx_rate inverse(const fx_rate& rate) { return {rate.denominator, rate.numerator}; }

std::string to_string(const fx_rate& rate) {
  SETTLE_ASSERT(rate.numerator > 0 && rate.denominator > 0, "a rate of 0");
  if (auto decimal = exact_decimal(rate.numerator, rate.denominator))
    return *decimal;
  if (auto decimal = exact_decimal(rate.denominator, rate.numerator))
    return "1/" + *decimal;
  return std::to_string(rate.numerator) + "/" + std::to_string(rate.denominator);
}

std::optional<fx_rate> parse_fx_rate(std::string_view text, std::string& why) {
  const bool inverted = text.starts_with("1/");
  auto decimal = parse_rate(inverted ? text.substr(2) : text, why);
  if (!decimal)
    return std::nullopt;
  const fx_rate rate = to_fx_rate(*decimal);
  return inverted ? inverse(rate) : rate;
}

__int128 round_half_even_div(__int128 numerator, __int128 denominator) {
  SETTLE_ASSERT(denominator != 0, "division by zero");
  const u128 q = round_half_even_div_u(magnitude(numerator), magnitude(denominator));
  const bool negative = (numerator < 0) != (denominator < 0);
  SETTLE_ASSERT(q <= static_cast<u128>(std::numeric_limits<__int128>::max()) + (negative ? 1 : 0),
                "the quotient does not fit in 128 bits");
  return negative ? static_cast<__int128>(-q) : static_cast<__int128>(q);
}

std::optional<int64_t> convert(int64_t amount_minor, int from_exponent, const fx_rate& rate,
                               int to_exponent) {
  SETTLE_ASSERT(from_exponent >= 0 && from_exponent <= max_exponent && to_exponent >= 0 &&
                    to_exponent <= max_exponent,
                "exponents " + std::to_string(from_exponent) + " -> " +
                    std::to_string(to_exponent));
  SETTLE_ASSERT(rate.numerator > 0 && rate.denominator > 0, "a rate of 0");
  const int shift = to_exponent - from_exponent;
  // |amount| <= 2^63 times a part < 2^64 fits in 128 bits, and so does the denominator
  // (< 2^64 * 10^18). Only scaling the numerator up can overflow, and then the denominator
  // is < 2^64, so the quotient is >= 2^64: past int64 too, the overflow is real.
  u128 numerator = magnitude(amount_minor) * static_cast<u128>(rate.numerator);
  u128 denominator = rate.denominator;
  if (shift > 0 && __builtin_mul_overflow(numerator, static_cast<u128>(pow10(shift)), &numerator))
    return std::nullopt;
  if (shift < 0)
    denominator *= pow10(-shift);
  const u128 q = round_half_even_div_u(numerator, denominator);
  const bool negative = amount_minor < 0;
  const u128 limit = static_cast<u128>(std::numeric_limits<int64_t>::max()) + (negative ? 1 : 0);
  if (q > limit)
    return std::nullopt;
  return negative ? static_cast<int64_t>(-q) : static_cast<int64_t>(q);
}

int64_t share_of(int64_t amount, uint32_t share_bps) {
  SETTLE_ASSERT(share_bps <= 10'000, "a share of " + std::to_string(share_bps) + " bps");
  const __int128 product = static_cast<__int128>(amount) * share_bps;  // < 2^77: fits
  return static_cast<int64_t>(round_half_even_div(product, 10'000));
}

}  // namespace settle::ledger
