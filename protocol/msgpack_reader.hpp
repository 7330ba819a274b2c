// Internal to protocol/: a bounded, allocation-free msgpack reader, the decoders' one pass over a
// frame body.
//
// Hand-written instead of msgpack-c's visitor parser (msgpack::parse with a visitor) because
// that parser heap-allocates its container stack (a std::vector) on every call, and a visitor
// only sees start/end events, so it would have to rebuild "top-level key, top-level value or
// something nested" from them. Here the decoders pull items in order and skip what they do not
// use with a counter of pending values instead of a stack.
//
// It accepts exactly what `msgpack::unpack` accepted with the limits the codec gave it (containers
// capped by the body size, strings referenced in place) and fails for the same first reason
// in byte order:
//   - input ends inside an object: truncated (msgpack-c: insufficient_bytes);
//   - byte 0xc1 where a value starts: parse_error ("parse error");
//   - an array declaring more elements than the body has bytes: "array size overflow";
//   - a map declaring more pairs than half the body's bytes: "map size overflow";
// both size checks happen when the container's header is complete, before its elements, so a
// tiny body declaring 2^32 elements fails at once. msgpack-c's other limits cannot trigger for
// such a body (strings, binaries and extensions longer than the body are truncated first; depth
// would need more than 2^32 nested containers). One deliberate difference: msgpack-c reserved
// room for the declared elements of every nested container, so a body nesting many large
// declarations could exhaust memory and was refused as "not valid msgpack (std::bad_alloc)";
// this reader reserves nothing and reports that body's first real problem instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace settle::protocol::detail {

/// The msgpack type of one item, with integers split by sign as msgpack-c does (a non-negative
/// value in a signed encoding is `positive`).
enum class mp_type : uint8_t {
  nil,
  boolean,
  positive,
  negative,
  float32,
  float64,
  str,
  bin,
  ext,
  array,
  map,
};

/// Why a body is not exactly one msgpack object.
enum class mp_error : uint8_t {
  none,
  truncated,
  parse_error,
  array_size_overflow,
  map_size_overflow,
};

/// One item: a scalar, a string-like value with its bytes, or a container header.
struct mp_item {
  mp_type type = mp_type::nil;
  bool boolean = false;
  uint64_t u64 = 0;              // positive: the value; negative: its int64 bits;
                                 // str, bin, ext: the byte count; array, map: the element count
  const char* data = nullptr;    // str, bin, ext: the bytes (ext: its type byte first)

  int64_t i64() const { return static_cast<int64_t>(u64); }
  std::string_view str() const { return {data, static_cast<size_t>(u64)}; }
};

/// Reads msgpack items from one body in order. Never allocates; every successful next()
/// consumes at least one byte, so any walk is linear in the body size.
class mp_reader {
public:
  explicit mp_reader(std::string_view body)
      : p_(reinterpret_cast<const unsigned char*>(body.data())),
        end_(p_ + body.size()),
        array_limit_(body.size()),
        map_limit_(body.size() / 2) {}

  /// Reads the next item (for str, bin and ext also its bytes). False with error() set when the
  /// body ends first or the item is invalid.
  bool next(mp_item& it);

  /// Skips `n` complete values (containers with everything in them).
  bool skip(uint64_t n) {
    mp_item it;
    while (n > 0) {
      --n;
      if (!next(it))
        return false;
      n += pending_of(it);
    }
    return true;
  }

  /// Skips the elements of the container `it` just read; nothing for a scalar.
  bool skip_contents(const mp_item& it) { return skip(pending_of(it)); }

  /// Reads one complete value, keeping only its first item (a container's header).
  bool next_value(mp_item& it) { return next(it) && skip_contents(it); }

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  /// Where the next item starts.
  const char* position() const { return reinterpret_cast<const char*>(p_); }
  mp_error error() const { return error_; }

private:
  /// next() for every format (msgpack_reader.cpp); next() itself decides the common ones.
  bool next_other(mp_item& it);

  static uint64_t pending_of(const mp_item& it) {
    return it.type == mp_type::array ? it.u64 : it.type == mp_type::map ? 2 * it.u64 : 0;
  }

  bool fail(mp_error e) {
    error_ = e;
    return false;
  }

  /// Big-endian unsigned integer of N bytes at p.
  template <size_t N>
  static uint64_t load(const unsigned char* p) {
    uint64_t v = 0;
    for (size_t i = 0; i < N; ++i)
      v = (v << 8) | p[i];
    return v;
  }

