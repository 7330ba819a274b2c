// What Redis itself reports about the prepared state (for the summary).
#pragma once

#include <cstdint>

#include "persistence/redis_address.hpp"

namespace settle::bench::recovery {

/// INFO memory's used_memory, in bytes; 0 when it cannot be read (the figure is informative,
/// the benchmark does not depend on it).
uint64_t redis_used_memory_bytes(const persistence::redis_address& addr);

}  // namespace settle::bench::recovery
