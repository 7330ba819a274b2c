// Milliseconds left until a deadline, for poll(): rounded up, so a caller that asked to wait
// 1 ms does wait (rounding down would make it spin and starve the server of CPU).
#pragma once

#include <chrono>

namespace settle::bench::peers {

using clock_type = std::chrono::steady_clock;

/// Milliseconds from now until `deadline`, rounded up; 0 once it has passed.
inline int remaining_ms(clock_type::time_point deadline) {
  auto left = deadline - clock_type::now();
  if (left <= clock_type::duration::zero())
    return 0;
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
}

}  // namespace settle::bench::peers
