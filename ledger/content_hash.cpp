#include "ledger/content_hash.hpp"

#include <xxhash.h>

namespace settle::ledger {

uint64_t content_hash(std::string_view bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

}  // namespace settle::ledger
