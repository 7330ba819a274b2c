// A hash that is the same in every process (absl::Hash is salted per process), for shard
// routing and transaction fingerprints that must survive restarts.
#pragma once

#include <cstdint>
#include <string_view>

namespace settle::ledger {

/// FNV-1a 64-bit: tiny and stable; inputs here are short ids, so its speed is fine.
class stable_hasher {
public:
  stable_hasher& add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      state_ ^= c;
      state_ *= 0x100000001b3ull;
    }
    // A separator so ("ab","c") and ("a","bc") differ.
    state_ ^= 0xff;
    state_ *= 0x100000001b3ull;
    return *this;
  }
  stable_hasher& add(uint64_t value) {
    for (int i = 0; i < 8; ++i) {
      state_ ^= (value >> (8 * i)) & 0xff;
      state_ *= 0x100000001b3ull;
    }
    return *this;
  }
  uint64_t value() const {
    // Final avalanche (splitmix64) so low bits are usable for modulo routing.
    uint64_t z = state_ + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

private:
  uint64_t state_ = 0xcbf29ce484222325ull;
};

inline uint64_t stable_hash(std::string_view bytes) {
  return stable_hasher{}.add(bytes).value();
}

}  // namespace settle::ledger
