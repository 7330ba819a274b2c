// Deterministic generators for the equivalence tests: random msgpack values (every type and
// every encoding width, including ones msgpack-c's packer never picks), request-like and
// response-like maps, and byte-level mutations of valid bodies.
#pragma once

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace settle::protocol::test {

/// A seeded generator with the helpers the tests need. Same seed, same inputs, on every run.
class fuzz_rng {
public:
  explicit fuzz_rng(uint64_t seed) : gen_(seed) {}

  /// Uniform in [0, n).
  uint64_t below(uint64_t n) { return n == 0 ? 0 : gen_() % n; }
  bool chance(unsigned percent) { return below(100) < percent; }
  uint64_t bits() { return gen_(); }

  template <class T, size_t N>
  const T& pick(const T (&items)[N]) {
    return items[below(N)];
  }
  template <class T>
  const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }

private:
  std::mt19937_64 gen_;
};

/// Raw msgpack bytes, written by hand so the tests control every encoding choice.
class mp_bytes {
public:
  std::string bytes;

  mp_bytes& byte(unsigned b) {
    bytes += static_cast<char>(b & 0xff);
    return *this;
  }
  mp_bytes& be(uint64_t v, size_t n) {
    for (size_t i = 0; i < n; ++i)
      byte(static_cast<unsigned>(v >> (8 * (n - 1 - i))));
    return *this;
  }
  mp_bytes& raw(std::string_view s) {
    bytes += s;
    return *this;
  }

  /// A string in the smallest encoding, or in `width` (0 fix, 1 str8, 2 str16, 4 str32).
  mp_bytes& str(std::string_view s, int width = -1) {
    if (width < 0)
      width = s.size() < 32 ? 0 : s.size() < 256 ? 1 : s.size() < 65536 ? 2 : 4;
    if (width == 0 && s.size() < 32)
      byte(0xa0 | static_cast<unsigned>(s.size()));
    else if (width <= 1 && s.size() < 256)
      byte(0xd9).be(s.size(), 1);
    else if (width <= 2 && s.size() < 65536)
      byte(0xda).be(s.size(), 2);
    else
      byte(0xdb).be(s.size(), 4);
    return raw(s);
  }
  mp_bytes& map(uint32_t n, int width = -1) {
    if (width < 0)
      width = n < 16 ? 0 : n < 65536 ? 2 : 4;
    if (width == 0 && n < 16)
      return byte(0x80 | n);
    if (width <= 2 && n < 65536)
      return byte(0xde).be(n, 2);
    return byte(0xdf).be(n, 4);
  }
  mp_bytes& array(uint32_t n, int width = -1) {
    if (width < 0)
      width = n < 16 ? 0 : n < 65536 ? 2 : 4;
    if (width == 0 && n < 16)
      return byte(0x90 | n);
    if (width <= 2 && n < 65536)
      return byte(0xdc).be(n, 2);
    return byte(0xdd).be(n, 4);
  }
  mp_bytes& nil() { return byte(0xc0); }
  mp_bytes& boolean(bool b) { return byte(b ? 0xc3 : 0xc2); }
  /// An unsigned integer in the smallest encoding.
  mp_bytes& uint(uint64_t v) {
    if (v < 128)
      return byte(static_cast<unsigned>(v));
    if (v < 256)
      return byte(0xcc).be(v, 1);
    if (v < 65536)
      return byte(0xcd).be(v, 2);
    if (v < (uint64_t{1} << 32))
      return byte(0xce).be(v, 4);
    return byte(0xcf).be(v, 8);
  }
  /// A signed integer in the smallest encoding (non-negative ones as unsigned).
  mp_bytes& sint(int64_t v) {
    if (v >= 0)
      return uint(static_cast<uint64_t>(v));
    auto bits = static_cast<uint64_t>(v);
    if (v >= -32)
      return byte(static_cast<unsigned>(bits));
    if (v >= -128)
      return byte(0xd0).be(bits, 1);
    if (v >= -32768)
      return byte(0xd1).be(bits, 2);
    if (v >= -(int64_t{1} << 31))
      return byte(0xd2).be(bits, 4);
    return byte(0xd3).be(bits, 8);
  }
};

