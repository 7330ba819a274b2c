// The settlement ops of the reference codec: the rules of docs/protocol.md "Settlement ops"
// written out plainly over msgpack-c objects (a linear lookup per field, owned strings, no
// shared code with protocol/settlement_*). Not used outside tests.
#include "reference_settlement.hpp"

#include <limits>
#include <memory>
#include <optional>
#include <type_traits>
#include <vector>

namespace settle::protocol::reference {

namespace {

std::string echoed(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < 32; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  return out + (s.size() > 32 ? "...'" : "'");
}

std::string kind_of(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: return "nil";
    case msgpack::type::BOOLEAN: return "boolean";
    case msgpack::type::POSITIVE_INTEGER:
    case msgpack::type::NEGATIVE_INTEGER: return "integer";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return "float";
    case msgpack::type::STR: return "string";
    case msgpack::type::BIN: return "binary";
    case msgpack::type::ARRAY: return "array";
    case msgpack::type::MAP: return "map";
    case msgpack::type::EXT: return "extension";
  }
  return "unknown type";
}

std::string text_of(const msgpack::object& o) { return {o.via.str.ptr, o.via.str.size}; }

bool partner_ok(const std::string& s) {
  if (s.empty() || s.size() > 64)
    return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          c == '.' || c == '_' || c == '-'))
      return false;
  return true;
}

bool currency_ok(const std::string& s) {
  if (s.size() != 3)
    return false;
  for (char c : s)
    if (c < 'A' || c > 'Z')
      return false;
  return true;
}

/// The fields of one map, each rule recording the first problem ("" while none).
class rules {
public:
  rules(const msgpack::object_map& map, std::string prefix = {})
      : map_(map), prefix_(std::move(prefix)) {}

  /// The last value of `key` (a nil one counts as absent); nullptr if none.
  const msgpack::object* get(const std::string& key) const {
    const msgpack::object* found = nullptr;
    for (uint32_t i = 0; i < map_.size; ++i)
      if (map_.ptr[i].key.type == msgpack::type::STR && text_of(map_.ptr[i].key) == key)
        found = &map_.ptr[i].val;
    return found != nullptr && found->type == msgpack::type::NIL ? nullptr : found;
  }

  bool bad(const std::string& key, const std::string& problem) {
    if (problem_.empty())
      problem_ = prefix_ + "field '" + key + "': " + problem;
    return false;
  }
  bool wrong_type(const std::string& key, const std::string& expected, const msgpack::object& o) {
    return bad(key, "expected " + expected + ", got " + kind_of(o));
  }

  bool text(const std::string& key, std::string& out, bool required, size_t max) {
    const auto* o = get(key);
    if (o == nullptr)
      return required ? bad(key, "missing") : true;
    if (o->type != msgpack::type::STR)
      return wrong_type(key, "string", *o);
    if (required && o->via.str.size == 0)
      return bad(key, "must not be empty");
    if (o->via.str.size > max)
      return bad(key, "longer than " + std::to_string(max) + " bytes");
    out = text_of(*o);
    return true;
  }

  bool partner(const std::string& key, std::string& out, bool required) {
    if (!text(key, out, required, 64))
      return false;
    if (!out.empty() || required)
      if (!partner_ok(out))
        return bad(key, "invalid partner id " + echoed(out) +
                            ": expected 1..64 bytes of [A-Za-z0-9._-]");
    return true;
  }

  bool currency(const std::string& key, std::string& out) {
    if (!text(key, out, true, 64))
      return false;
    if (!currency_ok(out))
      return bad(key, "invalid currency " + echoed(out) + ": expected 3 uppercase letters");
    return true;
  }

