// Reading fields out of msgpack-c objects (msgpack::unpack's tree), for the decoders off the
// hot path: the journal's records and the history and audit answers.
#pragma once

#include <exception>
#include <string>

#include <msgpack.hpp>

namespace settle::protocol::detail {

/// A string field; false for any other type.
inline bool object_get(const msgpack::object& o, std::string& out) {
  if (o.type != msgpack::type::STR)
    return false;
  out.assign(o.via.str.ptr, o.via.str.size);
  return true;
}

/// An integer field that fits `Int`; false for any other type or a value out of range.
template <class Int>
bool object_get(const msgpack::object& o, Int& out) {
  if (o.type != msgpack::type::POSITIVE_INTEGER && o.type != msgpack::type::NEGATIVE_INTEGER)
    return false;
  try {
    out = o.as<Int>();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace settle::protocol::detail
