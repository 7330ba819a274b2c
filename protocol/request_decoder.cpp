// decode_request: one pass over the frame body that keeps, per known key, where its value is;
// then the field rules, in the documented order, over those values. Nothing is allocated unless
// a problem is reported. The settlement ops' fields are not among the known keys: their body
// goes to settlement_decoder.cpp after op and rid, so the hot ops' pass stays as it was.
#include "protocol/codec.hpp"

#include <array>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "protocol/msgpack_reader.hpp"
#include "protocol/settlement_codec.hpp"

namespace settle::protocol {

/// Client-supplied text quoted for an error message: at most 32 bytes, printable ASCII only,
/// so that an answer never echoes megabytes or invalid UTF-8 back.
std::string detail::shown(std::string_view s) {
  constexpr size_t max_shown = 32;
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < max_shown; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  if (s.size() > max_shown)
    out += "...";
  out += '\'';
  return out;
}

namespace {

using detail::mp_item;
using detail::mp_reader;
using detail::mp_type;
using detail::shown;

constexpr size_t max_id_bytes = 64;      // account, partner, txn id, ref, round, game
constexpr size_t max_token_bytes = 256;  // hello token

// -- the pass over the body ---------------------------------------------------------------------

/// The request keys the decoder reads; every other key is skipped.
enum class key : uint8_t {
  op, rid, token, account, currency, partner, id, kind, amount, round, game, ref, to,
  accounts, partners, all, subscription, limit, before, before_version, alerts,
  unknown,
};
constexpr size_t known_keys = static_cast<size_t>(key::unknown);
constexpr std::array<std::string_view, known_keys> key_names{
    "op", "rid", "token", "account", "currency", "partner", "id",
    "kind", "amount", "round", "game", "ref", "to",
    "accounts", "partners", "all", "subscription", "limit", "before", "before_version",
    "alerts"};
constexpr size_t max_list_items = 10'000;  // ids in one subscribe list

/// `k` (whose length the caller matched) equals the literal.
template <size_t N>
bool is(std::string_view k, const char (&literal)[N]) {
  return std::memcmp(k.data(), literal, N - 1) == 0;
}

/// Which known key `k` is: a switch on the length, then at most three comparisons.
key key_of(std::string_view k) {
  switch (k.size()) {
    case 2: return is(k, "op") ? key::op : is(k, "id") ? key::id : is(k, "to") ? key::to
                                                                                : key::unknown;
    case 3: return is(k, "rid") ? key::rid : is(k, "ref") ? key::ref : is(k, "all") ? key::all
                                                                                    : key::unknown;
    case 4: return is(k, "kind") ? key::kind : is(k, "game") ? key::game : key::unknown;
    case 5: return is(k, "token") ? key::token : is(k, "round") ? key::round
                   : is(k, "limit") ? key::limit : key::unknown;
    case 6: return is(k, "amount") ? key::amount : is(k, "before") ? key::before
                   : is(k, "alerts") ? key::alerts : key::unknown;
    case 7: return is(k, "account") ? key::account : is(k, "partner") ? key::partner
                                                                       : key::unknown;
    case 8: return is(k, "currency") ? key::currency : is(k, "accounts") ? key::accounts
                   : is(k, "partners") ? key::partners : key::unknown;
    case 12: return is(k, "subscription") ? key::subscription : key::unknown;
    case 14: return is(k, "before_version") ? key::before_version : key::unknown;
    default: return key::unknown;
  }
}

/// What the pass keeps of a request map: per known key its value's type (nil when absent: nil
/// counts as absent), number and bytes. Split in arrays so that only the types need
/// initializing, and each part is stored and loaded with its own width.
struct scanned {
  std::array<mp_type, known_keys> type;
  std::array<uint64_t, known_keys> u64;
  std::array<const char*, known_keys> data;
  std::array<const char*, known_keys> end;  // arrays: where the value ends
  bool non_string_key = false;
  mp_type first_non_string_key = mp_type::nil;

  scanned() { type.fill(mp_type::nil); }

  /// `start` and `stop` bound the value's bytes (kept for arrays, whose items are read later).
  void set(key k, const mp_item& v, const char* start, const char* stop) {
    const auto i = static_cast<size_t>(k);
    type[i] = v.type;
    u64[i] = v.type == mp_type::boolean ? uint64_t{v.boolean} : v.u64;
    data[i] = v.type == mp_type::array ? start : v.data;
    end[i] = stop;
  }

  /// The bytes of an array value.
  std::string_view raw(key k) const {
    const auto i = static_cast<size_t>(k);
    return {data[i], static_cast<size_t>(end[i] - data[i])};
  }