  bool signed_int(const std::string& key, std::optional<int64_t>& out, bool required) {
    const auto* o = get(key);
    if (o == nullptr)
      return required ? bad(key, "missing") : true;
    if (o->type == msgpack::type::NEGATIVE_INTEGER) {
      out = o->via.i64;
      return true;
    }
    if (o->type != msgpack::type::POSITIVE_INTEGER)
      return wrong_type(key, "integer", *o);
    if (o->via.u64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return bad(key, "out of range");
    out = static_cast<int64_t>(o->via.u64);
    return true;
  }

  bool unsigned_int(const std::string& key, std::optional<uint64_t>& out, bool required) {
    const auto* o = get(key);
    if (o == nullptr)
      return required ? bad(key, "missing") : true;
    if (o->type != msgpack::type::POSITIVE_INTEGER)
      return wrong_type(key, "unsigned integer", *o);
    out = o->via.u64;
    return true;
  }

  bool boolean(const std::string& key, std::optional<bool>& out) {
    const auto* o = get(key);
    if (o == nullptr)
      return true;
    if (o->type != msgpack::type::BOOLEAN)
      return wrong_type(key, "boolean", *o);
    out = o->via.boolean;
    return true;
  }

  const std::string& problem() const { return problem_; }

private:
  const msgpack::object_map& map_;
  std::string prefix_;
  std::string problem_;
};

bool contract_fields(rules& f, contract_terms& c) {
  std::optional<int64_t> share, alert, tps;
  if (!(f.text("kind", c.kind, true, 16) && f.currency("currency", c.currency) &&
        f.text("cycle", c.cycle, true, 16) && f.text("tz", c.tz, false, 64) &&
        f.text("cutoff", c.cutoff, false, 5) && f.text("weekday", c.weekday, false, 16)))
    return false;
  if (const auto* day = f.get("day")) {
    if (day->type == msgpack::type::POSITIVE_INTEGER ||
        day->type == msgpack::type::NEGATIVE_INTEGER) {
      std::optional<int64_t> n;
      if (!f.signed_int("day", n, true))
        return false;
      c.day = std::to_string(*n);
    } else if (day->type != msgpack::type::STR) {
      return f.wrong_type("day", "integer or string", *day);
    } else if (!f.text("day", c.day, false, 16)) {
      return false;
    }
  }
  if (!(f.signed_int("share_bps", share, true) && f.partner("via", c.via, false) &&
        f.signed_int("credit_alert", alert, false) && f.signed_int("max_tps", tps, false)))
    return false;
  c.share_bps = *share;
  c.credit_alert = alert;
  c.max_tps = tps;
  return true;
}

/// Row i of `rows`; "" or its problem.
std::string row_of(const msgpack::object& o, size_t i, reconcile_row& row) {
  const std::string prefix = "field 'rows': item " + std::to_string(i) + ": ";
  if (o.type != msgpack::type::MAP)
    return prefix + "expected map, got " + kind_of(o);
  for (uint32_t j = 0; j < o.via.map.size; ++j)
    if (o.via.map.ptr[j].key.type != msgpack::type::STR)
      return prefix + "map keys must be strings";
  rules f{o.via.map, prefix};
  std::string kind;
  std::optional<int64_t> amount;
  if (f.text("id", row.id, true, 64) && f.text("kind", kind, true, 16)) {
    if (kind == "bet")
      row.kind = txn_kind::bet;
    else if (kind == "win")
      row.kind = txn_kind::win;
    else if (kind == "rollback")
      row.kind = txn_kind::rollback;
    else
      f.bad("kind", "invalid kind " + echoed(kind) + ": expected bet, win or rollback");
    if (f.problem().empty() && f.signed_int("amount", amount, true) &&
        f.currency("currency", row.currency))
      row.amount = *amount;
  }
  return f.problem();
}

std::string rows_of(rules& f, std::vector<reconcile_row>& out) {
  const auto* rows = f.get("rows");
  if (rows == nullptr)
    return f.bad("rows", "missing"), f.problem();
  if (rows->type != msgpack::type::ARRAY)
    return f.wrong_type("rows", "array", *rows), f.problem();
  if (rows->via.array.size > 10000)
    return f.bad("rows", "more than 10000 rows"), f.problem();
  for (uint32_t i = 0; i < rows->via.array.size; ++i) {
    reconcile_row row;
    if (auto problem = row_of(rows->via.array.ptr[i], i, row); !problem.empty())
      return problem;
    out.push_back(std::move(row));
  }
  return {};
}

/// reconcile's fields after partner; "" or the problem.
std::string reconcile_fields(rules& f, settlement_request& s) {
  std::optional<uint64_t> period;
  std::optional<bool> final;
  if (!f.unsigned_int("period", period, true) ||
      !f.text("reconcile_id", s.reconcile_id, false, 64) || !f.boolean("final", final))
    return f.problem();
  s.period = *period;
  if (s.reconcile_id.empty() && final == false)
    return f.bad("final", "false needs a reconcile_id (a report sent in chunks)"), f.problem();
  s.final = s.reconcile_id.empty() ? true : final.value_or(false);
  return rows_of(f, s.rows);
}

/// The fields of `op` after partner (or all of fx_set's and fx's); "" or the problem.
std::string op_fields(rules& f, op_kind op, request& out, settlement_request& s) {
  std::optional<uint64_t> u;
  std::optional<int64_t> amount;
  switch (op) {
    case op_kind::contract_set: contract_fields(f, s.contract); break;
    case op_kind::statements:
      if (f.unsigned_int("limit", u, false) && u && (*u == 0 || *u > 1000))
        f.bad("limit", "expected 1..1000, got " + std::to_string(*u));
      s.limit = static_cast<uint32_t>(u.value_or(0));
      break;
    case op_kind::statement:
      if (f.unsigned_int("period", u, true))
        s.period = *u;
      break;
    case op_kind::fx_set:
    case op_kind::fx:
      if (f.currency("base", s.base) && f.currency("quote", s.quote) && op == op_kind::fx_set)
        f.text("rate", s.rate, true, 64);
      break;
    case op_kind::topup:
      if (!f.signed_int("amount", amount, true))
        break;
      out.amount = *amount;
      out.has_amount = true;
      if (f.currency("currency", out.currency))
        f.text("id", out.id, true, 64);
      break;
    case op_kind::reconcile: return reconcile_fields(f, s);
    default: break;
  }
  return f.problem();
}

// -- answers --------------------------------------------------------------------------------

bool str_of(const msgpack::object& o, std::string& out) {
  if (o.type != msgpack::type::STR)
    return false;
  out = text_of(o);
  return true;
}

bool int_of(const msgpack::object& o, int64_t& out) {
  if (o.type == msgpack::type::NEGATIVE_INTEGER) {
    out = o.via.i64;
    return true;
  }
  if (o.type != msgpack::type::POSITIVE_INTEGER ||
      o.via.u64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return false;
  out = static_cast<int64_t>(o.via.u64);
  return true;
}

bool uint_of(const msgpack::object& o, uint64_t& out) {
  if (o.type != msgpack::type::POSITIVE_INTEGER)
    return false;
  out = o.via.u64;
  return true;
}

bool opt_int_of(const msgpack::object& o, std::optional<int64_t>& out) {
  int64_t v = 0;
  if (!int_of(o, v))
    return false;
  out = v;
  return true;
}

/// A map's pairs through `f(name, value)`: false for a non-map, a non-string key or a bad value.
template <class F>
bool each_pair(const msgpack::object& o, F&& f) {
  if (o.type != msgpack::type::MAP)
    return false;
  for (uint32_t i = 0; i < o.via.map.size; ++i) {
    const auto& kv = o.via.map.ptr[i];
    if (kv.key.type != msgpack::type::STR || !f(text_of(kv.key), kv.val))
      return false;
  }
  return true;
}

/// An array's elements through `f(element)`.
template <class F>
bool each_item(const msgpack::object& o, F&& f) {
  if (o.type != msgpack::type::ARRAY)
    return false;
  for (uint32_t i = 0; i < o.via.array.size; ++i)
    if (!f(o.via.array.ptr[i]))
      return false;
  return true;
}

/// In priority order: the op the first of these keys an answer has implies.
const std::vector<std::pair<std::string, op_kind>>& op_keys() {
  static const std::vector<std::pair<std::string, op_kind>> keys{
      {"statements", op_kind::statements}, {"checksum", op_kind::statement},
      {"matched", op_kind::reconcile},     {"rows_received", op_kind::reconcile},
      {"reconcile_id", op_kind::reconcile}, {"cycle", op_kind::contract},
      {"suspended", op_kind::suspend},     {"base", op_kind::fx},
      {"revision", op_kind::contract_set}, {"period", op_kind::period_close},
      {"credit_remaining", op_kind::topup}};
  return keys;
}

/// A statement's totals entry, or (without fx_rate and ggr_settlement) a contract's live one.
template <class Totals>
bool totals_value(const msgpack::object& e, Totals& t) {
  return each_pair(e, [&](const std::string& n, const msgpack::object& v) {
    if (n == "currency") return str_of(v, t.currency);
    if constexpr (std::is_same_v<Totals, statement_totals>) {
      if (n == "fx_rate") return str_of(v, t.fx_rate);
      if (n == "ggr_settlement") return int_of(v, t.ggr_settlement);
    }
    if (n == "bets") return int_of(v, t.bets);
    if (n == "wins") return int_of(v, t.wins);
    if (n == "rollbacks") return int_of(v, t.rollbacks);
    if (n == "ggr") return int_of(v, t.ggr);
    if (n == "bet_count") return uint_of(v, t.bet_count);
    if (n == "win_count") return uint_of(v, t.win_count);
    if (n == "rollback_count") return uint_of(v, t.rollback_count);
    return true;
  });
}

bool contract_value(const std::string& n, const msgpack::object& v, settlement_answer& a) {
  auto& c = a.contract;
  int64_t day = 0;
  if (n == "revision") return uint_of(v, a.revision);
  if (n == "kind") return str_of(v, c.kind);
  if (n == "currency") return str_of(v, c.currency);
  if (n == "cycle") return str_of(v, c.cycle);
  if (n == "tz") return str_of(v, c.tz);
  if (n == "cutoff") return str_of(v, c.cutoff);
  if (n == "weekday") return str_of(v, c.weekday);
  if (n == "day") return int_of(v, day) ? (c.day = std::to_string(day), true) : str_of(v, c.day);
  if (n == "share_bps") return int_of(v, c.share_bps);
  if (n == "via") return str_of(v, c.via);
  if (n == "credit_alert") return opt_int_of(v, c.credit_alert);
  if (n == "max_tps") return opt_int_of(v, c.max_tps);
  if (n == "credit_remaining") return a.has_credit_remaining = int_of(v, a.credit_remaining);
  if (n == "period") return uint_of(v, a.period);
  if (n == "from") return int_of(v, a.from_unix_ms);
  if (n == "suspended")
    return v.type == msgpack::type::BOOLEAN && (a.suspended = v.via.boolean, true);
  if (n == "live_ggr_settlement")
    return a.has_live_share = int_of(v, a.live_ggr_settlement);
  if (n == "live_share") return int_of(v, a.live_share);
  if (n == "live")
    return each_item(v, [&](const msgpack::object& e) {
      return totals_value(e, a.live.emplace_back());
    });
  return true;
}

bool statement_value(const std::string& n, const msgpack::object& v, settlement_answer& a,
                     bool closed_only) {
  auto& s = a.statement;
  if (n == "period") return uint_of(v, a.period);
  if (n == "from") return int_of(v, a.from_unix_ms);
  if (n == "to") return int_of(v, a.to_unix_ms);
  if (closed_only) return true;
  if (n == "revision") return uint_of(v, a.revision);
  if (n == "currency") return str_of(v, a.currency);
  if (n == "share_bps") return int_of(v, s.share_bps);
  for (auto [name, field] : {std::pair{"ggr_settlement", &s.ggr_settlement},
                             std::pair{"share", &s.share}, std::pair{"net_payable", &s.net_payable},
                             std::pair{"carried_in", &s.carried_in},
                             std::pair{"carried_forward", &s.carried_forward}})
    if (n == name) return int_of(v, *field);
  if (n == "txn_count") return uint_of(v, s.txn_count);
  if (n == "checksum") return str_of(v, s.checksum);
  if (n == "payable_to") return str_of(v, s.payable_to);
  if (n == "totals")
    return each_item(v, [&](const msgpack::object& e) {
      return totals_value(e, s.totals.emplace_back());
    });
  if (n == "lines")
    return each_item(v, [&](const msgpack::object& e) {
      auto& l = s.lines.emplace_back();
      return each_pair(e, [&](const std::string& k, const msgpack::object& x) {
        return k == "partner" ? str_of(x, l.partner)
                              : k == "ggr_settlement" ? int_of(x, l.ggr_settlement) : true;
      });
    });
  return true;
}

bool statements_value(const std::string& n, const msgpack::object& v, settlement_answer& a) {
  if (n != "statements")
    return true;
  return each_item(v, [&](const msgpack::object& e) {
    auto& s = a.statements.emplace_back();
    return each_pair(e, [&](const std::string& k, const msgpack::object& x) {
      if (k == "period") return uint_of(x, s.period);
      if (k == "from") return int_of(x, s.from_unix_ms);
      if (k == "to") return int_of(x, s.to_unix_ms);
      if (k == "currency") return str_of(x, s.currency);
      if (k == "net_payable") return int_of(x, s.net_payable);
      return true;
    });
  });
}

bool reconcile_value(const std::string& n, const msgpack::object& v, reconcile_answer& r) {
  for (auto [name, list] : {std::pair{"missing_in_engine", &r.missing_in_engine},
                            std::pair{"missing_in_report", &r.missing_in_report},
                            std::pair{"mismatched", &r.mismatched},
                            std::pair{"duplicate_in_report", &r.duplicate_in_report}})
    if (n == name)
      return each_item(v, [&](const msgpack::object& e) { return str_of(e, list->emplace_back()); });
  for (auto [name, count] : {std::pair{"missing_in_engine_count", &r.missing_in_engine_count},
                             std::pair{"missing_in_report_count", &r.missing_in_report_count},
                             std::pair{"mismatched_count", &r.mismatched_count},
                             std::pair{"duplicate_in_report_count", &r.duplicate_in_report_count},
                             std::pair{"rows_received", &r.rows_received}})
    if (n == name) return uint_of(v, *count);
  if (n == "matched") return r.complete = uint_of(v, r.matched);
  if (n == "reconcile_id") return str_of(v, r.reconcile_id);
  return true;
}

bool answer_value(op_kind op, const std::string& n, const msgpack::object& v, response& out,
                  settlement_answer& a) {
  if (n == "partner") return str_of(v, out.partner);
  switch (op) {
    case op_kind::contract:
    case op_kind::contract_set: return contract_value(n, v, a);
    case op_kind::statement:
    case op_kind::period_close: return statement_value(n, v, a, op == op_kind::period_close);
    case op_kind::statements: return statements_value(n, v, a);
    case op_kind::fx:
      if (n == "base") return str_of(v, a.fx.base);
      if (n == "quote") return str_of(v, a.fx.quote);
      if (n == "rate") return str_of(v, a.fx.rate);
      return n != "at" || int_of(v, a.fx.at_unix_ms);
    case op_kind::topup:
      if (n == "credit_remaining") return a.has_credit_remaining = int_of(v, a.credit_remaining);
      return n != "currency" || str_of(v, a.currency);
    case op_kind::suspend:
      if (n != "suspended") return true;
      a.suspended = v.type == msgpack::type::BOOLEAN && v.via.boolean;
      return v.type == msgpack::type::BOOLEAN;
    default: return reconcile_value(n, v, a.reconcile);
  }
}

}  // namespace

bool is_settlement_answer_key(std::string_view key) {
  for (const auto& [name, op] : op_keys())
    if (name == key)
      return true;
  return false;
}

bool decode_settlement_answer(const msgpack::object_map& map, response& out, std::string& why) {
  op_kind op = op_kind::hello;
  size_t best = op_keys().size();
  for (uint32_t i = 0; i < map.size; ++i)
    for (size_t j = 0; j < best; ++j)
      if (text_of(map.ptr[i].key) == op_keys()[j].first)
        best = j;
  op = op_keys()[best].second;
  auto a = std::make_shared<settlement_answer>();
  for (uint32_t i = 0; i < map.size; ++i) {
    const std::string name = text_of(map.ptr[i].key);
    if (!answer_value(op, name, map.ptr[i].val, out, *a)) {
      why = "response field '" + name + "' is malformed";
      return false;
    }
  }
  out.currency.clear();
  out.totals.clear();
  out.kind = account_kind::player;
  out.op = op == op_kind::suspend && !a->suspended ? op_kind::resume : op;
  out.settlement = std::move(a);
  return true;
}

std::string decode_settlement_request(const msgpack::object_map& map, op_kind op, request& out) {
  rules f{map};
  auto s = std::make_shared<settlement_request>();
  std::string problem;
  if (op != op_kind::fx_set && op != op_kind::fx && !f.partner("partner", out.partner, true))
    problem = f.problem();
  else
    problem = op_fields(f, op, out, *s);
  if (problem.empty())
    out.settlement = std::move(s);
  return problem;
}

}  // namespace settle::protocol::reference