/// Integers around every encoding boundary.
inline const std::vector<int64_t>& interesting_ints() {
  static const std::vector<int64_t> v{0,       1,      31,         32,        127,
                                      128,     255,    256,        65535,     65536,
                                      -1,      -31,    -32,        -33,       -127,
                                      -128,    -129,   -32767,     -32768,    -32769,
                                      4294967295LL, 4294967296LL, -2147483647LL, -2147483648LL,
                                      -2147483649LL, std::numeric_limits<int64_t>::max(),
                                      std::numeric_limits<int64_t>::min(), 1250, 8750, -5};
  return v;
}

inline const std::vector<uint64_t>& interesting_uints() {
  static const std::vector<uint64_t> v{0,
                                       1,
                                       127,
                                       128,
                                       255,
                                       256,
                                       65535,
                                       65536,
                                       4294967295ULL,
                                       4294967296ULL,
                                       uint64_t{std::numeric_limits<int64_t>::max()},
                                       uint64_t{std::numeric_limits<int64_t>::max()} + 1,
                                       std::numeric_limits<uint64_t>::max(),
                                       918273};
  return v;
}

/// A random integer in a random (possibly unusual) encoding: signed formats for positive
/// values, wide formats for small ones.
inline void any_int(fuzz_rng& rng, mp_bytes& out) {
  switch (rng.below(6)) {
    case 0: out.uint(rng.pick(interesting_uints())); return;
    case 1: out.sint(rng.pick(interesting_ints())); return;
    case 2: out.uint(rng.bits() >> rng.below(64)); return;
    case 3: {  // a signed encoding of any width
      static const unsigned formats[] = {0xd0, 0xd1, 0xd2, 0xd3};
      static const size_t widths[] = {1, 2, 4, 8};
      auto i = rng.below(4);
      out.byte(formats[i]).be(static_cast<uint64_t>(rng.pick(interesting_ints())), widths[i]);
      return;
    }
    case 4: {  // an unsigned encoding wider than needed
      static const unsigned formats[] = {0xcc, 0xcd, 0xce, 0xcf};
      static const size_t widths[] = {1, 2, 4, 8};
      auto i = rng.below(4);
      out.byte(formats[i]).be(rng.below(200), widths[i]);
      return;
    }
    default: out.byte(static_cast<unsigned>(0xe0 + rng.below(32))); return;  // negative fixint
  }
}

/// Strings a field check cares about: valid ids, empty, too long, bad characters, quotes,
/// control bytes, non-ASCII, currencies right and wrong, names of ops and kinds.
inline std::string any_text(fuzz_rng& rng) {
  static const char* const words[] = {
      "txn",     "hello",   "open",    "balance", "partner", "block",   "unblock", "snapshot",
      "bet",     "win",     "rollback", "deposit", "withdraw", "transfer", "TXN",   "foo",
      "alice",   "bob",     "a b",     "a:b",     "partner:acme:EUR", "house:USD", "acme",
      "EUR",     "USD",     "eur",     "EU",      "EURO",    "E1R",     "",        "x",
      "tx-1",    "it's",    "back\\slash", "\n\t",  "\xc3\xa9t\xc3\xa9", "\xff\xfe", "p48213",
      "applied", "duplicate", "noop",  "active",  "player",  "admin",   "viewer",  "none",
      "insufficient_funds", "overloaded", "forbidden"};
  switch (rng.below(8)) {
    case 0: return std::string(rng.pick(std::vector<size_t>{63, 64, 65, 255, 256, 257, 300}),
                               static_cast<char>('a' + rng.below(26)));
    case 1: {  // random bytes
      std::string s(rng.below(40), '\0');
      for (auto& c : s)
        c = static_cast<char>(rng.bits());
      return s;
    }
    default: return rng.pick(words);
  }
}

