// The request fields of the settlement ops: their own pass over the body (the hot ops' decoder
// in request_decoder.cpp knows none of their keys), then the field rules in the order of
// docs/protocol.md "Settlement ops". The same rules and messages as the hot decoder ("field
// 'NAME': PROBLEM", the last of duplicate keys wins, nil counts as absent, unknown keys are
// skipped); nothing is allocated unless a problem is reported. The owned fields are decoded
// again from the checked body (settlement_fields), as the views of a request_view cannot hold
// them.
#include <array>
#include <charconv>
#include <limits>
#include <string>

#include "protocol/codec.hpp"
#include "protocol/msgpack_reader.hpp"
#include "protocol/settlement_codec.hpp"

namespace settle::protocol::detail {

namespace {

constexpr size_t max_id_bytes = 64;    // partner, via, txn id, reconcile_id
constexpr size_t max_name_bytes = 16;  // kind, cycle, weekday, day: names the engine checks
constexpr size_t max_tz_bytes = 64;
constexpr size_t max_cutoff_bytes = 5;  // HH:MM
constexpr size_t max_rate_bytes = 64;

/// The keys of one map a checker reads (by position in its table); everything else is skipped.
template <size_t N>
struct scanned_map {
  std::array<mp_item, N> value{};             // type nil: absent
  std::array<std::string_view, N> bytes{};    // the whole value (arrays are read later)
  bool non_string_key = false;
};

/// Reads the `pairs` pairs of a map whose header `rd` just read, keeping the known keys.
template <size_t N>
bool scan_map(mp_reader& rd, uint64_t pairs, const std::array<std::string_view, N>& names,
              scanned_map<N>& out) {
  mp_item k, v;
  for (uint64_t i = 0; i < pairs; ++i) {
    if (!rd.next_value(k))
      return false;
    const char* start = rd.position();
    if (!rd.next_value(v))
      return false;
    if (k.type != mp_type::str) {
      out.non_string_key = true;
      continue;
    }
    for (size_t j = 0; j < N; ++j)
      if (names[j] == k.str()) {
        out.value[j] = v;  // the last of duplicate keys wins; a nil makes it absent again
        out.bytes[j] = {start, static_cast<size_t>(rd.position() - start)};
        break;
      }
  }
  return true;
}

/// "field 'LIST': item I: ", the prefix of a problem in item I of a list field.
std::string item_prefix(std::string_view list, uint64_t item) {
  return "field '" + std::string{list} + "': item " + std::to_string(item) + ": ";
}

/// The field rules over one scanned map. Only the first problem is recorded; in an item of a
/// list field (`list` not empty: a row of `rows`) it is prefixed with item_prefix.
template <size_t N>
class checker {
public:
  checker(const scanned_map<N>& m, const std::array<std::string_view, N>& names,
          std::string& error, std::string_view list = {}, uint64_t item = 0)
      : m_(m), names_(names), error_(error), list_(list), item_(item) {}

  bool fail(size_t k, std::string_view problem) {
    if (!failed_) {
      failed_ = true;
      error_ = list_.empty() ? std::string{} : item_prefix(list_, item_);
      error_ += "field '";
      error_ += names_[k];
      error_ += "': ";
      error_ += problem;
    }
    return false;
  }

  bool fail_type(size_t k, std::string_view expected, const mp_item& got) {
    return fail(k, "expected " + std::string{expected} + ", got " +
                       std::string{type_name(got.type)});
  }

  const mp_item& value(size_t k) const { return m_.value[k]; }
  std::string_view bytes(size_t k) const { return m_.bytes[k]; }

  /// A string of at most `max_bytes`; a required one must be present and not empty, an
  /// absent (or empty) optional one leaves `out` empty.
  bool str(size_t k, std::string_view& out, bool required, size_t max_bytes) {
    return take_str(
        value(k), out, required, max_bytes, [&](std::string_view p) { return fail(k, p); },
        [&](const mp_item& v) { return fail_type(k, "string", v); });
  }

  bool partner(size_t k, std::string_view& out, bool required) {
    if (!str(k, out, required, max_id_bytes))
      return false;
    if ((required || !out.empty()) && !valid_partner_id(out))
      return fail(k, "invalid partner id " + shown(out) +
                         ": expected 1..64 bytes of [A-Za-z0-9._-]");
    return true;
  }

