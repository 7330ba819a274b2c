#include "persistence/settlement_records.hpp"

#include <limits>
#include <numeric>
#include <span>
#include <stdexcept>

#include <msgpack.hpp>

namespace settle::persistence {

namespace {

constexpr uint32_t record_format = 1;
enum tag : uint8_t { contract_tag = 1, fx_tag, topup_tag, suspension_tag, close_tag };
// The deepest record nests three arrays: a close, its currencies, one currency.
constexpr size_t max_depth = 3;
constexpr uint32_t contract_fields_count = 16, fx_fields_count = 7, topup_fields_count = 6,
                   suspension_fields_count = 4, close_fields_count = 20,
                   currency_fields_count = 13, line_fields_count = 2;
constexpr uint64_t max_rate_digits = 999'999'999'999'999'999;  // < 10^18 (ledger/money.hpp)
constexpr int max_rate_scale = 18;

// -- what both sides check: "" or what is wrong -------------------------------------------

std::string currency_problem(ledger::currency_code c) {
  if (c == 0 || ledger::pack_currency(ledger::currency_text(c)) != c)
    return "not a 3-letter currency code";
  return {};
}

std::string rate_problem(const ledger::fx_rate& r) {
  if (r.numerator == 0 || r.denominator == 0)
    return "a rate with a zero (" + std::to_string(r.numerator) + "/" +
           std::to_string(r.denominator) + ")";
  if (std::gcd(r.numerator, r.denominator) != 1)
    return "a rate not in lowest terms (" + std::to_string(r.numerator) + "/" +
           std::to_string(r.denominator) + ")";
  return {};
}

std::string decimal_problem(const ledger::decimal_rate& r) {
  if (r.digits == 0 || r.digits > max_rate_digits || r.scale < 0 || r.scale > max_rate_scale)
    return "a decimal rate out of range (digits " + std::to_string(r.digits) + ", scale " +
           std::to_string(r.scale) + ")";
  return {};
}

// -- writing ------------------------------------------------------------------------------

struct string_sink {
  std::string& out;
  void write(const char* p, size_t n) { out.append(p, n); }
};

/// A packer with the record's field kinds; checks currencies and rates right before writing.
class writer {
public:
  explicit writer(std::string& out) : sink_{out}, pk_{sink_} {}

  void header(uint8_t t, uint32_t fields) {
    pk_.pack_array(fields);
    pk_.pack(record_format);
    pk_.pack(t);
  }
  void array(size_t n) { pk_.pack_array(static_cast<uint32_t>(n)); }
  void str(std::string_view s) {
    pk_.pack_str(static_cast<uint32_t>(s.size()));
    pk_.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
  }
  void opt_str(const std::optional<std::string>& s) {
    if (s)
      str(*s);
    else
      pk_.pack_nil();
  }
  void opt_int(const std::optional<int64_t>& v) {
    if (v)
      pk_.pack(*v);
    else
      pk_.pack_nil();
  }
  template <class Int>
  void num(Int v) {
    pk_.pack(v);
  }
  void flag(bool b) { pk_.pack(b); }
  void currency(ledger::currency_code c, std::string_view field) {
    check(currency_problem(c), field);
    str(ledger::currency_text(c));
  }
  static void check(const std::string& problem, std::string_view field) {
    if (!problem.empty())
      throw std::invalid_argument("settlement record to write, " + std::string{field} + ": " +
                                  problem);
  }

private:
  string_sink sink_;
  msgpack::packer<string_sink> pk_;
};

void write_terms(writer& w, const ledger::statement_terms& t) {
  w.str(t.partner);
  w.num(t.period);
  w.num(t.from_unix_ms);
  w.num(t.to_unix_ms);
  w.num(t.revision);
  w.currency(t.settlement_currency, "settlement_currency");
  w.num(t.share_bps);
  w.str(t.via);
  w.num(t.carried_in);
}

void write_currency(writer& w, const ledger::statement_currency& c) {
  w.array(currency_fields_count);
  w.currency(c.totals.currency, "statement currency");
  w.num(c.totals.bets);
  w.num(c.totals.wins);
  w.num(c.totals.rollbacks);
  w.num(c.totals.bet_count);
  w.num(c.totals.win_count);
  w.num(c.totals.rollback_count);
  w.num(c.ggr);
  if (auto why = rate_problem(c.rate.rate); !why.empty())
    writer::check(why, "the rate of " + ledger::currency_text(c.totals.currency));
  w.num(c.rate.rate.numerator);
  w.num(c.rate.rate.denominator);
  w.num(c.rate.set_at_unix_ms);
  w.flag(c.rate.inverted);
  w.num(c.ggr_settlement);
}

struct encoder {
  writer& w;

