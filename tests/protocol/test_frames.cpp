// frame_reader and put_frame_length: frames split across feeds, many frames per feed, the
// sticky errors (empty, too large) and the size limit.
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "protocol/frame.hpp"

using namespace settle::protocol;
using status = frame_reader::status;

namespace {

/// Appends a frame holding `body`.
void append_frame(std::string& stream, std::string_view body) {
  std::vector<char> header(frame_header_bytes);
  put_frame_length(header, 0, static_cast<uint32_t>(body.size()));
  stream.append(header.data(), header.size());
  stream.append(body);
}

std::string frame_of(std::string_view body) {
  std::string s;
  append_frame(s, body);
  return s;
}

std::string header(uint32_t length) {
  std::vector<char> h(frame_header_bytes);
  put_frame_length(h, 0, length);
  return std::string{h.data(), h.size()};
}

/// Distinct bodies of varying sizes.
std::string body_number(size_t i) {
  return "frame-" + std::to_string(i) + std::string(i % 37, static_cast<char>('a' + i % 26));
}

/// Feeds `stream` in chunks of `chunk` bytes, collecting every frame body.
std::vector<std::string> read_all(frame_reader& reader, std::string_view stream, size_t chunk) {
  std::vector<std::string> bodies;
  for (size_t at = 0; at < stream.size(); at += chunk) {
    auto piece = stream.substr(at, chunk);
    reader.feed(piece.data(), piece.size());
    std::string_view body;
    status st;
    while ((st = reader.next(body)) == status::frame)
      bodies.emplace_back(body);
    BOOST_REQUIRE(st == status::need_more);
  }
  return bodies;
}

}  // namespace

BOOST_AUTO_TEST_CASE(put_frame_length_is_big_endian) {
  std::vector<char> out(6, '\x55');
  put_frame_length(out, 1, 0x01020304u);
  BOOST_CHECK_EQUAL(out[0], '\x55');
  BOOST_CHECK_EQUAL(out[1], '\x01');
  BOOST_CHECK_EQUAL(out[2], '\x02');
  BOOST_CHECK_EQUAL(out[3], '\x03');
  BOOST_CHECK_EQUAL(out[4], '\x04');
  BOOST_CHECK_EQUAL(out[5], '\x55');
  put_frame_length(out, 2, 0xfffefdfcu);
  BOOST_CHECK_EQUAL(out[2], '\xff');
  BOOST_CHECK_EQUAL(out[5], '\xfc');
}

BOOST_AUTO_TEST_CASE(one_frame) {
  frame_reader reader;
  std::string_view body;
  BOOST_CHECK(reader.next(body) == status::need_more);  // nothing fed yet
  BOOST_CHECK(!reader.frame_ready());
  auto f = frame_of("hello");
  reader.feed(f.data(), f.size());
  BOOST_CHECK_EQUAL(reader.buffered_bytes(), f.size());
  BOOST_CHECK(reader.frame_ready());
  BOOST_REQUIRE(reader.next(body) == status::frame);
  BOOST_CHECK_EQUAL(body, "hello");
  BOOST_CHECK_EQUAL(reader.buffered_bytes(), 0u);
  BOOST_CHECK(!reader.frame_ready());
  BOOST_CHECK(reader.next(body) == status::need_more);
}

BOOST_AUTO_TEST_CASE(frames_split_across_feeds_at_every_point) {
  std::string stream = frame_of("first body") + frame_of("second") + frame_of("3");
  for (size_t a = 0; a <= stream.size(); ++a)
    for (size_t b = a; b <= stream.size(); ++b) {
      frame_reader reader;
      std::vector<std::string> bodies;
      for (auto [from, to] : {std::pair{size_t{0}, a}, std::pair{a, b}, std::pair{b, stream.size()}}) {
        reader.feed(stream.data() + from, to - from);
        std::string_view body;
        while (reader.next(body) == status::frame)
          bodies.emplace_back(body);
      }
      BOOST_REQUIRE_MESSAGE((bodies == std::vector<std::string>{"first body", "second", "3"}),
                            "split at " << a << ", " << b);
      BOOST_REQUIRE_EQUAL(reader.buffered_bytes(), 0u);
    }
}

BOOST_AUTO_TEST_CASE(header_arrives_byte_by_byte) {
  frame_reader reader;
  auto f = frame_of("xyz");
  std::string_view body;
  for (size_t i = 0; i + 1 < f.size(); ++i) {
    reader.feed(&f[i], 1);
    BOOST_CHECK(!reader.frame_ready());
    BOOST_CHECK(reader.next(body) == status::need_more);
    BOOST_CHECK_EQUAL(reader.buffered_bytes(), i + 1);
  }
  reader.feed(&f.back(), 1);
  BOOST_CHECK(reader.frame_ready());
  BOOST_REQUIRE(reader.next(body) == status::frame);
  BOOST_CHECK_EQUAL(body, "xyz");
}

