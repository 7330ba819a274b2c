// A report CSV as reconcile requests (client/reconcile_chunks.hpp): where the chunks are cut
// (at max_reconcile_rows exactly, one row more, and by frame bytes), what each carries, that
// every request is one the engine's decoder accepts and fits in its frame, and that a bad row
// stops the stream naming its line.
#define BOOST_TEST_MODULE reconcile_chunks
#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "client/reconcile_chunks.hpp"
#include "protocol/codec.hpp"

using settle::client::reconcile_chunker;
using settle::client::report_csv_error;
namespace protocol = settle::protocol;

namespace {

const std::string header = "id,kind,amount,currency\n";
const std::string rid = "run-1";

/// A report of `n` rows: id "t<i>" (padded with x to `id_bytes` when larger), kinds cycling.
std::string report(size_t n, size_t id_bytes = 0) {
  static const char* kinds[] = {"bet", "win", "rollback"};
  std::string text = header;
  for (size_t i = 0; i < n; ++i) {
    std::string id = "t" + std::to_string(i);
    if (id.size() < id_bytes)
      id += std::string(id_bytes - id.size(), 'x');
    text += id + "," + kinds[i % 3] + "," + std::to_string(i + 1) + ",EUR\n";
  }
  return text;
}

struct chunk {
  size_t rows;
  std::string reconcile_id;
  bool final;
  friend bool operator==(const chunk&, const chunk&) = default;
};

std::ostream& operator<<(std::ostream& os, const chunk& c) {
  return os << "{" << c.rows << " rows, id '" << c.reconcile_id << "', final " << c.final << "}";
}

/// Encodes `req` and decodes it with the engine's decoder; the frame's body size.
size_t check_on_the_wire(const protocol::request& req) {
  std::vector<char> frame;
  protocol::encode_request(req, 7, frame);
  std::string_view body{frame.data() + protocol::frame_header_bytes,
                        frame.size() - protocol::frame_header_bytes};
  protocol::request decoded;
  std::string why;
  BOOST_TEST((protocol::decode_request(body, decoded, why) == protocol::decode_status::ok), why);
  BOOST_TEST_REQUIRE(decoded.settlement != nullptr);
  BOOST_TEST((*decoded.settlement == *req.settlement));
  return body.size();
}

/// The chunks `text` is sent in, each checked on the wire; all rows in `rows` when given.
std::vector<chunk> chunks_of(const std::string& text, size_t max_rows = protocol::max_reconcile_rows,
                             size_t max_frame = protocol::default_max_frame_bytes,
                             std::vector<protocol::reconcile_row>* rows = nullptr) {
  std::istringstream in{text};
  reconcile_chunker chunker{in, "acme", 11, rid, max_rows, max_frame};
  std::vector<chunk> out;
  while (auto req = chunker.next()) {
    BOOST_TEST((req->op == protocol::op_kind::reconcile));
    BOOST_TEST(req->partner == "acme");
    BOOST_TEST_REQUIRE(req->settlement != nullptr);
    const auto& s = *req->settlement;
    BOOST_TEST(s.period == 11u);
    BOOST_TEST(s.rows.size() <= max_rows);
    BOOST_TEST(check_on_the_wire(*req) <= max_frame);
    out.push_back({s.rows.size(), s.reconcile_id, s.final});
    if (rows != nullptr)
      rows->insert(rows->end(), s.rows.begin(), s.rows.end());
    BOOST_TEST_REQUIRE(out.size() < 1000u);
  }
  BOOST_TEST(!chunker.next());  // the end stays the end
  return out;
}

using chunks = std::vector<chunk>;
constexpr size_t max = protocol::max_reconcile_rows;

}  // namespace