/// Any msgpack value, nested up to `depth` levels.
inline void any_value(fuzz_rng& rng, mp_bytes& out, int depth = 2) {
  switch (rng.below(depth > 0 ? 14 : 11)) {
    case 0: out.nil(); return;
    case 1: out.boolean(rng.chance(50)); return;
    case 2:
    case 3: any_int(rng, out); return;
    case 4: out.byte(0xca).be(rng.bits(), 4); return;  // float32
    case 5: out.byte(0xcb).be(rng.bits(), 8); return;  // float64
    case 6:
    case 7: {
      auto s = any_text(rng);
      out.str(s, rng.chance(80) ? -1 : static_cast<int>(rng.pick(std::vector<int>{1, 2, 4})));
      return;
    }
    case 8: {  // bin 8/16/32
      auto s = any_text(rng);
      auto w = rng.below(3);
      out.byte(0xc4 + static_cast<unsigned>(w)).be(s.size(), size_t{1} << w).raw(s);
      return;
    }
    case 9: {  // fixext or ext 8/16/32
      static const unsigned fix[] = {0xd4, 0xd5, 0xd6, 0xd7, 0xd8};
      static const size_t fix_size[] = {1, 2, 4, 8, 16};
      if (rng.chance(50)) {
        auto i = rng.below(5);
        out.byte(fix[i]).byte(1).raw(std::string(fix_size[i], 'e'));
      } else {
        auto w = rng.below(3);
        auto n = rng.below(5);
        out.byte(0xc7 + static_cast<unsigned>(w)).be(n, size_t{1} << w).byte(7).raw(
            std::string(n, 'e'));
      }
      return;
    }
    case 10: out.str(""); return;
    case 11: {
      auto n = static_cast<uint32_t>(rng.below(4));
      out.array(n, rng.chance(80) ? -1 : 2);
      for (uint32_t i = 0; i < n; ++i)
        any_value(rng, out, depth - 1);
      return;
    }
    default: {
      auto n = static_cast<uint32_t>(rng.below(3));
      out.map(n, rng.chance(80) ? -1 : 2);
      for (uint32_t i = 0; i < n; ++i) {
        if (rng.chance(80))
          out.str(any_text(rng));
        else
          any_value(rng, out, depth - 1);
        any_value(rng, out, depth - 1);
      }
      return;
    }
  }
}

/// One mutation of `body`: a byte changed, dropped, inserted or appended, a cut, or a header
/// byte replaced by one that declares a container or string of another size.
inline void mutate(fuzz_rng& rng, std::string& body) {
  static const unsigned special[] = {0xc1, 0xc0, 0xdd, 0xdf, 0xdc, 0xde, 0xdb, 0xd9, 0x80,
                                     0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xff, 0x00, 0x7f, 0xc4,
                                     0xc7, 0xca, 0xcb, 0xd3, 0xcf, 0xd8};
  if (body.empty()) {
    body += static_cast<char>(rng.bits());
    return;
  }
  const size_t at = rng.below(body.size());
  switch (rng.below(7)) {
    case 0: body[at] = static_cast<char>(rng.bits()); return;
    case 1: body[at] = static_cast<char>(rng.pick(special)); return;
    case 2: body.erase(at, 1); return;
    case 3: body.insert(at, 1, static_cast<char>(rng.pick(special))); return;
    case 4: body.resize(at); return;
    case 5: body += static_cast<char>(rng.bits()); return;
    default:  // the first byte declares one pair more or fewer
      body[0] = static_cast<char>(static_cast<unsigned char>(body[0]) + (rng.chance(50) ? 1 : -1));
      return;
  }
}

/// Bytes as hex, to name a failing input in a message.
inline std::string hex(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 0xf];
  }
  return out;
}

}  // namespace settle::protocol::test
