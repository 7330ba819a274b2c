// Length-prefixed framing of protocol v1: 4-byte big-endian length L, then L bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace settle::protocol {

inline constexpr size_t frame_header_bytes = 4;
inline constexpr uint32_t default_max_frame_bytes = 1u << 20;

/// Accumulates bytes from a stream and yields complete frame bodies.
/// Hand-written because it is a dozen lines and sits on the hot path (no copy per frame
/// when a read holds whole frames).
class frame_reader {
public:
  enum class status { frame, need_more, too_large, empty };

  explicit frame_reader(uint32_t max_frame_bytes = default_max_frame_bytes);

  /// Appends received bytes.
  void feed(const char* data, size_t size);

  /// Extracts the next frame body into `body` (valid until the next feed/next call).
  /// `too_large` / `empty` are sticky errors: the stream cannot be resynchronized.
  status next(std::string_view& body);

  /// True if next() would return a frame without more input.
  bool frame_ready() const;

  /// Bytes buffered but not yet returned.
  size_t buffered_bytes() const { return buf_.size() - pos_; }

private:
  std::vector<char> buf_;
  size_t pos_ = 0;
  uint32_t max_frame_bytes_;
  bool failed_ = false;
  status failure_ = status::need_more;
};

/// Writes a 4-byte big-endian length at out[offset..offset+4).
void put_frame_length(std::vector<char>& out, size_t offset, uint32_t length);

}  // namespace settle::protocol