  mp_item value(key k) const {
    const auto i = static_cast<size_t>(k);
    mp_item v;
    v.type = type[i];
    if (v.type != mp_type::nil) {
      v.u64 = u64[i];
      v.data = data[i];
      v.boolean = v.type == mp_type::boolean && u64[i] != 0;
    }
    return v;
  }
};

/// Walks the body once. False with `why` set when it is not exactly one msgpack map; the
/// malformed checks come first, as the whole body was unpacked before any field was read.
bool scan(std::string_view body, scanned& s, std::string& why) {
  mp_reader rd{body};
  mp_item top;
  bool ok = rd.next(top);
  if (ok && top.type == mp_type::map) {
    mp_item k, v;
    for (uint64_t i = 0; ok && i < top.u64; ++i) {
      ok = rd.next_value(k);
      const char* start = rd.position();
      ok = ok && rd.next_value(v);
      if (!ok)
        break;
      if (k.type == mp_type::str) {
        const key found = key_of(k.str());
        if (found != key::unknown)
          s.set(found, v, start, rd.position());  // the last of duplicate keys wins
      } else if (!s.non_string_key) {
        s.non_string_key = true;
        s.first_non_string_key = k.type;
      }
    }
  } else if (ok) {
    ok = rd.skip_contents(top);
  }
  if (!ok) {
    why = detail::error_text(rd.error());
    return false;
  }
  if (rd.remaining() != 0) {
    why = std::to_string(rd.remaining()) + " trailing bytes after the msgpack object";
    return false;
  }
  if (top.type != mp_type::map) {
    why = "a request must be a msgpack map, got " + std::string{detail::type_name(top.type)};
    return false;
  }
  return true;
}

/// Resets every field of `v` (keep in step with request_view). Field by field because the
/// compiler turns `v = request_view{}` into `rep stos`, whose start-up costs more than the
/// rest of decoding a small request.
void clear(request_view& v) {
  v.op = op_kind::hello;
  v.rid = 0;
  v.token = {};
  v.account = {};
  v.currency = {};
  v.partner = {};
  v.id = {};
  v.kind = txn_kind::bet;
  v.amount = 0;
  v.has_amount = false;
  v.round = {};
  v.game = {};
  v.ref = {};
  v.to = {};
  v.account_list = {};
  v.partner_list = {};
  v.all = false;
  v.alerts = false;
  v.subscription = 0;
  v.limit = 0;
  v.before_version = 0;
  v.before = {};
}

// -- the field rules ----------------------------------------------------------------------------

/// Checks the scanned fields, recording only the first problem in `error`.
class field_checker {
public:
  field_checker(const scanned& s, std::string& error) : s_(s), error_(error) {}

  /// Makes `message` the reported problem; later failures are not recorded.
  void preset(std::string message) {
    error_ = std::move(message);
    failed_ = true;
  }

  bool failed() const { return failed_; }

  /// Records "field 'key': problem" unless an earlier problem was recorded. Returns false.
  bool fail(key k, std::string_view problem) {
    if (!failed_) {
      failed_ = true;
      error_ = "field '";
      error_ += key_names[static_cast<size_t>(k)];
      error_ += "': ";
      error_ += problem;
    }
    return false;
  }

  bool fail_type(key k, std::string_view expected, const mp_item& got) {
    return fail(k, "expected " + std::string{expected} + ", got " +
                       std::string{detail::type_name(got.type)});
  }

  /// A string field of at most `max_bytes`. Absent (or nil) is an error only when `required`;
  /// a present required string must not be empty. An absent optional field leaves `out` empty.
  bool str(key k, std::string_view& out, bool required, size_t max_bytes) {
    return take_str(
        value(k), out, required, max_bytes, [&](std::string_view p) { return fail(k, p); },
        [&](const mp_item& v) { return fail_type(k, "string", v); });
  }

  bool uint(key k, uint64_t& out) {
    const mp_item v = value(k);
    if (v.type == mp_type::nil)
      return fail(k, "missing");
    if (v.type != mp_type::positive)
      return fail_type(k, "unsigned integer", v);
    out = v.u64;
    return true;
  }

  /// An optional unsigned integer (absent or nil: `out` stays 0).
  bool opt_uint(key k, uint64_t& out) {
    return value(k).type == mp_type::nil || uint(k, out);
  }