  void operator()(const ledger::contract_record& r) {
    const auto& f = r.fields;
    w.header(contract_tag, contract_fields_count);
    w.num(r.revision);
    w.num(r.at_unix_ms);
    for (const auto* s : {&f.partner, &f.kind, &f.currency, &f.cycle})
      w.str(*s);
    for (const auto* s : {&f.tz, &f.cutoff, &f.weekday, &f.day, &f.via})
      w.opt_str(*s);
    for (const auto* n : {&f.share_bps, &f.credit_alert, &f.max_tps})
      w.opt_int(*n);
  }
  void operator()(const ledger::fx_record& r) {
    w.header(fx_tag, fx_fields_count);
    w.currency(r.base, "base");
    w.currency(r.quote, "quote");
    writer::check(decimal_problem(r.rate), "rate");
    w.num(r.rate.digits);
    w.num(r.rate.scale);
    w.num(r.at_unix_ms);
  }
  void operator()(const ledger::topup_record& r) {
    w.header(topup_tag, topup_fields_count);
    w.str(r.partner);
    w.str(r.id);
    w.num(r.amount);
    w.num(r.at_unix_ms);
  }
  void operator()(const ledger::suspension_record& r) {
    w.header(suspension_tag, suspension_fields_count);
    w.str(r.partner);
    w.flag(r.suspended);
  }
  void operator()(const ledger::close_record& r) {
    const auto& st = r.stated;
    w.header(close_tag, close_fields_count);
    write_terms(w, st.terms);
    w.array(st.currencies.size());
    for (const auto& c : st.currencies)
      write_currency(w, c);
    w.array(st.lines.size());
    for (const auto& l : st.lines) {
      w.array(line_fields_count);
      w.str(l.partner);
      w.num(l.ggr_settlement);
    }
    w.num(st.ggr_settlement);
    w.num(st.share);
    w.num(st.net_payable);
    w.num(st.carried_forward);
    w.num(st.txn_count);
    w.str(st.checksum);
    w.str(st.payable_to);
  }
};

// -- reading ------------------------------------------------------------------------------

/// The fields of one msgpack array, read in order, each by name; every misfit throws
/// std::runtime_error naming the part of the record and the field. Strict: a string is a
/// msgpack str (not bin), an integer must fit its width, a flag is a msgpack boolean.
class fields {
public:
  fields(const msgpack::object& o, std::string what) : what_(std::move(what)) {
    if (o.type != msgpack::type::ARRAY)
      bad_whole("not an array");
    p_ = o.via.array.ptr;
    n_ = o.via.array.size;
  }
  void rename(std::string what) { what_ = std::move(what); }