BOOST_AUTO_TEST_CASE(a_report_that_fits_is_one_request_without_a_reconcile_id) {
  BOOST_TEST(chunks_of(header) == (chunks{{0, "", true}}), boost::test_tools::per_element());
  BOOST_TEST(chunks_of(report(1)) == (chunks{{1, "", true}}), boost::test_tools::per_element());
  BOOST_TEST(chunks_of(report(max)) == (chunks{{max, "", true}}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(one_row_past_the_limit_makes_two_chunks_under_one_id) {
  BOOST_TEST(chunks_of(report(max + 1)) == (chunks{{max, rid, false}, {1, rid, true}}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_last_chunk_is_never_empty_when_the_rows_fill_the_chunks) {
  BOOST_TEST(chunks_of(report(2 * max)) == (chunks{{max, rid, false}, {max, rid, true}}),
             boost::test_tools::per_element());
  BOOST_TEST(chunks_of(report(7), 3) == (chunks{{3, rid, false}, {3, rid, false}, {1, rid, true}}),
             boost::test_tools::per_element());
  BOOST_TEST(chunks_of(report(6), 3) == (chunks{{3, rid, false}, {3, rid, true}}),
             boost::test_tools::per_element());
  BOOST_TEST(chunks_of(report(3), 3) == (chunks{{3, "", true}}), boost::test_tools::per_element());
  BOOST_TEST(chunks_of(report(4), 3) == (chunks{{3, rid, false}, {1, rid, true}}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rows_arrive_in_order_as_the_report_has_them) {
  std::vector<protocol::reconcile_row> rows;
  chunks_of(header + "a,bet,5,EUR\n\"b,1\",win,7,KRW\r\nc,rollback,9223372036854775807,USD", 2,
            protocol::default_max_frame_bytes, &rows);
  const std::vector<protocol::reconcile_row> expected = {
      {"a", protocol::txn_kind::bet, 5, "EUR"},
      {"b,1", protocol::txn_kind::win, 7, "KRW"},
      {"c", protocol::txn_kind::rollback, INT64_MAX, "USD"}};
  BOOST_TEST((rows == expected));
  std::vector<protocol::reconcile_row> many;
  chunks_of(report(2 * max + 5), max, protocol::default_max_frame_bytes, &many);
  BOOST_TEST_REQUIRE(many.size() == 2 * max + 5);
  for (size_t i = 0; i < many.size(); ++i)
    if (many[i].id != "t" + std::to_string(i) || many[i].amount != static_cast<int64_t>(i + 1))
      BOOST_FAIL("row " << i << " is out of place: " << many[i].id);
}

BOOST_AUTO_TEST_CASE(long_ids_cut_a_chunk_before_its_frame_is_too_large) {
  // 10,000 rows of 64-byte ids are about 1.1 MB: over the engine's default 1 MiB frame.
  const auto got = chunks_of(report(max, 64));
  BOOST_TEST_REQUIRE(got.size() == 2u);
  BOOST_TEST(got[0].rows + got[1].rows == max);
  BOOST_TEST(got[0].rows < max);
  BOOST_TEST(got[0].reconcile_id == rid);
  BOOST_TEST(!got[0].final);
  BOOST_TEST(got[1].final);
  // A smaller engine frame: more, smaller chunks, each within it.
  const auto small = chunks_of(report(1000, 64), max, 16 * 1024);
  BOOST_TEST(small.size() > 8u);
  BOOST_TEST(small.back().final);
}

BOOST_AUTO_TEST_CASE(a_bad_row_names_its_line) {
  // Row max+1 is read ahead to tell whether the first chunk is the last: the first next()
  // already refuses it (line max+2: the header is line 1).
  std::istringstream in{report(max) + "bad,bet,12x,EUR\n"};
  reconcile_chunker chunker{in, "acme", 11, rid};
  try {
    chunker.next();
    BOOST_FAIL("the bad row was not refused");
  } catch (const report_csv_error& e) {
    BOOST_TEST(e.line() == max + 2);
    BOOST_TEST(e.field() == "amount");
    BOOST_TEST(std::string{e.what()}.starts_with("line 10002: amount: '12x'"));
  }
  // Further on, the row is read with the next request's rows (the CSV is read in blocks of
  // 1,000 rows, so it is past the first request's read-ahead).
  std::istringstream later{report(max + 1500) + "x,bet,1,eur\n"};
  reconcile_chunker second{later, "acme", 11, rid};
  BOOST_TEST(second.next()->settlement->rows.size() == max);
  BOOST_CHECK_THROW(second.next(), report_csv_error);
}

BOOST_AUTO_TEST_CASE(a_bad_header_is_refused_before_any_request) {
  std::istringstream in{"id,kind,amount\n"};
  BOOST_CHECK_THROW((reconcile_chunker{in, "acme", 11, rid}), report_csv_error);
}

BOOST_AUTO_TEST_CASE(check_report_reads_to_the_end_or_names_the_bad_line) {
  std::istringstream good{report(2500)};
  BOOST_TEST(settle::client::check_report(good) == 2500u);
  std::istringstream bad{report(2500) + std::string(65, 'i') + ",bet,1,EUR\n"};
  try {
    settle::client::check_report(bad);
    BOOST_FAIL("the 65-byte id was not refused");
  } catch (const report_csv_error& e) {
    BOOST_TEST(e.line() == 2502u);
    BOOST_TEST(e.field() == "id");
  }
}