  /// A signed integer field in int64 range; `present` tells whether it was given.
  bool int64(key k, int64_t& out, bool required, bool& present) {
    present = false;
    const mp_item v = value(k);
    if (v.type == mp_type::nil)
      return required ? fail(k, "missing") : true;
    if (v.type == mp_type::positive) {
      if (v.u64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return fail(k, "out of range");
      out = v.i64();
    } else if (v.type == mp_type::negative) {
      out = v.i64();
    } else {
      return fail_type(k, "integer", v);
    }
    present = true;
    return true;
  }

  /// An account id; an absent optional one stays empty. A present invalid one is kept in `out`
  /// (the request echoes what was sent).
  bool account(key k, std::string_view& out, bool required) {
    if (!str(k, out, required, max_id_bytes))
      return false;
    if ((required || !out.empty()) && !valid_account_id(out))
      return fail(k, "invalid account id " + shown(out) +
                         ": expected 1..64 bytes of [A-Za-z0-9._:-]");
    return true;
  }

  /// A partner id; an absent optional one stays empty.
  bool partner(key k, std::string_view& out, bool required) {
    if (!str(k, out, required, max_id_bytes))
      return false;
    if ((required || !out.empty()) && !valid_partner_id(out))
      return fail(k, "invalid partner id " + shown(out) +
                         ": expected 1..64 bytes of [A-Za-z0-9._-]");
    return true;
  }

  /// An optional list of ids (account ids, or partner ids when `partners`): a msgpack array of
  /// at most max_list_items valid ids. `raw` is the array's bytes.
  bool list(key k, std::string_view& raw, bool partners) {
    const mp_item v = value(k);
    if (v.type == mp_type::nil)
      return true;
    if (v.type != mp_type::array)
      return fail_type(k, "array", v);
    if (v.u64 > max_list_items)
      return fail(k, "more than " + std::to_string(max_list_items) + " ids");
    const std::string_view got = s_.raw(k);  // kept only when every item is good
    mp_reader rd{got};
    mp_item header, item;
    rd.next(header);  // the array header: already checked by the pass
    for (uint64_t i = 0; i < v.u64; ++i) {
      if (!rd.next_value(item) || item.type != mp_type::str)
        return fail(k, "item " + std::to_string(i) + ": expected string, got " +
                           std::string{detail::type_name(item.type)});
      auto id = item.str();
      if (partners ? !valid_partner_id(id) : !valid_account_id(id))
        return fail(k, "item " + std::to_string(i) + ": invalid " +
                           (partners ? "partner" : "account") + " id " + shown(id) +
                           (partners ? ": expected 1..64 bytes of [A-Za-z0-9._-]"
                                     : ": expected 1..64 bytes of [A-Za-z0-9._:-]"));
    }
    if (v.u64 > 0)
      raw = got;  // an empty list stays empty: it names nothing
    return true;
  }

  /// An optional boolean.
  bool flag(key k, bool& out) {
    const mp_item v = value(k);
    if (v.type == mp_type::nil)
      return true;
    if (v.type != mp_type::boolean)
      return fail_type(k, "boolean", v);
    out = v.boolean;
    return true;
  }

  /// An optional page size: 1..max_page_items (absent: 0, the default).
  bool page_limit(key k, uint32_t& out) {
    uint64_t n = 0;
    if (!opt_uint(k, n))
      return false;
    if (value(k).type != mp_type::nil && (n == 0 || n > max_page_items))
      return fail(k, "expected 1.." + std::to_string(max_page_items) + ", got " +
                         std::to_string(n));
    out = static_cast<uint32_t>(n);
    return true;
  }

  /// An optional Redis stream entry id "<ms>-<seq>" (decimal digits).
  bool entry_id(key k, std::string_view& out) {
    if (!str(k, out, false, max_id_bytes))
      return false;
    const auto dash = out.find('-');
    auto digits = [](std::string_view s) {
      return !s.empty() && s.size() <= 20 &&
             s.find_first_not_of("0123456789") == std::string_view::npos;
    };
    if (!out.empty() && (dash == std::string_view::npos || !digits(out.substr(0, dash)) ||
                         !digits(out.substr(dash + 1))))
      return fail(k, "invalid entry id " + shown(out) + ": expected <ms>-<seq>");
    return true;
  }

  bool currency(key k, std::string_view& out) {
    if (!str(k, out, true, max_id_bytes))
      return false;
    if (!valid_currency(out))
      return fail(k, "invalid currency " + shown(out) + ": expected 3 uppercase letters");
    return true;
  }

private:
  mp_item value(key k) const { return s_.value(k); }

  const scanned& s_;
  std::string& error_;
  bool failed_ = false;
};

/// The txn fields, in the order their problems are reported.
bool decode_txn(field_checker& f, request_view& r) {
  std::string_view kind;
  if (!f.str(key::kind, kind, true, max_id_bytes))
    return false;
  if (!parse(kind, r.kind))
    return f.fail(key::kind, "unknown kind " + shown(kind));
  const bool rollback = r.kind == txn_kind::rollback;
  const bool with_partner =
      r.kind == txn_kind::bet || r.kind == txn_kind::win || r.kind == txn_kind::rollback;
  return f.str(key::id, r.id, true, max_id_bytes) && f.account(key::account, r.account, true) &&
         f.currency(key::currency, r.currency) &&
         f.int64(key::amount, r.amount, !rollback, r.has_amount) &&
         f.partner(key::partner, r.partner, with_partner) &&
         f.str(key::round, r.round, false, max_id_bytes) &&
         f.str(key::game, r.game, false, max_id_bytes) &&
         f.str(key::ref, r.ref, rollback, max_id_bytes) &&
         f.account(key::to, r.to, r.kind == txn_kind::transfer);
}

/// A settlement op: its fields are checked by their own pass over the body (settlement
/// decoder), so the hot ops' pass above knows none of their keys.
void decode_settlement(std::string_view body, request_view& out, field_checker& f) {
  out.settlement_body = {};
  std::string problem;
  if (detail::check_settlement_request(body, out.op, out, problem))
    out.settlement_body = body;
  else
    f.preset(std::move(problem));
}

/// The fields of op `out.op` (op and rid were good), in the order their problems are reported.
/// Called once: the compiler inlines it into decode_request.
void decode_fields(std::string_view body, request_view& out, field_checker& f) {
  switch (out.op) {
    case op_kind::hello:
      f.str(key::token, out.token, true, max_token_bytes);
      break;
    case op_kind::open:
      f.account(key::account, out.account, true) && f.currency(key::currency, out.currency);
      break;
    case op_kind::txn:
      decode_txn(f, out);
      break;
    case op_kind::balance:
    case op_kind::block:
    case op_kind::unblock:
      f.account(key::account, out.account, true);
      break;
    case op_kind::partner:
      f.partner(key::partner, out.partner, true);
      break;
    case op_kind::snapshot:
      break;
    case op_kind::subscribe:
      if (f.list(key::accounts, out.account_list, false) &&
          f.list(key::partners, out.partner_list, true) && f.flag(key::all, out.all) &&
          f.flag(key::alerts, out.alerts) && out.account_list.empty() &&
          out.partner_list.empty() && !out.all && !out.alerts)
        f.fail(key::all, "subscribe needs accounts, partners, all: true or alerts: true");
      break;
    case op_kind::unsubscribe:
      f.uint(key::subscription, out.subscription);
      break;
    case op_kind::contract_set:
    case op_kind::contract:
    case op_kind::period_close:
    case op_kind::statements:
    case op_kind::statement:
    case op_kind::fx_set:
    case op_kind::fx:
    case op_kind::topup:
    case op_kind::suspend:
    case op_kind::resume:
    case op_kind::reconcile:
      decode_settlement(body, out, f);
      break;
    case op_kind::history:
      f.account(key::account, out.account, true) && f.page_limit(key::limit, out.limit) &&
          f.opt_uint(key::before_version, out.before_version) &&
          f.partner(key::partner, out.partner, false);
      break;
    case op_kind::audit:
      f.page_limit(key::limit, out.limit) && f.entry_id(key::before, out.before);
      break;
  }
}

}  // namespace

decode_status decode_request(std::string_view body, request_view& out,
                             std::string& error_message) {
  clear(out);
  error_message.clear();
  scanned s;
  if (!scan(body, s, error_message))
    return decode_status::malformed;
  field_checker f{s, error_message};

  // A map with non-string keys is a valid msgpack map: answer bad_request (echoing op and rid
  // when they are readable) rather than closing the connection.
  if (s.non_string_key)
    f.preset("map keys must be strings, got a key of type " +
             std::string{detail::type_name(s.first_non_string_key)});

  // op and rid first: the error response to any later problem echoes them.
  std::string_view op;
  bool op_ok = f.str(key::op, op, true, max_id_bytes);
  if (op_ok && !parse(op, out.op))
    op_ok = f.fail(key::op, "unknown op " + shown(op));
  const bool rid_ok = f.uint(key::rid, out.rid);
  if (s.non_string_key) {
    out.settlement_body = {};  // clear() leaves it: only settlement ops read it
    return decode_status::bad_request;
  }
  if (!op_ok || !rid_ok) {
    out.settlement_body = {};
  } else {
    decode_fields(body, out, f);
  }
  return f.failed() ? decode_status::bad_request : decode_status::ok;
}

std::vector<std::string_view> list_items(std::string_view list) {
  std::vector<std::string_view> out;
  mp_reader rd{list};
  mp_item header, item;
  if (!rd.next(header) || header.type != mp_type::array)
    return out;
  out.reserve(static_cast<size_t>(header.u64));
  for (uint64_t i = 0; i < header.u64 && rd.next_value(item); ++i)
    if (item.type == mp_type::str)
      out.push_back(item.str());
  return out;
}

decode_status decode_request(std::string_view body, request& out, std::string& error_message) {
  request_view view;
  const decode_status st = decode_request(body, view, error_message);
  assign(out, view);  // on failure too: the fields read before the problem, as always
  return st;
}

}  // namespace settle::protocol