  std::string str(const char* name) {
    const auto& o = next(name);
    if (o.type != msgpack::type::STR)
      bad("not a string");
    return {o.via.str.ptr, o.via.str.size};
  }
  std::optional<std::string> opt_str(const char* name) {
    if (peek_nil(name))
      return std::nullopt;
    return str(name);
  }
  int64_t i64(const char* name) {
    const auto& o = next(name);
    if (o.type == msgpack::type::NEGATIVE_INTEGER)
      return o.via.i64;
    if (o.type != msgpack::type::POSITIVE_INTEGER)
      bad("not an integer");
    if (o.via.u64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      bad("does not fit in 64 signed bits");
    return static_cast<int64_t>(o.via.u64);
  }
  std::optional<int64_t> opt_i64(const char* name) {
    if (peek_nil(name))
      return std::nullopt;
    return i64(name);
  }
  template <class U>
  U uint(const char* name) {
    const auto& o = next(name);
    if (o.type != msgpack::type::POSITIVE_INTEGER)
      bad("not an unsigned integer");
    if (o.via.u64 > std::numeric_limits<U>::max())
      bad("does not fit in " + std::to_string(8 * sizeof(U)) + " bits");
    return static_cast<U>(o.via.u64);
  }
  bool flag(const char* name) {
    const auto& o = next(name);
    if (o.type != msgpack::type::BOOLEAN)
      bad("not a boolean");
    return o.via.boolean;
  }
  ledger::currency_code currency(const char* name) {
    auto text = str(name);
    auto c = ledger::pack_currency(text);
    if (c == 0)
      bad("bad currency '" + text.substr(0, 16) + "' (not 3 uppercase letters)");
    return c;
  }
  std::span<const msgpack::object> array(const char* name) {
    const auto& o = next(name);
    if (o.type != msgpack::type::ARRAY)
      bad("not an array");
    return {o.via.array.ptr, o.via.array.size};
  }
  /// After the last field: refuses fields left over.
  void done() const {
    if (i_ != n_)
      bad_whole(std::to_string(n_) + " fields, " + std::to_string(n_ - i_) + " more than " +
                "format " + std::to_string(record_format) + " has");
  }
  /// Refuses the field read last, for a value its type cannot say is wrong.
  [[noreturn]] void bad(const std::string& why) const {
    throw std::runtime_error("settlement record: " + what_ + ", field " + std::to_string(i_) +
                             " (" + name_ + "): " + why);
  }

private:
  const msgpack::object& next(const char* name) {
    name_ = name;
    if (i_ >= n_)
      bad_whole(std::to_string(n_) + " fields, too few (no " + name + ")");
    return p_[i_++];
  }
  bool peek_nil(const char* name) {
    if (i_ < n_ && p_[i_].is_nil()) {
      next(name);
      return true;
    }
    return false;
  }
  [[noreturn]] void bad_whole(const std::string& why) const {
    throw std::runtime_error("settlement record: " + what_ + ": " + why);
  }

  std::string what_;
  const char* name_ = "";
  const msgpack::object* p_ = nullptr;
  uint32_t n_ = 0, i_ = 0;
};

ledger::contract_record read_contract(fields& f) {
  ledger::contract_record r;
  r.revision = f.uint<uint32_t>("revision");
  r.at_unix_ms = f.i64("at_unix_ms");
  auto& c = r.fields;
  c.partner = f.str("partner");
  c.kind = f.str("kind");
  c.currency = f.str("currency");
  c.cycle = f.str("cycle");
  c.tz = f.opt_str("tz");
  c.cutoff = f.opt_str("cutoff");
  c.weekday = f.opt_str("weekday");
  c.day = f.opt_str("day");
  c.via = f.opt_str("via");
  c.share_bps = f.opt_i64("share_bps");
  c.credit_alert = f.opt_i64("credit_alert");
  c.max_tps = f.opt_i64("max_tps");
  return r;
}

ledger::fx_record read_fx(fields& f) {
  ledger::fx_record r;
  r.base = f.currency("base");
  r.quote = f.currency("quote");
  r.rate.digits = f.uint<uint64_t>("digits");
  r.rate.scale = f.uint<uint8_t>("scale");
  if (auto why = decimal_problem(r.rate); !why.empty())
    f.bad(why);
  r.at_unix_ms = f.i64("at_unix_ms");
  return r;
}

ledger::topup_record read_topup(fields& f) {
  ledger::topup_record r;
  r.partner = f.str("partner");
  r.id = f.str("id");
  r.amount = f.i64("amount");
  r.at_unix_ms = f.i64("at_unix_ms");
  return r;
}

ledger::suspension_record read_suspension(fields& f) {
  ledger::suspension_record r;
  r.partner = f.str("partner");
  r.suspended = f.flag("suspended");
  return r;
}

ledger::statement_terms read_terms(fields& f) {
  ledger::statement_terms t;
  t.partner = f.str("partner");
  t.period = f.uint<uint64_t>("period");
  t.from_unix_ms = f.i64("from_unix_ms");
  t.to_unix_ms = f.i64("to_unix_ms");
  t.revision = f.uint<uint32_t>("revision");
  t.settlement_currency = f.currency("settlement_currency");
  t.share_bps = f.uint<uint32_t>("share_bps");
  t.via = f.str("via");
  t.carried_in = f.i64("carried_in");
  return t;
}

ledger::statement_currency read_currency(const msgpack::object& o, size_t index) {
  fields f{o, "close record, currency " + std::to_string(index)};
  ledger::statement_currency c;
  c.totals.currency = f.currency("currency");
  c.totals.bets = f.i64("bets");
  c.totals.wins = f.i64("wins");
  c.totals.rollbacks = f.i64("rollbacks");
  c.totals.bet_count = f.uint<uint64_t>("bet_count");
  c.totals.win_count = f.uint<uint64_t>("win_count");
  c.totals.rollback_count = f.uint<uint64_t>("rollback_count");
  c.ggr = f.i64("ggr");
  c.rate.rate.numerator = f.uint<uint64_t>("rate_numerator");
  c.rate.rate.denominator = f.uint<uint64_t>("rate_denominator");
  if (auto why = rate_problem(c.rate.rate); !why.empty())
    f.bad(why);
  c.rate.set_at_unix_ms = f.i64("rate_set_at_unix_ms");
  c.rate.inverted = f.flag("rate_inverted");
  c.ggr_settlement = f.i64("ggr_settlement");
  f.done();
  return c;
}

ledger::statement_line read_line(const msgpack::object& o, size_t index) {
  fields f{o, "close record, line " + std::to_string(index)};
  ledger::statement_line l;
  l.partner = f.str("partner");
  l.ggr_settlement = f.i64("ggr_settlement");
  f.done();
  return l;
}

ledger::close_record read_close(fields& f) {
  ledger::close_record r;
  auto& st = r.stated;
  st.terms = read_terms(f);
  for (const auto& o : f.array("currencies"))
    st.currencies.push_back(read_currency(o, st.currencies.size()));
  for (const auto& o : f.array("lines"))
    st.lines.push_back(read_line(o, st.lines.size()));
  st.ggr_settlement = f.i64("ggr_settlement");
  st.share = f.i64("share");
  st.net_payable = f.i64("net_payable");
  st.carried_forward = f.i64("carried_forward");
  st.txn_count = f.uint<uint64_t>("txn_count");
  st.checksum = f.str("checksum");
  st.payable_to = f.str("payable_to");
  return r;
}

ledger::settlement_record read_record(fields& f) {
  const auto format = f.uint<uint32_t>("format");
  if (format != record_format)
    f.bad("unknown format " + std::to_string(format) + " (this engine reads format " +
          std::to_string(record_format) + ")");
  switch (const auto t = f.uint<uint8_t>("tag"); t) {
    case contract_tag: f.rename("contract record"); return read_contract(f);
    case fx_tag: f.rename("fx record"); return read_fx(f);
    case topup_tag: f.rename("topup record"); return read_topup(f);
    case suspension_tag: f.rename("suspension record"); return read_suspension(f);
    case close_tag: f.rename("close record"); return read_close(f);
    default: f.bad("unknown tag " + std::to_string(t));
  }
}

/// One msgpack object filling `bytes` exactly.
void unpack_record(msgpack::object_handle& h, std::string_view bytes) {
  if (bytes.empty())
    throw std::runtime_error("settlement record: truncated (no bytes)");
  // Limits from the input itself: no container can have more elements than there are bytes
  // (a map: pairs than half of them), so a damaged header cannot ask for a huge allocation.
  const size_t n = bytes.size();
  const msgpack::unpack_limit limit{n, n / 2, n, n, n, max_depth};
  size_t offset = 0;
  try {
    msgpack::unpack(h, bytes.data(), n, offset, nullptr, nullptr, limit);
  } catch (const msgpack::insufficient_bytes&) {
    throw std::runtime_error("settlement record: truncated (" + std::to_string(n) +
                             " bytes end inside it)");
  } catch (const msgpack::depth_size_overflow&) {
    throw std::runtime_error("settlement record: nested deeper than any record");
  } catch (const msgpack::size_overflow& e) {
    // A container declaring more elements than there are bytes: cut short, or a damaged size.
    throw std::runtime_error("settlement record: truncated or damaged (a size larger than its " +
                             std::to_string(n) + " bytes: " + e.what() + ")");
  } catch (const msgpack::unpack_error& e) {
    throw std::runtime_error(std::string{"settlement record: not msgpack ("} + e.what() + ")");
  }
  if (offset != n)
    throw std::runtime_error("settlement record: " + std::to_string(n - offset) +
                             " bytes after it");
}

}  // namespace

std::string encode_settlement_record(const ledger::settlement_record& r) {
  std::string out;
  writer w{out};
  std::visit(encoder{w}, r);
  return out;
}

ledger::settlement_record decode_settlement_record(std::string_view bytes) {
  msgpack::object_handle h;
  unpack_record(h, bytes);
  fields f{h.get(), "the record"};
  auto r = read_record(f);
  f.done();
  return r;
}

}  // namespace settle::persistence
