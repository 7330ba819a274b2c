// A partner's max_tps, shared by every ledger shard: at most max_tps bets, wins and rollbacks
// of the partner are admitted per wall-clock second, whichever shard takes them. One atomic
// word (second and count packed together) so the count and its second never disagree.
#pragma once

#include <atomic>
#include <cstdint>

namespace settle::actors {

class rate_window {
public:
  explicit rate_window(uint32_t max_tps) : max_tps_(max_tps) {}

  /// Counts one request at `now_ms`; false when the second already holds max_tps.
  bool admit(int64_t now_ms) {
    const uint64_t second = static_cast<uint64_t>(now_ms / 1000) & 0xffffffffu;
    uint64_t seen = word_.load(std::memory_order_relaxed);
    for (;;) {
      uint64_t next = 0;
      if ((seen >> 32) != second)
        next = (second << 32) | 1u;
      else if ((seen & 0xffffffffu) >= max_tps_)
        return false;
      else
        next = seen + 1;
      if (word_.compare_exchange_weak(seen, next, std::memory_order_relaxed))
        return true;
    }
  }
  uint32_t max_tps() const { return max_tps_; }

private:
  const uint32_t max_tps_;
  std::atomic<uint64_t> word_{0};  // second (low 32 bits of it) << 32 | count in it
};

}  // namespace settle::actors
