// decode_response's part for the settlement answers (client side, off the hot path). Their keys
// say which op they answer; some keys mean different things in different answers (`currency`
// is the contract's, the statement's or the top-up's; `share_bps` the contract's or the
// statement's), so a first pass over the keys decides the op and a second one reads the fields
// of that op's answer.
#include <algorithm>
#include <iterator>
#include <limits>
#include <string>

#include "protocol/msgpack_reader.hpp"
#include "protocol/settlement_codec.hpp"

namespace settle::protocol::detail {

namespace {

bool get_str(const mp_item& v, std::string& out) {
  if (v.type != mp_type::str)
    return false;
  out.assign(v.data, static_cast<size_t>(v.u64));
  return true;
}

bool get_i64(const mp_item& v, int64_t& out) {
  if (v.type == mp_type::positive &&
      v.u64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return false;
  if (v.type != mp_type::positive && v.type != mp_type::negative)
    return false;
  out = v.i64();
  return true;
}

bool get_u64(const mp_item& v, uint64_t& out) {
  if (v.type != mp_type::positive)
    return false;
  out = v.u64;
  return true;
}

bool get_opt_i64(const mp_item& v, std::optional<int64_t>& out) {
  int64_t x = 0;
  if (!get_i64(v, x))
    return false;
  out = x;
  return true;
}

bool get_bool(const mp_item& v, bool& out) {
  out = v.boolean;
  return v.type == mp_type::boolean;
}

/// One pair of a per-currency totals map (a statement's or a contract's live totals); true
/// for keys it does not have.
bool get_totals_field(std::string_view n, const mp_item& v, currency_totals& t) {
  if (n == "currency") return get_str(v, t.currency);
  if (n == "bets") return get_i64(v, t.bets);
  if (n == "wins") return get_i64(v, t.wins);
  if (n == "rollbacks") return get_i64(v, t.rollbacks);
  if (n == "bet_count") return get_u64(v, t.bet_count);
  if (n == "win_count") return get_u64(v, t.win_count);
  if (n == "rollback_count") return get_u64(v, t.rollback_count);
  if (n == "ggr") return get_i64(v, t.ggr);
  return true;
}

/// A contract's `day`: an integer (kept as its decimal text) or a string.
bool get_day(const mp_item& v, std::string& out) {
  int64_t n = 0;
  if (get_i64(v, n)) {
    out = std::to_string(n);
    return true;
  }
  return get_str(v, out);
}

/// The keys only settlement answers have, and the op each one implies (earlier rows win: a
/// statement also has `period` and `revision`, a contract `revision`, `period`, `suspended`
/// and `credit_remaining`).
struct answer_key {
  std::string_view key;
  op_kind op;
};
constexpr answer_key answer_keys[] = {
    {"statements", op_kind::statements}, {"checksum", op_kind::statement},
    {"matched", op_kind::reconcile},     {"rows_received", op_kind::reconcile},
    {"reconcile_id", op_kind::reconcile}, {"cycle", op_kind::contract},
    {"suspended", op_kind::suspend},     {"base", op_kind::fx},
    {"revision", op_kind::contract_set}, {"period", op_kind::period_close},
    {"credit_remaining", op_kind::topup},
};
constexpr size_t no_key = std::size(answer_keys);

size_t answer_key_rank(std::string_view key) {
  for (size_t i = 0; i < no_key; ++i)
    if (answer_keys[i].key == key)
      return i;
  return no_key;
}

/// The op the keys of the answer map in `rd` imply (the map header was read).
bool answer_op(mp_reader& rd, uint64_t pairs, op_kind& op) {
  size_t best = no_key;
  mp_item k;
  for (uint64_t i = 0; i < pairs; ++i) {
    if (!rd.next_value(k) || !rd.skip(1))
      return false;
    if (k.type == mp_type::str)
      best = std::min(best, answer_key_rank(k.str()));
  }
  op = best < no_key ? answer_keys[best].op : op_kind::hello;
  return best < no_key;
}

/// Reads the fields of one settlement answer. Every read consumes the value it is given.
class answer_reader {
public:
  answer_reader(mp_reader& rd, op_kind op, response& r, settlement_answer& a)
      : rd_(rd), op_(op), r_(r), a_(a) {}

  /// The pairs of the map; false with `bad` naming the first malformed field (or empty for a
  /// msgpack problem, which decode_response already ruled out).
  bool read(uint64_t pairs, std::string_view& bad) {
    mp_item k, v;
    for (uint64_t i = 0; i < pairs; ++i) {
      if (!rd_.next_value(k) || !rd_.next(v))
        return false;
      bool good = true;
      if (!field(k.type == mp_type::str ? k.str() : std::string_view{}, v, good))
        return false;
      if (!good) {
        bad = k.str();
        return false;
      }
    }
    return true;
  }

private:
  /// One pair: a list read here, a scalar by scalar(); other values are skipped.
  bool field(std::string_view name, const mp_item& v, bool& good) {
    if (v.type == mp_type::array) {
      bool known = true;
      if (!list(name, v, known, good))
        return false;
      if (known)
        return true;  // list() consumed it
    }
    good = scalar(name, v);
    return rd_.skip_contents(v);
  }

  /// A scalar field of the op's answer (false for a bad value, or a list key); true for keys
  /// the answer does not have.
  bool scalar(std::string_view name, const mp_item& v) {
    if (name == "partner")
      return get_str(v, r_.partner);
    switch (op_) {
      case op_kind::contract_set:
      case op_kind::contract: return contract_scalar(name, v);
      case op_kind::period_close:
      case op_kind::statement: return statement_scalar(name, v);
      case op_kind::statements: return name != "statements";
      case op_kind::fx: return fx_scalar(name, v);
      case op_kind::topup:
        if (name == "credit_remaining")
          return a_.has_credit_remaining = get_i64(v, a_.credit_remaining);
        return name != "currency" || get_str(v, a_.currency);
      case op_kind::suspend: return name != "suspended" || get_bool(v, a_.suspended);
      default: return reconcile_scalar(name, v);
    }
  }

  bool contract_scalar(std::string_view name, const mp_item& v) {
    contract_terms& c = a_.contract;
    if (name == "revision") return get_u64(v, a_.revision);
    if (name == "kind") return get_str(v, c.kind);
    if (name == "currency") return get_str(v, c.currency);
    if (name == "cycle") return get_str(v, c.cycle);
    if (name == "tz") return get_str(v, c.tz);
    if (name == "cutoff") return get_str(v, c.cutoff);
    if (name == "weekday") return get_str(v, c.weekday);
    if (name == "day") return get_day(v, c.day);
    if (name == "share_bps") return get_i64(v, c.share_bps);
    if (name == "via") return get_str(v, c.via);
    if (name == "credit_alert") return get_opt_i64(v, c.credit_alert);
    if (name == "max_tps") return get_opt_i64(v, c.max_tps);
    if (name == "credit_remaining")
      return a_.has_credit_remaining = get_i64(v, a_.credit_remaining);
    if (name == "period") return get_u64(v, a_.period);
    if (name == "from") return get_i64(v, a_.from_unix_ms);
    if (name == "suspended") return get_bool(v, a_.suspended);
    if (name == "live_ggr_settlement")
      return a_.has_live_share = get_i64(v, a_.live_ggr_settlement);
    if (name == "live_share") return get_i64(v, a_.live_share);
    return name != "live";
  }

  bool statement_scalar(std::string_view name, const mp_item& v) {
    statement_answer& s = a_.statement;
    if (name == "period") return get_u64(v, a_.period);
    if (name == "from") return get_i64(v, a_.from_unix_ms);
    if (name == "to") return get_i64(v, a_.to_unix_ms);
    if (op_ == op_kind::period_close) return true;
    if (name == "revision") return get_u64(v, a_.revision);
    if (name == "currency") return get_str(v, a_.currency);
    if (name == "share_bps") return get_i64(v, s.share_bps);
    if (name == "ggr_settlement") return get_i64(v, s.ggr_settlement);
    if (name == "share") return get_i64(v, s.share);
    if (name == "net_payable") return get_i64(v, s.net_payable);
    if (name == "carried_in") return get_i64(v, s.carried_in);
    if (name == "carried_forward") return get_i64(v, s.carried_forward);
    if (name == "txn_count") return get_u64(v, s.txn_count);
    if (name == "checksum") return get_str(v, s.checksum);
    if (name == "payable_to") return get_str(v, s.payable_to);
    return name != "totals" && name != "lines";
  }

  bool fx_scalar(std::string_view name, const mp_item& v) {
    if (name == "base") return get_str(v, a_.fx.base);
    if (name == "quote") return get_str(v, a_.fx.quote);
    if (name == "rate") return get_str(v, a_.fx.rate);
    if (name == "at") return get_i64(v, a_.fx.at_unix_ms);
    return true;
  }

  bool reconcile_scalar(std::string_view name, const mp_item& v) {
    reconcile_answer& c = a_.reconcile;
    if (name == "reconcile_id") return get_str(v, c.reconcile_id);
    if (name == "rows_received") return get_u64(v, c.rows_received);
    if (name == "matched") return c.complete = get_u64(v, c.matched);
    if (name == "missing_in_engine_count") return get_u64(v, c.missing_in_engine_count);
    if (name == "missing_in_report_count") return get_u64(v, c.missing_in_report_count);
    if (name == "mismatched_count") return get_u64(v, c.mismatched_count);
    if (name == "duplicate_in_report_count") return get_u64(v, c.duplicate_in_report_count);
    return id_list_of(name) == nullptr;
  }

  std::vector<std::string>* id_list_of(std::string_view name) {
    reconcile_answer& c = a_.reconcile;
    if (name == "missing_in_engine") return &c.missing_in_engine;
    if (name == "missing_in_report") return &c.missing_in_report;
    if (name == "mismatched") return &c.mismatched;
    if (name == "duplicate_in_report") return &c.duplicate_in_report;
    return nullptr;
  }

  /// A list field (`v` is an array): read into the answer when `name` is one of the op's, else
  /// `known` is false and nothing is consumed. False on a msgpack problem.
  bool list(std::string_view name, const mp_item& v, bool& known, bool& good) {
    if (op_ == op_kind::statements && name == "statements")
      return entries(v, good, [&](const mp_item& e, bool& g) { return summary(e, g); });
    if (op_ == op_kind::statement && name == "totals")
      return entries(v, good, [&](const mp_item& e, bool& g) { return totals_entry(e, g); });
    if ((op_ == op_kind::contract || op_ == op_kind::contract_set) && name == "live")
      return entries(v, good, [&](const mp_item& e, bool& g) { return live_entry(e, g); });
    if (op_ == op_kind::statement && name == "lines")
      return entries(v, good, [&](const mp_item& e, bool& g) { return line(e, g); });
    if (op_ == op_kind::reconcile)
      if (auto* ids = id_list_of(name))
        return entries(v, good, [&](const mp_item& e, bool& g) {
          g = get_str(e, ids->emplace_back());
          return rd_.skip_contents(e);
        });
    known = false;
    return true;
  }

  /// The elements of array `v`, each read (and consumed) by `one(element, good)`; `good` false
  /// from the first bad one on, whose followers are only skipped. False on a msgpack problem.
  template <class F>
  bool entries(const mp_item& v, bool& good, F&& one) {
    mp_item e;
    for (uint64_t i = 0; i < v.u64; ++i) {
      if (!rd_.next(e))
        return false;
      bool element_good = true;
      if (!(good ? one(e, element_good) : rd_.skip_contents(e)))
        return false;
      good = good && element_good;
    }
    return true;
  }

  /// The pairs of map `e` (already read), each applied by `apply(name, value)`, all consumed;
  /// `good` false for a non-map, a non-string key or a bad value. False on a msgpack problem.
  template <class F>
  bool map_entry(const mp_item& e, bool& good, F&& apply) {
    if (e.type != mp_type::map) {
      good = false;
      return rd_.skip_contents(e);
    }
    mp_item k, v;
    for (uint64_t i = 0; i < e.u64; ++i) {
      if (!rd_.next_value(k) || !rd_.next(v))
        return false;
      good = good && k.type == mp_type::str && apply(k.str(), v);
      if (!rd_.skip_contents(v))
        return false;
    }
    return true;
  }

  bool summary(const mp_item& e, bool& good) {
    statement_summary& s = a_.statements.emplace_back();
    return map_entry(e, good, [&](std::string_view n, const mp_item& v) {
      if (n == "period") return get_u64(v, s.period);
      if (n == "from") return get_i64(v, s.from_unix_ms);
      if (n == "to") return get_i64(v, s.to_unix_ms);
      if (n == "currency") return get_str(v, s.currency);
      if (n == "net_payable") return get_i64(v, s.net_payable);
      return true;
    });
  }

  bool totals_entry(const mp_item& e, bool& good) {
    statement_totals& t = a_.statement.totals.emplace_back();
    return map_entry(e, good, [&](std::string_view n, const mp_item& v) {
      if (n == "fx_rate") return get_str(v, t.fx_rate);
      if (n == "ggr_settlement") return get_i64(v, t.ggr_settlement);
      return get_totals_field(n, v, t);
    });
  }

  bool live_entry(const mp_item& e, bool& good) {
    currency_totals& t = a_.live.emplace_back();
    return map_entry(e, good,
                     [&](std::string_view n, const mp_item& v) { return get_totals_field(n, v, t); });
  }

  bool line(const mp_item& e, bool& good) {
    supplier_line& l = a_.statement.lines.emplace_back();
    return map_entry(e, good, [&](std::string_view n, const mp_item& v) {
      if (n == "partner") return get_str(v, l.partner);
      if (n == "ggr_settlement") return get_i64(v, l.ggr_settlement);
      return true;
    });
  }

  mp_reader& rd_;
  op_kind op_;
  response& r_;
  settlement_answer& a_;
};

}  // namespace

bool is_settlement_answer_key(std::string_view key) { return answer_key_rank(key) < no_key; }

bool decode_settlement_answer(std::string_view body, response& out, std::string& error) {
  mp_reader first{body};
  mp_item top;
  op_kind op = op_kind::hello;
  if (!first.next(top) || top.type != mp_type::map || !answer_op(first, top.u64, op)) {
    error = "not a settlement answer";  // never: decode_response saw a settlement key
    return false;
  }
  auto answer = std::make_shared<settlement_answer>();
  mp_reader rd{body};
  rd.next(top);
  std::string_view bad;
  if (!answer_reader{rd, op, out, *answer}.read(top.u64, bad)) {
    error = "response field '" + std::string{bad} + "' is malformed";
    return false;
  }
  // The keys a settlement answer shares with the others are its own: the generic pass must
  // not leave them behind.
  out.currency.clear();
  out.totals.clear();
  out.kind = account_kind::player;
  out.op = op == op_kind::suspend && !answer->suspended ? op_kind::resume : op;
  out.settlement = std::move(answer);
  return true;
}

}  // namespace settle::protocol::detail
