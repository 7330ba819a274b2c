// The engine's wall clock: Unix milliseconds, shifted by an offset set once at start
// (setting clock_offset_ms; tests use it to reach a settlement boundary without waiting for
// it). Every instant the engine stamps (journal records, period closes, id ages) comes from
// here, so one offset moves them all together.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace settle {

inline std::atomic<int64_t>& wall_clock_offset_ms() {
  static std::atomic<int64_t> offset{0};
  return offset;
}

/// Unix milliseconds now, with the configured offset.
inline int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() +
         wall_clock_offset_ms().load(std::memory_order_relaxed);
}

}  // namespace settle
