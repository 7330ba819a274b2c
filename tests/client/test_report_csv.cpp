// The specification of the report CSV (client/report_csv.hpp), as tables: what is accepted
// and what it reads as, each refusal with the line and field it names, and that chunking and
// the reader's 64 KiB blocks cut nowhere visible.
#define BOOST_TEST_MODULE report_csv
#include <boost/test/unit_test.hpp>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "client/report_csv.hpp"

using settle::client::report_csv_error;
using settle::client::report_csv_reader;
using settle::ledger::pack_currency;
using settle::ledger::txn_row;
using settle::protocol::txn_kind;

namespace settle::ledger {
std::ostream& operator<<(std::ostream& os, const txn_row& r) {
  return os << "{" << r.id << " " << protocol::to_string(r.kind) << " " << r.amount << " "
            << currency_text(r.currency) << "}";
}
}  // namespace settle::ledger

namespace {

const std::string header = "id,kind,amount,currency\n";

txn_row row(std::string id, txn_kind kind = txn_kind::bet, int64_t amount = 100,
            const char* currency = "EUR") {
  return {std::move(id), kind, amount, pack_currency(currency)};
}

std::vector<txn_row> read_all(const std::string& text, size_t chunk = 1000) {
  std::istringstream in{text};
  report_csv_reader reader{in};
  std::vector<txn_row> all, part;
  while (reader.next_chunk(part, chunk))
    all.insert(all.end(), part.begin(), part.end());
  BOOST_TEST(part.empty());
  BOOST_TEST(reader.rows_read() == all.size());
  return all;
}

struct accepted {
  const char* rule;
  std::string text;
  std::vector<txn_row> rows;
};

const accepted accepted_cases[] = {
    {"a header alone is an empty report", header, {}},
    {"a header without its line end", "id,kind,amount,currency", {}},
    {"a header with CRLF", "id,kind,amount,currency\r\n", {}},
    {"a UTF-8 BOM before the header", "\xEF\xBB\xBF" + header + "b1,bet,5,EUR\n",
     {row("b1", txn_kind::bet, 5)}},
    {"a quoted header", "\"id\",\"kind\",\"amount\",\"currency\"\n", {}},
    {"each kind", header + "b1,bet,1,EUR\nw1,win,2,USD\nr1,rollback,3,JPY\n",
     {row("b1", txn_kind::bet, 1), row("w1", txn_kind::win, 2, "USD"),
      row("r1", txn_kind::rollback, 3, "JPY")}},
    {"CRLF rows", "id,kind,amount,currency\r\nb1,bet,5,EUR\r\nb2,bet,6,EUR\r\n",
     {row("b1", txn_kind::bet, 5), row("b2", txn_kind::bet, 6)}},
    {"the last row without its line end", header + "b1,bet,5,EUR\nb2,bet,6,EUR",
     {row("b1", txn_kind::bet, 5), row("b2", txn_kind::bet, 6)}},
    {"the last row with a CR and no LF", header + "b1,bet,5,EUR\r", {row("b1", txn_kind::bet, 5)}},
    {"a CR inside a field is data", header + "a\rb,bet,5,EUR\n", {row("a\rb", txn_kind::bet, 5)}},
    {"the largest amount", header + "b1,bet,9223372036854775807,EUR\n",
     {row("b1", txn_kind::bet, INT64_MAX)}},
    {"leading zeros are the same integer", header + "b1,bet,007,EUR\n",
     {row("b1", txn_kind::bet, 7)}},
    {"an id of 64 bytes", header + std::string(64, 'x') + ",bet,5,EUR\n",
     {row(std::string(64, 'x'), txn_kind::bet, 5)}},
    {"a quoted id with a comma", header + "\"a,b\",bet,5,EUR\n", {row("a,b", txn_kind::bet, 5)}},
    {"doubled quotes in a quoted id", header + "\"say \"\"hi\"\"\",bet,5,EUR\n",
     {row("say \"hi\"", txn_kind::bet, 5)}},
    {"a quoted id with a line break", header + "\"a\r\nb\",bet,5,EUR\r\nc,win,6,EUR\r\n",
     {row("a\r\nb", txn_kind::bet, 5), row("c", txn_kind::win, 6)}},
    {"every field quoted, CRLF after the quote", header + "\"b1\",\"bet\",\"5\",\"EUR\"\r\n",
     {row("b1", txn_kind::bet, 5)}},
    {"a quoted last field at the end of the input", header + "b1,bet,5,\"EUR\"",
     {row("b1", txn_kind::bet, 5)}},
    {"a BOM after the start is data", header + "\xEF\xBB\xBF" "b1,bet,5,EUR\n",
     {row("\xEF\xBB\xBF" "b1", txn_kind::bet, 5)}},
};

}  // namespace

