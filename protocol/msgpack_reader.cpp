#include "protocol/msgpack_reader.hpp"

namespace settle::protocol::detail {

bool mp_reader::next_other(mp_item& it) {
  if (p_ == end_)
    return fail(mp_error::truncated);
  const unsigned b = *p_;
  if (b <= 0x7f) {
    it.type = mp_type::positive;
    it.u64 = b;
    ++p_;
    return true;
  }
  if (b >= 0xe0) {
    it.type = mp_type::negative;
    it.u64 = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(b)));
    ++p_;
    return true;
  }
  if (b >= 0xa0 && b <= 0xbf)
    return bytes(it, mp_type::str, 1, b & 0x1f);
  if (b <= 0x8f)
    return container(it, mp_type::map, 1, b & 0x0f);
  if (b <= 0x9f)
    return container(it, mp_type::array, 1, b & 0x0f);
  switch (b) {
    case 0xc0: return scalar(it, mp_type::nil);
    case 0xc2: return scalar(it, mp_type::boolean, false);
    case 0xc3: return scalar(it, mp_type::boolean, true);
    case 0xc4: return sized_bytes<1>(it, mp_type::bin);
    case 0xc5: return sized_bytes<2>(it, mp_type::bin);
    case 0xc6: return sized_bytes<4>(it, mp_type::bin);
    case 0xc7: return sized_bytes<1>(it, mp_type::ext, 1);  // + the type byte
    case 0xc8: return sized_bytes<2>(it, mp_type::ext, 1);
    case 0xc9: return sized_bytes<4>(it, mp_type::ext, 1);
    case 0xca: return fixed<4>(it, mp_type::float32);
    case 0xcb: return fixed<8>(it, mp_type::float64);
    case 0xcc: return unsigned_int<1>(it);
    case 0xcd: return unsigned_int<2>(it);
    case 0xce: return unsigned_int<4>(it);
    case 0xcf: return unsigned_int<8>(it);
    case 0xd0: return signed_int<1>(it);
    case 0xd1: return signed_int<2>(it);
    case 0xd2: return signed_int<4>(it);
    case 0xd3: return signed_int<8>(it);
    case 0xd4: return bytes(it, mp_type::ext, 1, 1 + 1);  // fixext: type byte + 1..16 bytes
    case 0xd5: return bytes(it, mp_type::ext, 1, 2 + 1);
    case 0xd6: return bytes(it, mp_type::ext, 1, 4 + 1);
    case 0xd7: return bytes(it, mp_type::ext, 1, 8 + 1);
    case 0xd8: return bytes(it, mp_type::ext, 1, 16 + 1);
    case 0xd9: return sized_bytes<1>(it, mp_type::str);
    case 0xda: return sized_bytes<2>(it, mp_type::str);
    case 0xdb: return sized_bytes<4>(it, mp_type::str);
    case 0xdc: return sized_container<2>(it, mp_type::array);
    case 0xdd: return sized_container<4>(it, mp_type::array);
    case 0xde: return sized_container<2>(it, mp_type::map);
    case 0xdf: return sized_container<4>(it, mp_type::map);
    default: return fail(mp_error::parse_error);  // 0xc1, the one byte msgpack never uses
  }
}

std::string_view type_name(mp_type t) {
  switch (t) {
    case mp_type::nil: return "nil";
    case mp_type::boolean: return "boolean";
    case mp_type::positive:
    case mp_type::negative: return "integer";
    case mp_type::float32:
    case mp_type::float64: return "float";
    case mp_type::str: return "string";
    case mp_type::bin: return "binary";
    case mp_type::array: return "array";
    case mp_type::map: return "map";
    case mp_type::ext: return "extension";
  }
  return "unknown type";
}

// The texts msgpack::unpack's exceptions gave, as the codec wrapped them.
std::string_view error_text(mp_error e) {
  switch (e) {
    case mp_error::none: break;
    case mp_error::truncated: return "truncated msgpack";
    case mp_error::parse_error: return "not valid msgpack (parse error)";
    case mp_error::array_size_overflow: return "not valid msgpack (array size overflow)";
    case mp_error::map_size_overflow: return "not valid msgpack (map size overflow)";
  }
  return "not valid msgpack";
}

}  // namespace settle::protocol::detail
