#include "client/report_csv.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>
#include <string_view>

#include "base/invariant.hpp"
#include "ledger/currency.hpp"

namespace settle::client {

namespace {

using protocol::txn_kind;

constexpr size_t read_block_bytes = 64 * 1024;
constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";
constexpr std::string_view header_names[] = {"id", "kind", "amount", "currency"};
constexpr size_t shown_bytes = 40;  // of a bad value in a message

/// `s` quoted for a message, cut at shown_bytes so a huge field does not flood the terminal.
std::string shown(std::string_view s) {
  if (s.size() <= shown_bytes)
    return "'" + std::string{s} + "'";
  return "'" + std::string{s.substr(0, shown_bytes)} + "...'";
}

/// The field name of column `index` ("" past the four).
const char* column_name(size_t index) {
  return index < std::size(header_names) ? header_names[index].data() : "";
}

std::optional<txn_kind> reported_kind(std::string_view s) {
  if (s == "bet")
    return txn_kind::bet;
  if (s == "win")
    return txn_kind::win;
  if (s == "rollback")
    return txn_kind::rollback;
  return std::nullopt;
}

}  // namespace

report_csv_error::report_csv_error(uint64_t line, std::string field, const std::string& why)
    : client_error("line " + std::to_string(line) + ": " + (field.empty() ? "" : field + ": ") +
                   why),
      line_(line), field_(std::move(field)) {}

report_csv_reader::report_csv_reader(std::istream& in) : in_(in) {
  skip_bom();
  check_header();
}

void report_csv_reader::fail(const char* field, const std::string& why) const {
  throw report_csv_error(record_line_, field, why);
}

bool report_csv_reader::refill() {
  if (eof_)
    return false;
  // Keep only the record being parsed (at most max_report_row_bytes), then append a block.
  buf_.erase(0, pos_);
  pos_ = 0;
  const size_t kept = buf_.size();
  buf_.resize(kept + read_block_bytes);
  in_.read(buf_.data() + kept, static_cast<std::streamsize>(read_block_bytes));
  const auto got = static_cast<size_t>(in_.gcount());
  buf_.resize(kept + got);
  if (in_.bad())
    throw client_error("line " + std::to_string(line_) + ": cannot read the report");
  eof_ = got < read_block_bytes;  // a short read is the end (eofbit, or failbit with it)
  return got != 0;
}

void report_csv_reader::skip_bom() {
  while (buf_.size() < utf8_bom.size() && refill()) {
  }
  if (std::string_view{buf_}.starts_with(utf8_bom))
    pos_ = utf8_bom.size();
}

void report_csv_reader::check_header() {
  if (!read_record())
    fail("header", "missing: the report is empty (expected id,kind,amount,currency)");
  bool same = field_count_ == std::size(header_names);
  for (size_t i = 0; same && i < field_count_; ++i)
    same = fields_[i] == header_names[i];
  if (same)
    return;
  std::string got;
  for (size_t i = 0; i < std::min(field_count_, field_slots); ++i)
    got += (i ? "," : "") + fields_[i];
  if (field_count_ > field_slots)
    got += ",...";
  fail("header", "expected 'id,kind,amount,currency', got " + shown(got));
}

bool report_csv_reader::read_record() {
  for (;;) {
    switch (parse_record()) {
      case parsed::record:
        return true;
      case parsed::end:
        return false;
      case parsed::need_more:
        if (buf_.size() - pos_ > max_report_row_bytes)
          fail("", "row longer than " + std::to_string(max_report_row_bytes) +
                       " bytes (an unclosed quote?)");
        refill();  // at the end of the input, parse_record() no longer asks for more
        break;
    }
  }
}

report_csv_reader::parsed report_csv_reader::parse_record() {
  // Parses from scratch each time: a record that needs more input is re-read after refill(),
  // which is cheap as records are short (max_report_row_bytes).
  record_line_ = line_;
  const char* const end = buf_.data() + buf_.size();
  const char* p = buf_.data() + pos_;
  if (p == end)
    return eof_ ? parsed::end : parsed::need_more;
  uint64_t newlines = 0;
  field_count_ = 0;
  for (;;) {
    const size_t column = field_count_++;
    auto& field = fields_[std::min(column, field_slots)];
    field.clear();
    if (p != end && *p == '"') {
      p = parse_quoted(p + 1, end, field, newlines, column);
      if (p == nullptr)
        return parsed::need_more;
    } else {
      const char* stop = p;
      while (stop != end && *stop != ',' && *stop != '\n' && *stop != '"')
        ++stop;
      if (stop != end && *stop == '"')
        fail(column_name(column), "a quote inside an unquoted field (quote the whole field, "
                                  "doubling the quotes in it)");
      if (stop == end && !eof_)
        return parsed::need_more;
      const char* data_end = stop;
      if (data_end != p && data_end[-1] == '\r' && (stop == end || *stop == '\n'))
        --data_end;  // CRLF
      field.assign(p, data_end);
      p = stop;
    }
    if (p != end && *p == ',') {
      ++p;
      continue;
    }
    if (p != end) {  // '\n'
      ++p;
      ++newlines;
    }
    break;
  }
  pos_ = static_cast<size_t>(p - buf_.data());
  line_ += newlines;
  return parsed::record;
}

const char* report_csv_reader::parse_quoted(const char* p, const char* end, std::string& field,
                                            uint64_t& newlines, size_t column) const {
  // `p` is past the opening quote. Returns where the field ends (at ',', '\n' or the end of
  // the input), or nullptr when the buffer ends first.
  for (;;) {
    const auto* q = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end - p)));
    if (q == nullptr) {
      if (eof_)
        fail(column_name(column), "the quote opened on this line is never closed");
      return nullptr;
    }
    newlines += static_cast<uint64_t>(std::count(p, q, '\n'));
    field.append(p, q);
    p = q + 1;
    if (p == end)
      return eof_ ? p : nullptr;  // a closing quote, or the first of a doubled one
    if (*p == '"') {
      field.push_back('"');
      ++p;
      continue;
    }
    if (*p == ',' || *p == '\n')
      return p;
    if (*p == '\r' && p + 1 == end)
      return eof_ ? end : nullptr;
    if (*p == '\r' && p[1] == '\n')
      return p + 1;
    fail(column_name(column), "only a comma or a line end may follow a closing quote");
  }
}

