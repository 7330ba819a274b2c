// A streaming reader of a partner's report CSV (`settlectl reconcile`): rows come out in
// chunks of a bounded size, so a report of any length is never held in memory at once.
//
// Format:
//  - a header line of exactly `id,kind,amount,currency`, optionally preceded by a UTF-8 BOM;
//  - one row per line: id (1..64 bytes, the wire's transaction ids), kind (bet, win or
//    rollback), amount (a positive decimal integer of minor units that fits in int64; no '+',
//    point or spaces) and currency (3 uppercase letters);
//  - lines end in \n or \r\n (the last one may have no end); blank lines are refused;
//  - RFC 4180 quoting: any field may be enclosed in double quotes, inside which commas, line
//    breaks and doubled quotes ("") are taken as data, since engine ids are arbitrary bytes.
//    A quote inside an unquoted field, or anything but a comma or line end after a closing
//    quote, is refused. A row is at most 4096 bytes (an unclosed quote stops there).
//
// Errors are exceptions, like the rest of client/: a report_csv_error names the line the
// record starts on and the field, and the reader is not usable after one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "client/client.hpp"
#include "ledger/reconcile.hpp"

namespace settle::client {

/// A refusal of the report. what(): "line 7: amount: '12x' is not an integer".
class report_csv_error : public client_error {
public:
  /// `field`: "id", "kind", "amount", "currency", "header", or "" for the whole row.
  report_csv_error(uint64_t line, std::string field, const std::string& why);
  uint64_t line() const { return line_; }
  const std::string& field() const { return field_; }

private:
  uint64_t line_;
  std::string field_;
};

// The wire's limit on a reconcile row's id (docs/protocol.md "Field formats"): a longer one
// could not be sent, so it is refused here with its line.
inline constexpr size_t max_report_id_bytes = 64;
inline constexpr size_t max_report_row_bytes = 4096;

class report_csv_reader {
public:
  /// Reads and checks the header; throws report_csv_error (line 1) when it is missing or
  /// not `id,kind,amount,currency`. `in` must outlive the reader.
  explicit report_csv_reader(std::istream& in);

  /// Replaces `out` with the next rows, at most `max_rows` (> 0); false when there are no
  /// more (`out` then empty). Throws report_csv_error on the first bad row, and
  /// client_error when the stream fails.
  bool next_chunk(std::vector<ledger::txn_row>& out, size_t max_rows);

  /// Data rows returned so far.
  uint64_t rows_read() const { return rows_; }

private:
  static constexpr size_t field_slots = 4;
  enum class parsed { record, need_more, end };

  bool read_record();  // into fields_; false at the end of the input
  parsed parse_record();
  const char* parse_quoted(const char* p, const char* end, std::string& field,
                           uint64_t& newlines, size_t column) const;
  bool refill();
  void skip_bom();
  void check_header();
  void to_row(ledger::txn_row& row) const;
  [[noreturn]] void fail(const char* field, const std::string& why) const;

  std::istream& in_;
  std::string buf_;
  size_t pos_ = 0;  // start of the next record in buf_
  bool eof_ = false;
  uint64_t line_ = 1;         // the line the next record starts on
  uint64_t record_line_ = 1;  // the line the last record read starts on
  std::array<std::string, field_slots + 1> fields_;  // the last slot takes extra fields
  size_t field_count_ = 0;
  uint64_t rows_ = 0;
};

}  // namespace settle::client