BOOST_AUTO_TEST_CASE(many_frames_in_one_feed) {
  std::string stream;
  for (size_t i = 0; i < 1000; ++i)
    append_frame(stream, body_number(i));
  frame_reader reader;
  reader.feed(stream.data(), stream.size());
  std::string_view body;
  for (size_t i = 0; i < 1000; ++i) {
    BOOST_REQUIRE(reader.frame_ready());
    BOOST_REQUIRE(reader.next(body) == status::frame);
    BOOST_REQUIRE_EQUAL(body, body_number(i));
  }
  BOOST_CHECK(reader.next(body) == status::need_more);
  BOOST_CHECK_EQUAL(reader.buffered_bytes(), 0u);
}

BOOST_AUTO_TEST_CASE(long_streams_in_odd_chunks) {
  // Exercises compaction: the buffer is trimmed while frames straddle feeds.
  std::string stream;
  std::vector<std::string> expected;
  for (size_t i = 0; i < 5000; ++i) {
    expected.push_back(body_number(i));
    append_frame(stream, expected.back());
  }
  for (size_t chunk : {1, 3, 7, 64, 1000, 65536}) {
    BOOST_TEST_CONTEXT("chunk " << chunk) {
      frame_reader reader;
      BOOST_CHECK(read_all(reader, stream, chunk) == expected);
      BOOST_CHECK_EQUAL(reader.buffered_bytes(), 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(body_is_valid_until_the_next_feed) {
  frame_reader reader;
  std::string stream = frame_of("one") + frame_of("two") + frame_of("thr");
  reader.feed(stream.data(), stream.size() - 1);
  std::string_view first, second;
  BOOST_REQUIRE(reader.next(first) == status::frame);
  BOOST_REQUIRE(reader.next(second) == status::frame);
  BOOST_CHECK_EQUAL(first, "one");  // frames of one feed do not move
  BOOST_CHECK_EQUAL(second, "two");
  reader.feed(&stream.back(), 1);
  std::string_view third;
  BOOST_REQUIRE(reader.next(third) == status::frame);
  BOOST_CHECK_EQUAL(third, "thr");
}

BOOST_AUTO_TEST_CASE(zero_length_frame_is_empty_and_sticky) {
  frame_reader reader;
  std::string stream = frame_of("ok") + header(0) + frame_of("after");
  reader.feed(stream.data(), stream.size());
  std::string_view body;
  BOOST_REQUIRE(reader.next(body) == status::frame);
  BOOST_CHECK_EQUAL(body, "ok");
  BOOST_CHECK(reader.next(body) == status::empty);
  BOOST_CHECK(!reader.frame_ready());
  BOOST_CHECK(reader.next(body) == status::empty);
  auto more = frame_of("more");
  reader.feed(more.data(), more.size());
  BOOST_CHECK(reader.next(body) == status::empty);
  BOOST_CHECK(!reader.frame_ready());
}

BOOST_AUTO_TEST_CASE(over_max_is_too_large_and_sticky) {
  frame_reader reader{16};
  auto h = header(17);
  reader.feed(h.data(), h.size());  // decided from the header alone, before any body byte
  std::string_view body;
  BOOST_CHECK(reader.next(body) == status::too_large);
  BOOST_CHECK(!reader.frame_ready());
  auto ok = frame_of("fine");
  reader.feed(ok.data(), ok.size());
  BOOST_CHECK(reader.next(body) == status::too_large);
  BOOST_CHECK(reader.next(body) == status::too_large);

  frame_reader huge;  // default limit
  auto hh = header(0xffffffffu);
  huge.feed(hh.data(), hh.size());
  BOOST_CHECK(huge.next(body) == status::too_large);

  frame_reader just_over;
  auto jo = header(default_max_frame_bytes + 1);
  just_over.feed(jo.data(), jo.size());
  BOOST_CHECK(just_over.next(body) == status::too_large);
}

BOOST_AUTO_TEST_CASE(exactly_max_is_accepted) {
  frame_reader small{16};
  auto f = frame_of(std::string(16, 'x'));
  small.feed(f.data(), f.size());
  std::string_view body;
  BOOST_REQUIRE(small.next(body) == status::frame);
  BOOST_CHECK_EQUAL(body.size(), 16u);

  BOOST_CHECK_EQUAL(default_max_frame_bytes, 1u << 20);
  frame_reader reader;  // the default 1 MiB
  std::string big(default_max_frame_bytes, '\0');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i * 7);
  auto stream = frame_of(big) + frame_of("next");
  auto got = read_all(reader, stream, 64 * 1024 + 3);
  BOOST_REQUIRE_EQUAL(got.size(), 2u);
  BOOST_CHECK(got[0] == big);
  BOOST_CHECK_EQUAL(got[1], "next");
}

BOOST_AUTO_TEST_CASE(frame_ready_needs_the_whole_body) {
  frame_reader reader;
  auto f = frame_of("abcdef");
  reader.feed(f.data(), f.size() - 1);
  BOOST_CHECK(!reader.frame_ready());
  std::string_view body;
  BOOST_CHECK(reader.next(body) == status::need_more);
  reader.feed(&f.back(), 1);
  BOOST_CHECK(reader.frame_ready());
  BOOST_CHECK(reader.frame_ready());  // does not consume
  BOOST_REQUIRE(reader.next(body) == status::frame);
  BOOST_CHECK_EQUAL(body, "abcdef");
}