void report_csv_reader::to_row(ledger::txn_row& row) const {
  if (field_count_ != std::size(header_names))
    fail("", "expected 4 fields (id,kind,amount,currency), got " + std::to_string(field_count_));
  const std::string& id = fields_[0];
  if (id.empty())
    fail("id", "is empty");
  if (id.size() > max_report_id_bytes)
    fail("id", "is " + std::to_string(id.size()) + " bytes, more than " +
                   std::to_string(max_report_id_bytes));
  const auto kind = reported_kind(fields_[1]);
  if (!kind)
    fail("kind", shown(fields_[1]) + " is not bet, win or rollback");
  const std::string& amount_text = fields_[2];
  int64_t amount = 0;
  const char* const amount_end = amount_text.data() + amount_text.size();
  const auto [stop, ec] = std::from_chars(amount_text.data(), amount_end, amount);
  if (ec == std::errc::result_out_of_range)
    fail("amount", shown(amount_text) + " does not fit in 64 bits");
  if (ec != std::errc{} || stop != amount_end)
    fail("amount", shown(amount_text) + " is not an integer (minor units)");
  if (amount <= 0)
    fail("amount", shown(amount_text) + " must be positive");
  const auto currency = ledger::pack_currency(fields_[3]);
  if (currency == 0)
    fail("currency", shown(fields_[3]) + " is not 3 uppercase letters");
  row.id.assign(id);
  row.kind = *kind;
  row.amount = amount;
  row.currency = currency;
}

bool report_csv_reader::next_chunk(std::vector<ledger::txn_row>& out, size_t max_rows) {
  SETTLE_ASSERT(max_rows > 0, "a chunk of 0 rows would read nothing");
  // Rows of the previous chunk are overwritten in place, reusing their ids' buffers.
  size_t n = 0;
  while (n < max_rows && read_record()) {
    if (n == out.size())
      out.emplace_back();
    to_row(out[n]);
    ++n;
    ++rows_;
  }
  out.resize(n);
  return n != 0;
}

}  // namespace settle::client