  /// A header of `header` bytes (format byte included) followed by `size` bytes of payload.
  bool bytes(mp_item& it, mp_type type, size_t header, uint64_t size) {
    if (static_cast<uint64_t>(end_ - p_) - header < size)
      return fail(mp_error::truncated);
    it.type = type;
    it.u64 = size;
    it.data = reinterpret_cast<const char*>(p_ + header);
    p_ += header + size;
    return true;
  }

  template <size_t N>
  bool sized_bytes(mp_item& it, mp_type type, uint64_t extra = 0) {
    if (static_cast<size_t>(end_ - p_) < 1 + N)
      return fail(mp_error::truncated);
    return bytes(it, type, 1 + N, load<N>(p_ + 1) + extra);
  }

  template <size_t N>
  bool unsigned_int(mp_item& it) {
    if (static_cast<size_t>(end_ - p_) < 1 + N)
      return fail(mp_error::truncated);
    it.type = mp_type::positive;
    it.u64 = load<N>(p_ + 1);
    p_ += 1 + N;
    return true;
  }

  template <size_t N>
  bool signed_int(mp_item& it) {
    if (static_cast<size_t>(end_ - p_) < 1 + N)
      return fail(mp_error::truncated);
    constexpr unsigned shift = 64 - 8 * N;  // sign-extend from N bytes
    const auto v = static_cast<int64_t>(load<N>(p_ + 1) << shift) >> shift;
    it.type = v >= 0 ? mp_type::positive : mp_type::negative;
    it.u64 = static_cast<uint64_t>(v);
    p_ += 1 + N;
    return true;
  }

  template <size_t N>
  bool fixed(mp_item& it, mp_type type) {
    if (static_cast<size_t>(end_ - p_) < 1 + N)
      return fail(mp_error::truncated);
    it.type = type;
    it.u64 = load<N>(p_ + 1);  // the IEEE bits of a float; nobody reads them
    p_ += 1 + N;
    return true;
  }

  bool container(mp_item& it, mp_type type, size_t header, uint64_t count) {
    if (type == mp_type::array ? count > array_limit_ : count > map_limit_)
      return fail(type == mp_type::array ? mp_error::array_size_overflow
                                         : mp_error::map_size_overflow);
    it.type = type;
    it.u64 = count;
    p_ += header;
    return true;
  }

  template <size_t N>
  bool sized_container(mp_item& it, mp_type type) {
    if (static_cast<size_t>(end_ - p_) < 1 + N)
      return fail(mp_error::truncated);
    return container(it, type, 1 + N, load<N>(p_ + 1));
  }

  bool scalar(mp_item& it, mp_type type, bool b = false) {
    it.type = type;
    it.boolean = b;
    ++p_;
    return true;
  }

  const unsigned char* p_;
  const unsigned char* end_;
  uint64_t array_limit_;
  uint64_t map_limit_;
  mp_error error_ = mp_error::none;
};

inline bool mp_reader::next(mp_item& it) {
  // The formats of typical requests and answers inline (short strings, small integers, small
  // maps); everything else in next_other().
  if (p_ != end_) {
    const unsigned b = *p_;
    if (b <= 0x7f) {
      it.type = mp_type::positive;
      it.u64 = b;
      ++p_;
      return true;
    }
    if (b >= 0xa0 && b <= 0xbf)
      return bytes(it, mp_type::str, 1, b & 0x1f);
    if (b <= 0x8f)
      return container(it, mp_type::map, 1, b & 0x0f);
  }
  return next_other(it);
}

/// msgpack-c's name of a type in the codec's messages ("integer", "string", ...).
std::string_view type_name(mp_type);

/// The text of a malformed-body error: "truncated msgpack", "not valid msgpack (parse error)", ...
std::string_view error_text(mp_error);

/// A string field of at most `max_bytes` into `out`, with the request decoders' rules: absent
/// (nil) is `fail("missing")` only when `required`, and leaves `out` empty otherwise; another
/// type is `fail_type(v)`; a required string must not be empty. The request and settlement
/// decoders share it, each with its own way of naming the field.
template <class Fail, class FailType>
inline bool take_str(const mp_item& v, std::string_view& out, bool required, size_t max_bytes,
                     Fail&& fail, FailType&& fail_type) {
  if (v.type == mp_type::nil)
    return required ? fail("missing") : true;
  if (v.type != mp_type::str)
    return fail_type(v);
  if (required && v.u64 == 0)
    return fail("must not be empty");
  if (v.u64 > max_bytes)
    return fail("longer than " + std::to_string(max_bytes) + " bytes");
  out = v.str();
  return true;
}

}  // namespace settle::protocol::detail
