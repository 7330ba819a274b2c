// Internal to protocol/: writes msgpack straight into a frame buffer, for the encoders on the hot
// path. Chooses exactly the encodings msgpack-c's packer chooses (the smallest width for each
// integer, fixstr/str8/str16/str32 by length, fixmap/map16/map32), so frames stay byte-for-byte
// what encode_response always wrote; tests/protocol compares the two.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "base/invariant.hpp"
#include "protocol/frame.hpp"
#include "protocol/messages.hpp"

namespace settle::protocol::detail {

/// Writes msgpack at a raw position; the caller reserved enough room (see the *_bytes bounds).
class mp_writer {
public:
  static constexpr size_t max_int_bytes = 9;         // format byte + 8
  static constexpr size_t max_str_header_bytes = 5;  // str32
  static constexpr size_t max_map_header_bytes = 5;  // map32

  explicit mp_writer(char* at) : p_(at) {}

  char* position() const { return p_; }

  void map_header(uint32_t n) {
    if (n < 16) {
      byte(0x80u | n);
    } else if (n < 65536) {
      byte(0xde);
      be<2>(n);
    } else {
      byte(0xdf);
      be<4>(n);
    }
  }

  void array_header(uint32_t n) {
    if (n < 16) {
      byte(0x90u | n);
    } else if (n < 65536) {
      byte(0xdc);
      be<2>(n);
    } else {
      byte(0xdd);
      be<4>(n);
    }
  }

  /// A string: header and bytes (msgpack-c takes the length as uint32_t; so does this).
  void str(std::string_view s) {
    const auto n = static_cast<uint32_t>(s.size());
    if (n < 32) {
      byte(0xa0u | n);
    } else if (n < 256) {
      byte(0xd9);
      byte(n);
    } else if (n < 65536) {
      byte(0xda);
      be<2>(n);
    } else {
      byte(0xdb);
      be<4>(n);
    }
    if (n != 0) std::memcpy(p_, s.data(), n);  // an empty view's data() may be null
    p_ += n;
  }

  void boolean(bool b) { byte(b ? 0xc3 : 0xc2); }

  /// A float 64 (alert values and thresholds).
  void f64(double v) {
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    byte(0xcb);
    be<8>(bits);
  }

  /// msgpack-c's pack_imp_uint64.
  void uint(uint64_t v) {
    if (v < 128) {
      byte(static_cast<unsigned>(v));
    } else if (v < 256) {
      byte(0xcc);
      byte(static_cast<unsigned>(v));
    } else if (v < 65536) {
      byte(0xcd);
      be<2>(v);
    } else if (v < (uint64_t{1} << 32)) {
      byte(0xce);
      be<4>(v);
    } else {
      byte(0xcf);
      be<8>(v);
    }
  }

  /// msgpack-c's pack_imp_int64: non-negative values as unsigned, negative ones as the
  /// smallest signed width.
  void sint(int64_t v) {
    if (v >= 0) {
      uint(static_cast<uint64_t>(v));
      return;
    }
    const auto bits = static_cast<uint64_t>(v);
    if (v >= -32) {
      byte(static_cast<unsigned>(bits & 0xff));  // negative fixnum
    } else if (v >= -128) {
      byte(0xd0);
      be<1>(bits);
    } else if (v >= -32768) {
      byte(0xd1);
      be<2>(bits);
    } else if (v >= -(int64_t{1} << 31)) {
      byte(0xd2);
      be<4>(bits);
    } else {
      byte(0xd3);
      be<8>(bits);
    }
  }

private:
  void byte(unsigned b) { *p_++ = static_cast<char>(b); }

  template <size_t N>
  void be(uint64_t v) {
    for (size_t i = 0; i < N; ++i)
      p_[i] = static_cast<char>((v >> (8 * (N - 1 - i))) & 0xff);
    p_ += N;
  }

  char* p_;
};

// One key and its value, for any writer with mp_writer's interface (mp_writer, or the
// settlement encoder's sizer).
template <class W>
void kv(W& w, std::string_view k, std::string_view v) {
  w.str(k);
  w.str(v);
}
template <class W>
void kv_uint(W& w, std::string_view k, uint64_t v) {
  w.str(k);
  w.uint(v);
}
template <class W>
void kv_int(W& w, std::string_view k, int64_t v) {
  w.str(k);
  w.sint(v);
}
template <class W>
void kv_bool(W& w, std::string_view k, bool v) {
  w.str(k);
  w.boolean(v);
}

/// The pairs every per-currency totals map has (the `partner` answer's, and a statement's
/// before its own two).
template <class W>
void write_totals_pairs(W& w, const currency_totals& t) {
  kv(w, "currency", t.currency);
  kv_int(w, "bets", t.bets);
  kv_int(w, "wins", t.wins);
  kv_int(w, "rollbacks", t.rollbacks);
  kv_uint(w, "bet_count", t.bet_count);
  kv_uint(w, "win_count", t.win_count);
  kv_uint(w, "rollback_count", t.rollback_count);
  kv_int(w, "ggr", t.ggr);
}
inline constexpr uint32_t totals_pairs = 8;

/// Appends one frame to `out`: reserves the length prefix and at most `max_body` bytes, lets
/// `body` write through an mp_writer, then trims to what was written and fills the prefix in.
template <class F>
void write_frame(std::vector<char>& out, size_t max_body, F&& body) {
  const size_t start = out.size();
  out.resize(start + frame_header_bytes + max_body);
  char* const first = out.data() + start + frame_header_bytes;
  mp_writer w{first};
  body(w);
  const auto length = static_cast<size_t>(w.position() - first);
  // A caller's bound is wrong: stop rather than run on past the buffer.
  SETTLE_ASSERT(length <= max_body, "write_frame: the body outgrew the room its caller reserved");
  out.resize(start + frame_header_bytes + length);
  put_frame_length(out, start, static_cast<uint32_t>(length));
}

}  // namespace settle::protocol::detail
