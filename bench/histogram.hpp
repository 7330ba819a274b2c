// Latency histogram with log-linear buckets (HdrHistogram-style: 128 linear buckets per power
// of two, so a bucket is at most 1/128 = 0.8% wide relative to its values), mergeable across
// threads. Hand-written: Debian ships no HdrHistogram for C++, and this is 40 lines.
// Values below 128 are exact; record() and quantile() take any uint64_t.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace settle::bench {

class histogram {
public:
  static constexpr int sub_bits = 7;  // 128 linear buckets per power of two
  static constexpr int sub_count = 1 << sub_bits;

  void record(uint64_t value_ns) {
    ++counts_[index(value_ns)];
    ++total_;
    if (value_ns > max_)
      max_ = value_ns;
  }
  void merge(const histogram& o) {
    for (size_t i = 0; i < counts_.size(); ++i)
      counts_[i] += o.counts_[i];
    total_ += o.total_;
    if (o.max_ > max_)
      max_ = o.max_;
  }
  uint64_t count() const { return total_; }
  uint64_t max() const { return max_; }
  /// The value at quantile q (0..1): the upper edge of the bucket holding it.
  uint64_t quantile(double q) const {
    if (total_ == 0)
      return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total_ - 1)) + 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank)
        return std::min(upper(i), max_);
    }
    return max_;
  }

private:
  static size_t index(uint64_t v) {
    if (v < sub_count)
      return v;
    int msb = 63 - std::countl_zero(v);
    int shift = msb - sub_bits;
    return static_cast<size_t>((shift + 1) * sub_count + ((v >> shift) - sub_count));
  }
  static uint64_t upper(size_t i) {
    if (i < sub_count)
      return i;
    size_t shift = i / sub_count - 1;
    uint64_t base = (uint64_t{sub_count} + i % sub_count) << shift;
    return base + ((uint64_t{1} << shift) - 1);
  }
  std::array<uint64_t, (64 - sub_bits + 1) * sub_count> counts_{};
  uint64_t total_ = 0;
  uint64_t max_ = 0;
};

}  // namespace settle::bench
