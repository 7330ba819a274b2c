#include "protocol/frame.hpp"

#include "base/invariant.hpp"

namespace settle::protocol {

namespace {

uint32_t read_length(const char* at) {
  const auto* p = reinterpret_cast<const unsigned char*>(at);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace

frame_reader::frame_reader(uint32_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {
  // nop
}

void frame_reader::feed(const char* data, size_t size) {
  if (failed_)
    return;  // the stream is lost: keeping more of it would only cost memory
  // Drop consumed bytes lazily, once they are at least half of the buffer: each byte is moved
  // at most a constant number of times, and a read holding whole frames moves nothing.
  if (pos_ > 0 && pos_ * 2 >= buf_.size()) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), data, data + size);
}

frame_reader::status frame_reader::next(std::string_view& body) {
  if (failed_)
    return failure_;
  const size_t avail = buf_.size() - pos_;
  if (avail < frame_header_bytes)
    return status::need_more;
  const uint32_t len = read_length(buf_.data() + pos_);
  if (len == 0 || len > max_frame_bytes_) {
    failed_ = true;
    failure_ = len == 0 ? status::empty : status::too_large;
    return failure_;
  }
  if (avail - frame_header_bytes < len)
    return status::need_more;
  body = std::string_view{buf_.data() + pos_ + frame_header_bytes, len};
  pos_ += frame_header_bytes + len;
  return status::frame;
}

bool frame_reader::frame_ready() const {
  const size_t avail = buf_.size() - pos_;
  if (failed_ || avail < frame_header_bytes)
    return false;
  const uint32_t len = read_length(buf_.data() + pos_);
  return len != 0 && len <= max_frame_bytes_ && avail - frame_header_bytes >= len;
}

void put_frame_length(std::vector<char>& out, size_t offset, uint32_t length) {
  SETTLE_ASSERT(out.size() >= offset + frame_header_bytes,
                "put_frame_length: the frame's length prefix lies outside the buffer");
  out[offset] = static_cast<char>((length >> 24) & 0xff);
  out[offset + 1] = static_cast<char>((length >> 16) & 0xff);
  out[offset + 2] = static_cast<char>((length >> 8) & 0xff);
  out[offset + 3] = static_cast<char>(length & 0xff);
}

}  // namespace settle::protocol
