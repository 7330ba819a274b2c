// Currencies as packed 3-letter codes: an interned id instead of a string on the hot path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace settle::ledger {

/// ISO 4217 code packed into 24 bits ('E','U','R' -> 0x455552). 0 means "none".
using currency_code = uint32_t;

/// Packs a 3-letter code; returns 0 if `text` is not 3 uppercase ASCII letters.
constexpr currency_code pack_currency(std::string_view text) {
  if (text.size() != 3)
    return 0;
  currency_code out = 0;
  for (char c : text) {
    if (c < 'A' || c > 'Z')
      return 0;
    out = (out << 8) | static_cast<uint8_t>(c);
  }
  return out;
}

/// The 3-letter text of a packed code.
inline std::string currency_text(currency_code code) {
  return std::string{static_cast<char>((code >> 16) & 0xff), static_cast<char>((code >> 8) & 0xff),
                     static_cast<char>(code & 0xff)};
}

}  // namespace settle::ledger