  bool currency(size_t k, std::string_view& out) {
    if (!str(k, out, true, max_id_bytes))
      return false;
    if (!valid_currency(out))
      return fail(k, "invalid currency " + shown(out) + ": expected 3 uppercase letters");
    return true;
  }

  /// A signed integer in int64 range; `present` tells whether it was given.
  bool integer(size_t k, int64_t& out, bool required, bool& present) {
    present = false;
    const mp_item& v = value(k);
    if (v.type == mp_type::nil)
      return required ? fail(k, "missing") : true;
    if (v.type == mp_type::positive) {
      if (v.u64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return fail(k, "out of range");
    } else if (v.type != mp_type::negative) {
      return fail_type(k, "integer", v);
    }
    out = v.i64();
    present = true;
    return true;
  }

  bool unsigned_int(size_t k, uint64_t& out, bool required, bool& present) {
    present = false;
    const mp_item& v = value(k);
    if (v.type == mp_type::nil)
      return required ? fail(k, "missing") : true;
    if (v.type != mp_type::positive)
      return fail_type(k, "unsigned integer", v);
    out = v.u64;
    present = true;
    return true;
  }

  bool flag(size_t k, bool& out, bool& present) {
    present = false;
    const mp_item& v = value(k);
    if (v.type == mp_type::nil)
      return true;
    if (v.type != mp_type::boolean)
      return fail_type(k, "boolean", v);
    out = v.boolean;
    present = true;
    return true;
  }

private:
  const scanned_map<N>& m_;
  const std::array<std::string_view, N>& names_;
  std::string& error_;
  std::string_view list_;
  uint64_t item_;
  bool failed_ = false;
};

// -- the request map ------------------------------------------------------------------------

/// The keys of a settlement request, as positions in key_names.
namespace k {
enum : size_t {
  partner, kind, currency, cycle, tz, cutoff, weekday, day, share_bps, via, credit_alert,
  max_tps, limit, period, base, quote, rate, amount, id, reconcile_id, final, rows, count,
};
}  // namespace k
constexpr std::array<std::string_view, k::count> key_names{
    "partner", "kind",  "currency",  "cycle", "tz",    "cutoff", "weekday",
    "day",     "share_bps", "via",   "credit_alert", "max_tps", "limit", "period",
    "base",    "quote", "rate",      "amount", "id",   "reconcile_id", "final", "rows"};

using request_checker = checker<k::count>;

/// The settlement fields as views into the body: what the checks keep (the owned form is
/// built from it).
struct fields_view {
  std::string_view kind, currency, cycle, tz, cutoff, weekday, day, via;
  bool day_is_number = false;  // `day` was an integer: day_number, not `day`
  int64_t day_number = 0;
  int64_t share_bps = 0;
  bool has_credit_alert = false, has_max_tps = false;
  int64_t credit_alert = 0, max_tps = 0;
  uint64_t period = 0, limit = 0;
  std::string_view base, quote, rate, reconcile_id;
  bool final = true;
  std::string_view rows;  // the msgpack array
};

// -- reconcile rows -------------------------------------------------------------------------

namespace row_k {
enum : size_t { id, kind, amount, currency, count };
}  // namespace row_k
constexpr std::array<std::string_view, row_k::count> row_key_names{"id", "kind", "amount",
                                                                     "currency"};

struct row_view {
  std::string_view id, currency;
  txn_kind kind = txn_kind::bet;
  int64_t amount = 0;
};

/// Reads item `i` of a rows array from `rd` and checks it. False with `error` (naming the
/// item and its field) for a bad row or a msgpack problem.
bool read_row(mp_reader& rd, uint64_t i, row_view& row, std::string& error) {
  auto fail = [&](std::string_view problem) {
    error = item_prefix("rows", i);
    error += problem;
    return false;
  };
  mp_item item;
  if (!rd.next(item))
    return fail(error_text(rd.error()));
  if (item.type != mp_type::map)
    return fail("expected map, got " + std::string{type_name(item.type)});
  scanned_map<row_k::count> m;
  if (!scan_map(rd, item.u64, row_key_names, m))
    return fail(error_text(rd.error()));
  if (m.non_string_key)
    return fail("map keys must be strings");
  checker<row_k::count> f{m, row_key_names, error, "rows", i};
  std::string_view kind;
  bool present = false;
  if (!f.str(row_k::id, row.id, true, max_id_bytes) ||
      !f.str(row_k::kind, kind, true, max_name_bytes))
    return false;
  if (!parse(kind, row.kind) ||
      (row.kind != txn_kind::bet && row.kind != txn_kind::win && row.kind != txn_kind::rollback))
    return f.fail(row_k::kind, "invalid kind " + shown(kind) + ": expected bet, win or rollback");
  return f.integer(row_k::amount, row.amount, true, present) &&
         f.currency(row_k::currency, row.currency);
}

/// `rows`: an array of at most max_reconcile_rows good rows (checked one by one, nothing kept).
bool check_rows(request_checker& f, fields_view& out, std::string& error) {
  const mp_item& v = f.value(k::rows);
  if (v.type == mp_type::nil)
    return f.fail(k::rows, "missing");
  if (v.type != mp_type::array)
    return f.fail_type(k::rows, "array", v);
  if (v.u64 > max_reconcile_rows)
    return f.fail(k::rows, "more than " + std::to_string(max_reconcile_rows) + " rows");
  mp_reader rd{f.bytes(k::rows)};
  mp_item header;
  rd.next(header);  // the array header, read by the scan already
  row_view row;
  for (uint64_t i = 0; i < v.u64; ++i)
    if (!read_row(rd, i, row, error))
      return false;  // the first problem: nothing was recorded before it
  out.rows = f.bytes(k::rows);
  return true;
}

// -- the ops --------------------------------------------------------------------------------

/// `day`: an integer (kept as its decimal text) or a string.
bool check_day(request_checker& f, fields_view& out) {
  const mp_item& v = f.value(k::day);
  if (v.type == mp_type::positive || v.type == mp_type::negative) {
    bool present = false;
    if (!f.integer(k::day, out.day_number, false, present))
      return false;
    out.day_is_number = true;
    return true;
  }
  if (v.type != mp_type::nil && v.type != mp_type::str)
    return f.fail_type(k::day, "integer or string", v);
  return f.str(k::day, out.day, false, max_name_bytes);
}

bool check_contract(request_checker& f, fields_view& out) {
  bool present = false;
  return f.str(k::kind, out.kind, true, max_name_bytes) &&
         f.currency(k::currency, out.currency) && f.str(k::cycle, out.cycle, true, max_name_bytes) &&
         f.str(k::tz, out.tz, false, max_tz_bytes) &&
         f.str(k::cutoff, out.cutoff, false, max_cutoff_bytes) &&
         f.str(k::weekday, out.weekday, false, max_name_bytes) && check_day(f, out) &&
         f.integer(k::share_bps, out.share_bps, true, present) &&
         f.partner(k::via, out.via, false) &&
         f.integer(k::credit_alert, out.credit_alert, false, out.has_credit_alert) &&
         f.integer(k::max_tps, out.max_tps, false, out.has_max_tps);
}

bool check_limit(request_checker& f, fields_view& out) {
  bool present = false;
  if (!f.unsigned_int(k::limit, out.limit, false, present))
    return false;
  if (present && (out.limit == 0 || out.limit > max_statements_limit))
    return f.fail(k::limit, "expected 1.." + std::to_string(max_statements_limit) + ", got " +
                                std::to_string(out.limit));
  return true;
}

/// reconcile_id and final: without a reconcile_id the rows are the whole report (final).
bool check_chunking(request_checker& f, fields_view& out) {
  bool has_final = false;
  if (!f.str(k::reconcile_id, out.reconcile_id, false, max_id_bytes) ||
      !f.flag(k::final, out.final, has_final))
    return false;
  if (out.reconcile_id.empty()) {
    if (has_final && !out.final)
      return f.fail(k::final, "false needs a reconcile_id (a report sent in chunks)");
    out.final = true;
  } else if (!has_final) {
    out.final = false;
  }
  return true;
}

/// The fields of settlement op `op`, in the order their problems are reported.
bool check_op(request_checker& f, op_kind op, request_view& flat, fields_view& out,
              std::string& error) {
  bool present = false;
  switch (op) {
    case op_kind::contract_set:
      return f.partner(k::partner, flat.partner, true) && check_contract(f, out);
    case op_kind::statements:
      return f.partner(k::partner, flat.partner, true) && check_limit(f, out);
    case op_kind::statement:
      return f.partner(k::partner, flat.partner, true) &&
             f.unsigned_int(k::period, out.period, true, present);
    case op_kind::fx_set:
      return f.currency(k::base, out.base) && f.currency(k::quote, out.quote) &&
             f.str(k::rate, out.rate, true, max_rate_bytes);
    case op_kind::fx:
      return f.currency(k::base, out.base) && f.currency(k::quote, out.quote);
    case op_kind::topup:
      return f.partner(k::partner, flat.partner, true) &&
             f.integer(k::amount, flat.amount, true, flat.has_amount) &&
             f.currency(k::currency, flat.currency) && f.str(k::id, flat.id, true, max_id_bytes);
    case op_kind::reconcile:
      return f.partner(k::partner, flat.partner, true) &&
             f.unsigned_int(k::period, out.period, true, present) && check_chunking(f, out) &&
             check_rows(f, out, error);
    case op_kind::contract:
    case op_kind::period_close:
    case op_kind::suspend:
    case op_kind::resume:
      return f.partner(k::partner, flat.partner, true);
    default:
      error = "not a settlement op";  // never: decode_request hands only those here
      return false;
  }
}

/// Scans `body` and checks it as settlement op `op`.
bool decode_fields(std::string_view body, op_kind op, request_view& flat, fields_view& out,
                   std::string& error) {
  mp_reader rd{body};
  mp_item top;
  scanned_map<k::count> m;
  if (!rd.next(top) || top.type != mp_type::map || !scan_map(rd, top.u64, key_names, m)) {
    error = "not a msgpack map";  // never: decode_request checked the body
    return false;
  }
  request_checker f{m, key_names, error};
  return check_op(f, op, flat, out, error);
}

/// The owned rows of a checked rows array.
std::vector<reconcile_row> rows_of(std::string_view array) {
  std::vector<reconcile_row> out;
  if (array.empty())
    return out;
  mp_reader rd{array};
  mp_item header;
  rd.next(header);
  out.reserve(static_cast<size_t>(header.u64));
  row_view row;
  std::string unused;
  for (uint64_t i = 0; i < header.u64 && read_row(rd, i, row, unused); ++i)
    out.push_back({std::string{row.id}, row.kind, row.amount, std::string{row.currency}});
  return out;
}

}  // namespace

bool check_settlement_request(std::string_view body, op_kind op, request_view& out,
                              std::string& error) {
  fields_view unused;
  return decode_fields(body, op, out, unused, error);
}

std::shared_ptr<const settlement_request> settlement_fields(std::string_view body, op_kind op) {
  request_view flat;
  fields_view v;
  std::string error;
  auto out = std::make_shared<settlement_request>();
  if (!decode_fields(body, op, flat, v, error))
    return out;  // never: the body was checked
  contract_terms& c = out->contract;
  c.kind = v.kind;
  c.currency = v.currency;
  c.cycle = v.cycle;
  c.tz = v.tz;
  c.cutoff = v.cutoff;
  c.weekday = v.weekday;
  c.day = v.day_is_number ? std::to_string(v.day_number) : std::string{v.day};
  c.share_bps = v.share_bps;
  c.via = v.via;
  if (v.has_credit_alert)
    c.credit_alert = v.credit_alert;
  if (v.has_max_tps)
    c.max_tps = v.max_tps;
  out->period = v.period;
  out->limit = static_cast<uint32_t>(v.limit);
  out->base = v.base;
  out->quote = v.quote;
  out->rate = v.rate;
  out->rows = rows_of(v.rows);
  out->reconcile_id = v.reconcile_id;
  out->final = v.final;
  return out;
}

}  // namespace settle::protocol::detail
