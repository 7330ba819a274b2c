// A histogram with fixed integer bucket bounds that any thread may add to without a lock
// (relaxed atomic adds), read by the HTTP listener's /metrics. Values are integers in the
// unit the owner chooses (microseconds, records); the exposition converts them. prometheus-cpp's
// own Histogram takes a mutex per observation, too much for the transaction path.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace settle::metrics {

/// What a histogram held when it was read: per-bucket (not cumulative) counts, the last one
/// past every bound (+Inf), and the sum of the values.
struct histogram_snapshot {
  std::vector<uint64_t> counts;
  uint64_t sum = 0;
  uint64_t count() const {
    uint64_t n = 0;
    for (auto c : counts)
      n += c;
    return n;
  }
};

template <size_t Bounds>
class atomic_histogram {
public:
  /// `bounds`: upper bounds (inclusive, as Prometheus's `le`), strictly increasing.
  explicit constexpr atomic_histogram(const std::array<uint64_t, Bounds>& bounds)
      : bounds_(bounds) {}

  /// Adds `n` observations of `value`.
  void observe(uint64_t value, uint64_t n = 1) {
    const auto at = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
    counts_[static_cast<size_t>(at)].fetch_add(n, std::memory_order_relaxed);
    sum_.fetch_add(value * n, std::memory_order_relaxed);
  }

  const std::array<uint64_t, Bounds>& bounds() const { return bounds_; }

  /// A consistent-enough read: each bucket exactly, the sum possibly a moment apart (as any
  /// Prometheus client's).
  histogram_snapshot snapshot() const {
    histogram_snapshot s;
    s.counts.reserve(Bounds + 1);
    for (const auto& c : counts_)
      s.counts.push_back(c.load(std::memory_order_relaxed));
    s.sum = sum_.load(std::memory_order_relaxed);
    return s;
  }

private:
  std::array<uint64_t, Bounds> bounds_;
  std::array<std::atomic<uint64_t>, Bounds + 1> counts_{};
  std::atomic<uint64_t> sum_{0};
};

}  // namespace settle::metrics
