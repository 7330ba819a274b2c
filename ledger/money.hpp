// Exact money arithmetic for partner settlement: minor-unit exponents, exact FX rates,
// conversion and revenue shares. Integers only (no floating point touches money), and one
// rounding rule everywhere: half to even, symmetric for negative amounts, so rounding errors
// do not drift one way over many statement lines.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/currency.hpp"

namespace settle::ledger {

/// Digits after the point of an active ISO 4217 currency (List One as published 2026-01-01):
/// JPY 0, EUR 2, KWD 3, CLF 4. Unknown codes give nullopt: non-ISO codes (BTC, USDT),
/// withdrawn ones (HRK, BGN, ANG, SLL, ZWL, CUC) and the ISO codes without a minor unit
/// (metals XAU.., units of account XDR, XUA, XSU, XBA..XBD, and XTS, XXX).
std::optional<int> minor_exponent(std::string_view code);
std::optional<int> minor_exponent(currency_code code);

/// A rate as a partner quotes it: a plain decimal, exactly `digits / 10^scale`.
/// Meaning: quote units per ONE base unit, both in MAJOR units (base USD, quote KRW,
/// "1382.50": 1 USD = 1382.50 KRW). Kept as written ("1382.50" -> {138250, 2}).
struct decimal_rate {
  uint64_t digits = 1;  // the unscaled digits, < 10^18
  int scale = 0;        // digits after the point, 0..18
};

/// Parses a rate: digits with at most one '.', a digit on both sides of it ("1." and ".5"
/// are refused, so a rate looks like what it prints as), no leading zero before a nonzero
/// integer part ("01.5"), no sign, exponent or whitespace, at most 18 significant digits
/// and 18 fraction digits (so the digits fit in 64 bits), and strictly positive.
/// On refusal `why` says what is wrong.
std::optional<decimal_rate> parse_rate(std::string_view text, std::string& why);
std::optional<decimal_rate> parse_rate(std::string_view text);

/// The canonical exact decimal: no trailing zeros after the point, no trailing '.'
/// ("1382.50" -> "1382.5", "1.000" -> "1").
std::string to_string(const decimal_rate& rate);

/// An exact rate as a reduced fraction numerator/denominator (both > 0, gcd 1, so == is
/// equality of values). A fraction because the inverse of a decimal rate (KRW->USD from a
/// USD->KRW quote) is generally not a finite decimal. Build one with to_fx_rate or inverse.
struct fx_rate {
  uint64_t numerator = 1;
  uint64_t denominator = 1;
  friend bool operator==(const fx_rate&, const fx_rate&) = default;
};

/// The exact value of a decimal rate.
fx_rate to_fx_rate(const decimal_rate& rate);

/// The exact inverse: the rate C->S from the rate S->C.
fx_rate inverse(const fx_rate& rate);

/// The statement's text of a rate, exact and parseable back by parse_fx_rate:
///  - the canonical decimal when the value is one parse_rate accepts ("1382.5"; the inverse
///    of "0.5" is "2", of "1.25" is "0.8");
///  - else "1/<decimal>" when the value is the inverse of such a decimal (the inverse of
///    "1382.50" is "1/1382.5": 0.000723327305605786... never ends);
///  - else "<numerator>/<denominator>" (not a rate the functions above can build).
std::string to_string(const fx_rate& rate);

/// Parses what to_string(fx_rate) prints for rates built from decimals: "<decimal>" or
/// "1/<decimal>", the decimal as parse_rate accepts it.
std::optional<fx_rate> parse_fx_rate(std::string_view text, std::string& why);

/// Rounds numerator/denominator to the nearest integer, ties to the even one, symmetric
/// around zero (-0.5 -> 0, -1.5 -> -2, -2.5 -> -2). Asserts denominator != 0 and that the
/// result fits (only INT128_MIN / -1 does not).
__int128 round_half_even_div(__int128 numerator, __int128 denominator);

/// `amount_minor` of a currency with `from_exponent` at `rate`, in minor units of a currency
/// with `to_exponent`: amount_minor * rate * 10^(to_exponent - from_exponent), rounded half
/// to even. nullopt if the result does not fit in int64. Exponents 0..18 (asserted: callers
/// take them from minor_exponent). The identity rate with equal exponents returns the amount.
std::optional<int64_t> convert(int64_t amount_minor, int from_exponent, const fx_rate& rate,
                               int to_exponent);

/// The share `share_bps` basis points (0..10000, asserted: callers validate it) of `amount`:
/// amount * share_bps / 10000 rounded half to even, in the amount's own minor units.
/// Never overflows: the result's magnitude is at most the amount's.
int64_t share_of(int64_t amount, uint32_t share_bps);

}  // namespace settle::ledger