BOOST_AUTO_TEST_CASE(what_is_accepted_and_how_it_reads) {
  for (const auto& t : accepted_cases) {
    BOOST_TEST_CONTEXT(t.rule) {
      BOOST_TEST(read_all(t.text) == t.rows, boost::test_tools::per_element());
      BOOST_TEST(read_all(t.text, 1) == t.rows, boost::test_tools::per_element());
    }
  }
}

namespace {

struct refused {
  const char* rule;
  std::string text;
  uint64_t line;
  std::string field;
  std::string says;  // part of what()
};

const refused refused_cases[] = {
    {"an empty input has no header", "", 1, "header", "the report is empty"},
    {"a BOM alone has no header", "\xEF\xBB\xBF", 1, "header", "the report is empty"},
    {"a header missing a column", "id,kind,amount\n", 1, "header", "got 'id,kind,amount'"},
    {"a header with a column more", "id,kind,amount,currency,note\n", 1, "header",
     "got 'id,kind,amount,currency,...'"},
    {"a header in other case", "ID,kind,amount,currency\n", 1, "header", "expected"},
    {"a header with spaces", "id, kind,amount,currency\n", 1, "header", "expected"},
    {"rows without a header", "b1,bet,5,EUR\n", 1, "header", "got 'b1,bet,5,EUR'"},
    {"a row of 3 fields", header + "b1,bet,5\n", 2, "", "expected 4 fields"},
    {"a row of 5 fields", header + "b1,bet,5,EUR,x\n", 2, "", "got 5"},
    {"a blank line", header + "b1,bet,5,EUR\n\nb2,bet,5,EUR\n", 3, "", "got 1"},
    {"a blank line at the end", header + "b1,bet,5,EUR\n\n", 3, "", "got 1"},
    {"an empty id", header + ",bet,5,EUR\n", 2, "id", "is empty"},
    {"an empty quoted id", header + "\"\",bet,5,EUR\n", 2, "id", "is empty"},
    {"an id of 65 bytes", header + std::string(65, 'x') + ",bet,5,EUR\n", 2, "id",
     "is 65 bytes, more than 64"},
    {"an unknown kind", header + "b1,deposit,5,EUR\n", 2, "kind", "'deposit' is not bet"},
    {"a kind in other case", header + "b1,Bet,5,EUR\n", 2, "kind", "'Bet'"},
    {"an empty kind", header + "b1,,5,EUR\n", 2, "kind", "''"},
    {"an amount that is not a number", header + "b1,bet,abc,EUR\n", 2, "amount",
     "'abc' is not an integer"},
    {"a decimal amount", header + "b1,bet,1.50,EUR\n", 2, "amount", "is not an integer"},
    {"a plus sign", header + "b1,bet,+5,EUR\n", 2, "amount", "is not an integer"},
    {"a space before the amount", header + "b1,bet, 5,EUR\n", 2, "amount", "is not an integer"},
    {"an empty amount", header + "b1,bet,,EUR\n", 2, "amount", "is not an integer"},
    {"an amount past int64", header + "b1,bet,9223372036854775808,EUR\n", 2, "amount",
     "does not fit in 64 bits"},
    {"a zero amount", header + "b1,bet,0,EUR\n", 2, "amount", "'0' must be positive"},
    {"a negative amount", header + "b1,bet,-5,EUR\n", 2, "amount", "'-5' must be positive"},
    {"a lowercase currency", header + "b1,bet,5,eur\n", 2, "currency", "'eur' is not 3 uppercase"},
    {"a 2-letter currency", header + "b1,bet,5,EU\n", 2, "currency", "is not 3 uppercase"},
    {"a 4-letter currency", header + "b1,bet,5,EURO\n", 2, "currency", "is not 3 uppercase"},
    {"a digit in the currency", header + "b1,bet,5,E1R\n", 2, "currency", "is not 3 uppercase"},
    {"a quote inside an unquoted field", header + "a\"b,bet,5,EUR\n", 2, "id",
     "a quote inside an unquoted field"},
    {"text after a closing quote", header + "\"a\"b,bet,5,EUR\n", 2, "id",
     "only a comma or a line end"},
    {"a quote that never closes", header + "b1,bet,5,EUR\n\"a,bet,5,EUR\n", 3, "id",
     "never closed"},
    {"the quote error names its column", header + "b1,bet,\"5\"x,EUR\n", 2, "amount",
     "only a comma"},
    {"the line a bad row starts on",
     header + "b1,bet,5,EUR\nb2,bet,5,EUR\nb3,bet,5,EUR\nb4,bet,x,EUR\n",
     5, "amount", "line 5: amount: 'x'"},
    {"lines inside quotes count", header + "\"a\nb\nc\",bet,5,EUR\nd,bet,5,XX\n", 5, "currency",
     "line 5: currency"},
    {"a row past 4096 bytes (an unclosed quote in a long input)",
     header + "\"" + std::string(100'000, 'x'), 2, "", "row longer than 4096 bytes"},
};

}  // namespace

BOOST_AUTO_TEST_CASE(each_refusal_names_its_line_and_field) {
  for (const auto& t : refused_cases) {
    BOOST_TEST_CONTEXT(t.rule) {
      std::optional<report_csv_error> caught;
      try {
        read_all(t.text);
      } catch (const report_csv_error& e) {
        caught = e;
      }
      BOOST_TEST_REQUIRE(caught.has_value());
      BOOST_TEST(caught->line() == t.line);
      BOOST_TEST(caught->field() == t.field);
      const std::string what = caught->what();
      BOOST_TEST(what.find(t.says) != std::string::npos, what << " does not say " << t.says);
      BOOST_TEST(what.starts_with("line " + std::to_string(t.line) + ": "));
    }
  }
}

BOOST_AUTO_TEST_CASE(good_rows_before_a_bad_one_come_out_in_earlier_chunks) {
  std::istringstream in{header + "b1,bet,5,EUR\nb2,bet,5,EUR\nb3,bet,x,EUR\n"};
  report_csv_reader reader{in};
  std::vector<txn_row> rows;
  BOOST_TEST(reader.next_chunk(rows, 2));
  BOOST_TEST(rows.size() == 2u);
  BOOST_CHECK_THROW(reader.next_chunk(rows, 2), report_csv_error);
}

BOOST_AUTO_TEST_CASE(chunks_hold_at_most_max_rows) {
  std::string text = header;
  for (int i = 0; i < 2500; ++i)
    text += "t" + std::to_string(i) + ",win," + std::to_string(i + 1) + ",EUR\n";
  std::istringstream in{text};
  report_csv_reader reader{in};
  std::vector<txn_row> rows;
  std::vector<size_t> sizes;
  uint64_t next = 0;
  while (reader.next_chunk(rows, 1000)) {
    sizes.push_back(rows.size());
    for (const auto& r : rows) {
      BOOST_TEST((r == row("t" + std::to_string(next), txn_kind::win,
                           static_cast<int64_t>(next + 1))));
      ++next;
    }
  }
  BOOST_TEST(sizes == (std::vector<size_t>{1000, 1000, 500}), boost::test_tools::per_element());
  BOOST_TEST(rows.empty());
  BOOST_TEST(!reader.next_chunk(rows, 1000));  // the end stays the end
  BOOST_TEST(reader.rows_read() == 2500u);
}

namespace {

constexpr size_t block_bytes = 64 * 1024;  // report_csv.cpp's read block

/// Rows of exactly `bytes` bytes in all (> 72): rows of 61 bytes, then one of 12..72 (ids
/// within the 64-byte limit).
std::string filler(size_t bytes) {
  const std::string tail = ",bet,1,EUR\n";
  std::string out;
  for (size_t n = 0; bytes - out.size() > 72; ++n) {
    const std::string id = "f" + std::to_string(n);
    out += id + std::string(61 - tail.size() - id.size(), 'x') + tail;
  }
  out += std::string(bytes - out.size() - tail.size(), 'y') + tail;
  BOOST_TEST_REQUIRE(out.size() == bytes);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_row_cut_by_the_read_block_reads_whole) {
  // The read block's end falls at every byte of rows with a doubled quote, a quoted comma
  // and line break, and a CRLF: each must read as if the input came in one piece.
  const std::string tricky = "\"q\"\"x,\r\ny\",rollback,42,GBP\r\n";
  const std::string after = "last,win,7,EUR\n";
  for (size_t cut = 0; cut <= tricky.size() + 1; ++cut) {
    BOOST_TEST_CONTEXT("the block ends " << cut << " bytes into the row") {
      const std::string text = header + filler(block_bytes - header.size() - cut) + tricky + after;
      const auto rows = read_all(text, 333);
      BOOST_TEST_REQUIRE(rows.size() >= 2u);
      BOOST_TEST((rows[rows.size() - 2] == row("q\"x,\r\ny", txn_kind::rollback, 42, "GBP")));
      BOOST_TEST((rows.back() == row("last", txn_kind::win, 7)));
    }
  }
}

BOOST_AUTO_TEST_CASE(line_numbers_run_on_across_blocks) {
  std::string text = header;
  for (int i = 0; i < 20'000; ++i)  // ~300 KB: several read blocks
    text += "id-" + std::to_string(i) + ",bet,1,EUR\r\n";
  text += "bad,bet,1,eur\r\n";
  try {
    read_all(text, 4096);
    BOOST_FAIL("the bad row was not refused");
  } catch (const report_csv_error& e) {
    BOOST_TEST(e.line() == 20'002u);
    BOOST_TEST(e.field() == "currency");
  }
}
