// Helpers of the protocol tests: hand-built msgpack bodies, frame unwrapping, key sets.
#pragma once

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "protocol/codec.hpp"
#include "protocol/frame.hpp"

namespace settle::protocol::test {

using sbuf_packer = msgpack::packer<msgpack::sbuffer>;

/// Packs whatever `f` writes into a packer; returns the bytes.
template <class F>
std::string packed(F&& f) {
  msgpack::sbuffer buf;
  sbuf_packer pk{buf};
  f(pk);
  return std::string{buf.data(), buf.size()};
}

/// One msgpack value of any type, packed later.
using value = std::function<void(sbuf_packer&)>;

template <class T>
value val(T v) {
  if constexpr (std::is_invocable_v<T, sbuf_packer&>)
    return v;  // already a packing function
  else
    return [v](sbuf_packer& pk) { pk.pack(v); };
}
inline value val(const char* s) { return val(std::string{s}); }
/// Bytes written as they are: for encodings msgpack-c's packer never chooses.
inline value raw(std::string bytes) {
  return [bytes = std::move(bytes)](sbuf_packer& pk) {
    pk.pack_str_body(bytes.data(), static_cast<uint32_t>(bytes.size()));
  };
}
inline value nil() {
  return [](sbuf_packer& pk) { pk.pack_nil(); };
}

/// An ordered msgpack map with string keys, edited by tests before packing.
class map_body {
public:
  map_body() = default;
  map_body(std::initializer_list<std::pair<std::string, value>> items) : items_(items) {}

  /// Replaces the value of `key`, or appends it.
  map_body& set(const std::string& key, value v) {
    for (auto& [k, old] : items_)
      if (k == key) {
        old = std::move(v);
        return *this;
      }
    items_.emplace_back(key, std::move(v));
    return *this;
  }
  template <class T>
  map_body& set(const std::string& key, T v) {
    return set(key, val(std::move(v)));
  }
  map_body& set(const std::string& key, const char* v) { return set(key, val(v)); }

  map_body& erase(const std::string& key) {
    std::erase_if(items_, [&](const auto& kv) { return kv.first == key; });
    return *this;
  }

  std::string pack() const {
    return packed([&](sbuf_packer& pk) {
      pk.pack_map(static_cast<uint32_t>(items_.size()));
      for (const auto& [k, v] : items_) {
        pk.pack(k);
        v(pk);
      }
    });
  }

private:
  std::vector<std::pair<std::string, value>> items_;
};

/// The body of the single frame in `framed`, checking the length prefix.
inline std::string body_of(const std::vector<char>& framed) {
  BOOST_REQUIRE_GE(framed.size(), frame_header_bytes);
  frame_reader reader;
  reader.feed(framed.data(), framed.size());
  std::string_view body;
  BOOST_REQUIRE(reader.next(body) == frame_reader::status::frame);
  BOOST_REQUIRE_EQUAL(reader.buffered_bytes(), 0u);  // exactly one frame
  return std::string{body};
}

/// The keys of the msgpack map in `body`.
inline std::set<std::string> keys_of(const std::string& body) {
  auto oh = msgpack::unpack(body.data(), body.size());
  const auto& obj = oh.get();
  BOOST_REQUIRE(obj.type == msgpack::type::MAP);
  std::set<std::string> keys;
  for (uint32_t i = 0; i < obj.via.map.size; ++i)
    keys.insert(obj.via.map.ptr[i].key.as<std::string>());
  BOOST_REQUIRE_EQUAL(keys.size(), obj.via.map.size);  // no duplicates
  return keys;
}

/// The value of `key` in the msgpack map in `body`, converted to T.
template <class T>
T value_of(const std::string& body, std::string_view key) {
  auto oh = msgpack::unpack(body.data(), body.size());
  const auto& obj = oh.get();
  for (uint32_t i = 0; i < obj.via.map.size; ++i)
    if (obj.via.map.ptr[i].key.as<std::string>() == key)
      return obj.via.map.ptr[i].val.as<T>();
  BOOST_FAIL("no key " << key);
  return T{};
}

}  // namespace settle::protocol::test
