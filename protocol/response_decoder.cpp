// decode_response (client side): one pass over the response map, filling the response as keys
// arrive. Allocates only for the strings it fills (and the totals of a partner answer); a reused
// `response` keeps its buffers.
#include "protocol/codec.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "protocol/msgpack_reader.hpp"
#include "protocol/query_codec.hpp"
#include "protocol/settlement_codec.hpp"

namespace settle::protocol {

namespace {

using detail::mp_item;
using detail::mp_reader;
using detail::mp_type;

/// Resets `r` to a default response without giving back its buffers.
void clear(response& r) {
  r.op = op_kind::hello;
  r.rid = 0;
  r.error = error_code::none;
  r.message.clear();
  r.granted_role = role::viewer;
  r.protocol_version = 0;
  r.partner.clear();
  r.account.clear();
  r.currency.clear();
  r.kind = account_kind::player;
  r.status = account_status::active;
  r.outcome = txn_status::applied;
  r.balance = 0;
  r.version = 0;
  r.has_balance = false;
  r.totals.clear();
  r.subscription = 0;
  r.changes.clear();
  r.entries.clear();
  r.settlement.reset();
}

bool get_str(const mp_item& v, std::string& out) {
  if (v.type != mp_type::str)
    return false;
  out.assign(v.data, static_cast<size_t>(v.u64));
  return true;
}

/// A string value parsed as an enum; false when not a string or no such name.
template <class Enum>
bool get_enum(const mp_item& v, Enum& out) {
  return v.type == mp_type::str && parse(v.str(), out);
}

bool get_i64(const mp_item& v, int64_t& out) {
  if (v.type == mp_type::positive) {
    if (v.u64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return false;
    out = v.i64();
    return true;
  }
  if (v.type == mp_type::negative) {
    out = v.i64();
    return true;
  }
  return false;
}

bool get_u64(const mp_item& v, uint64_t& out) {
  if (v.type != mp_type::positive)
    return false;
  out = v.u64;
  return true;
}

/// A partner kind (provider, supplier, payment): the `kind` of a contract answer.
bool is_partner_kind(const mp_item& v) {
  if (v.type != mp_type::str)
    return false;
  const auto name = v.str();
  return name == "provider" || name == "supplier" || name == "payment";
}

/// The response keys the decoder reads; every other key is ignored.
enum class key : uint8_t {
  rid, ok, error, message, retryable, role, partner, account, currency, kind, status, balance,
  version, totals, subscription, unknown,
};

/// Which key `k` is: a switch on the length, then at most four comparisons.
key key_of(std::string_view k) {
  switch (k.size()) {
    case 2: return k == "ok" ? key::ok : key::unknown;
    case 3: return k == "rid" ? key::rid : key::unknown;
    case 4: return k == "role" ? key::role : k == "kind" ? key::kind : key::unknown;
    case 5: return k == "error" ? key::error : key::unknown;
    case 6: return k == "status" ? key::status : k == "totals" ? key::totals : key::unknown;
    case 7:
      return k == "message"   ? key::message
             : k == "partner" ? key::partner
             : k == "account" ? key::account
             : k == "balance" ? key::balance
             : k == "version" ? key::version
                              : key::unknown;
    case 8: return k == "currency" ? key::currency : key::unknown;
    case 9: return k == "retryable" ? key::retryable : key::unknown;
    case 12: return k == "subscription" ? key::subscription : key::unknown;
    default: return key::unknown;
  }
}

/// Reads one response body. The whole body must be one msgpack map before any field counts
/// (a msgpack problem anywhere wins over a bad field, and then nothing is kept), so after the
/// first bad key or field the rest is walked but not applied.
class response_reader {
public:
  response_reader(std::string_view body, response& out) : body_(body), rd_(body), out_(out) {}

  bool read(std::string& why) {
    mp_item top;
    const bool ok = rd_.next(top) &&
                    (top.type == mp_type::map ? read_pairs(top.u64) : rd_.skip_contents(top));
    if (!ok || rd_.remaining() != 0) {
      clear(out_);  // not one msgpack object: nothing of it is kept
      why = !ok ? std::string{detail::error_text(rd_.error())}
                : std::to_string(rd_.remaining()) + " trailing bytes after the msgpack object";
      return false;
    }
    if (top.type != mp_type::map) {
      why = "a response must be a msgpack map, got " + std::string{detail::type_name(top.type)};
      return false;
    }
    if (bad_key_) {
      why = "response map keys must be strings";
      return false;
    }
    if (bad_field_) {
      why = "response field '" + std::string{bad_name_} + "' is malformed";
      return false;  // the fields before it stay applied
    }
    return finish(why);
  }

private:
  bool failed() const { return bad_key_ || bad_field_; }

  /// The pairs of the top-level map. False on a msgpack problem.
  bool read_pairs(uint64_t pairs) {
    mp_item k, v;
    for (uint64_t i = 0; i < pairs; ++i) {
      if (!rd_.next_value(k) || !rd_.next(v))
        return false;
      if (!failed()) {
        if (k.type == mp_type::str) {
          bool good = true;
          if (!apply(k.str(), v, good))
            return false;
          if (!good) {
            bad_field_ = true;
            bad_name_ = k.str();
          }
          continue;  // apply() consumed the value
        }
        bad_key_ = true;
      }
      if (!rd_.skip_contents(v))
        return false;
    }
    return true;
  }

  /// Applies one pair and consumes the rest of its value; `good` false for a bad value.
  /// False on a msgpack problem.
  bool apply(std::string_view name, const mp_item& v, bool& good) {
    response& r = out_;
    switch (key_of(name)) {
      case key::rid: good = has_rid_ = get_u64(v, r.rid); break;
      case key::ok:
        good = has_ok_ = v.type == mp_type::boolean;
        ok_flag_ = good && v.boolean;
        break;
      case key::error: good = get_enum(v, r.error) && r.error != error_code::none; break;
      case key::message: good = get_str(v, r.message); break;
      case key::retryable:
        good = v.type == mp_type::boolean;  // implied by the code: is_retryable()
        break;
      case key::role: good = has_role_ = get_enum(v, r.granted_role); break;
      case key::partner: good = get_str(v, r.partner); break;
      case key::account: good = has_account_ = get_str(v, r.account); break;
      case key::currency: good = get_str(v, r.currency); break;
      case key::kind:
        // An account's kind, or a partner's (contract answers): the names are disjoint.
        has_kind_ = get_enum(v, r.kind);
        good = has_kind_ || is_partner_kind(v);
        break;
      case key::status:
        // txn answers carry an outcome, account answers a status; the two sets of names are
        // disjoint, so the value tells which.
        if (get_enum(v, r.outcome))
          has_outcome_ = true;
        else
          good = has_status_ = get_enum(v, r.status);
        break;
      case key::balance: good = r.has_balance = get_i64(v, r.balance); break;
      case key::version:
        // The protocol version in a hello answer, the account version everywhere else.
        good = get_u64(v, r.version);
        r.protocol_version = static_cast<uint32_t>(r.version);
        break;
      case key::totals:
        good = has_totals_ = v.type == mp_type::array;
        if (good)
          return read_totals(v.u64, good);
        break;
      case key::subscription: good = has_subscription_ = get_u64(v, r.subscription); break;
      case key::unknown:
        settlement_ = settlement_ || detail::is_settlement_answer_key(name);
        query_ = query_ || detail::is_query_answer_key(name);
        break;
    }
    return rd_.skip_contents(v);
  }

  /// The `entries` elements of a totals array, appended to out.totals up to and including the
  /// first bad one.
  bool read_totals(uint64_t entries, bool& good) {
    mp_item e;
    for (uint64_t j = 0; j < entries; ++j) {
      if (!rd_.next(e))
        return false;
      if (!good) {
        if (!rd_.skip_contents(e))
          return false;
        continue;
      }
      currency_totals t;
      if (!read_totals_entry(e, t, good))
        return false;
      out_.totals.push_back(std::move(t));
    }
    return true;
  }

  /// One totals entry `e` (already read) into `t`, up to its first bad pair.
  bool read_totals_entry(const mp_item& e, currency_totals& t, bool& good) {
    if (e.type != mp_type::map) {
      good = false;
      return rd_.skip_contents(e);
    }
    mp_item k, v;
    for (uint64_t i = 0; i < e.u64; ++i) {
      if (!rd_.next_value(k) || !rd_.next(v))
        return false;
      if (good) {
        if (k.type != mp_type::str) {
          good = false;
        } else {
          const std::string_view name = k.str();
          if (name == "currency")
            good = get_str(v, t.currency);
          else if (name == "bets")
            good = get_i64(v, t.bets);
          else if (name == "wins")
            good = get_i64(v, t.wins);
          else if (name == "rollbacks")
            good = get_i64(v, t.rollbacks);
          else if (name == "bet_count")
            good = get_u64(v, t.bet_count);
          else if (name == "win_count")
            good = get_u64(v, t.win_count);
          else if (name == "rollback_count")
            good = get_u64(v, t.rollback_count);
          else if (name == "ggr")
            good = get_i64(v, t.ggr);
        }
      }
      if (!rd_.skip_contents(v))
        return false;
    }
    return true;
  }

  /// The checks over the whole answer, and the op its keys imply.
  bool finish(std::string& why) {
    response& r = out_;
    if (!has_ok_ || !has_rid_) {
      why = "response lacks 'ok' or 'rid'";
      return false;
    }
    if (ok_flag_ != (r.error == error_code::none)) {
      why = ok_flag_ ? "response has ok=true and an error" : "response has ok=false and no error";
      return false;
    }
    // A settlement answer: its own decoder reads it again, knowing the op from its keys.
    if (ok_flag_ && settlement_)
      return detail::decode_settlement_answer(body_, r, why);
    if (ok_flag_ && query_)
      return detail::decode_query_answer(body_, r, why);
    // The keys of a success tell which op it answers (block and unblock only by the status);
    // clients that track ops by rid may overwrite `op`. Error answers leave it at the default.
    if (ok_flag_) {
      if (has_role_)
        r.op = op_kind::hello;
      else if (has_subscription_)
        r.op = op_kind::subscribe;
      else if (has_totals_)
        r.op = op_kind::partner;
      else if (has_outcome_)
        r.op = op_kind::txn;
      else if (has_account_ && has_kind_ && has_status_)
        r.op = op_kind::balance;
      else if (has_account_ && has_kind_)
        r.op = op_kind::open;
      else if (has_account_ && has_status_)
        r.op = r.status == account_status::blocked ? op_kind::block : op_kind::unblock;
    }
    return true;
  }

  std::string_view body_;
  mp_reader rd_;
  response& out_;
  bool settlement_ = false;  // a key only settlement answers have
  bool query_ = false;       // a key only history and audit answers have
  bool bad_key_ = false;
  bool bad_field_ = false;
  std::string_view bad_name_;  // the first bad field's key, in the body
  bool ok_flag_ = false, has_ok_ = false, has_rid_ = false;
  bool has_role_ = false, has_totals_ = false, has_account_ = false, has_kind_ = false,
       has_status_ = false, has_outcome_ = false, has_subscription_ = false;
};

}  // namespace

bool is_event(std::string_view body) {
  // The engine writes `event` as an event's first key; any order is accepted by
  // decode_event, but telling events from answers only needs the first.
  mp_reader rd{body};
  mp_item top, k;
  return rd.next(top) && top.type == mp_type::map && top.u64 > 0 && rd.next(k) &&
         k.type == mp_type::str && k.str() == "event";
}

namespace {

/// The kind named by an event's `event` value; false for a value that names none.
inline bool get_event_kind(const mp_item& v, event_kind& out) {
  if (v.type != mp_type::str)
    return false;
  const auto kind = v.str();
  if (kind == "balance")
    out = event_kind::balance;
  else if (kind == "partner")
    out = event_kind::partner;
  else if (kind == "closed")
    out = event_kind::closed;
  else if (kind == "alert")
    out = event_kind::alert;
  else
    return false;
  return true;
}

/// A float field (a float 64 or 32, or an integer).
inline bool get_f64(const mp_item& v, double& out) {
  if (v.type == mp_type::float64) {
    std::memcpy(&out, &v.u64, sizeof out);
    return true;
  }
  if (v.type == mp_type::float32) {
    const auto bits = static_cast<uint32_t>(v.u64);
    float f = 0;
    std::memcpy(&f, &bits, sizeof f);
    out = f;
    return true;
  }
  if (v.type == mp_type::positive || v.type == mp_type::negative) {
    out = v.type == mp_type::positive ? static_cast<double>(v.u64) : static_cast<double>(v.i64());
    return true;
  }
  return false;
}

/// The `pairs` of an alert's labels map (its header read); false on a msgpack problem. A
/// non-string key or value makes the event malformed (`good`, `bad`).
inline bool read_labels(mp_reader& rd, uint64_t pairs, event& out, bool& good,
                        std::string_view& bad) {
  mp_item k, v;
  for (uint64_t j = 0; j < pairs; ++j) {
    if (!rd.next_value(k) || !rd.next_value(v))
      return false;
    if (k.type != mp_type::str || v.type != mp_type::str) {
      if (good)
        bad = "labels";
      good = false;
      continue;
    }
    out.labels.emplace_back(std::string{k.str()}, std::string{v.str()});
  }
  return true;
}

/// Applies one pair of an event map to `out`; false for a bad value (unknown keys are
/// skipped). Sets `has_event` when the pair is the `event` key.
inline bool apply_event_field(std::string_view name, const mp_item& v, event& out,
                              bool& has_event) {
  if (name == "event") {
    has_event = true;
    return get_event_kind(v, out.kind);
  }
  if (name == "account") return get_str(v, out.account);
  if (name == "currency") return get_str(v, out.currency);
  if (name == "balance") return get_i64(v, out.balance);
  if (name == "version") return get_u64(v, out.version);
  if (name == "txn") return out.has_txn = get_str(v, out.txn);
  if (name == "kind") return get_str(v, out.change);
  if (name == "amount") return get_i64(v, out.amount);
  if (name == "at") return get_i64(v, out.at_unix_ms);
  if (name == "partner") return get_str(v, out.partner);
  if (name == "round") return get_str(v, out.round);
  if (name == "game") return get_str(v, out.game);
  if (name == "bets") return get_i64(v, out.bets);
  if (name == "wins") return get_i64(v, out.wins);
  if (name == "rollbacks") return get_i64(v, out.rollbacks);
  if (name == "ggr") return get_i64(v, out.ggr);
  if (name == "reason" || name == "alert") return get_str(v, out.reason);
  if (name == "credit_remaining") return get_i64(v, out.credit_remaining);
  if (name == "credit_alert") return get_i64(v, out.credit_alert);
  if (name == "name") return get_str(v, out.name);
  if (name == "state") return get_str(v, out.state);
  if (name == "value") return get_f64(v, out.value);
  if (name == "threshold") return get_f64(v, out.threshold);
  return true;
}

}  // namespace

bool decode_event(std::string_view body, event& out, std::string& error_message) {
  out = event{};
  error_message.clear();
  mp_reader rd{body};
  mp_item top, k, v;
  if (!rd.next(top) || top.type != mp_type::map) {
    error_message = "an event must be a msgpack map";
    return false;
  }
  bool has_event = false, good = true;
  std::string_view bad;
  for (uint64_t i = 0; i < top.u64; ++i) {
    if (!rd.next_value(k) || !rd.next(v)) {
      error_message = std::string{detail::error_text(rd.error())};
      return false;
    }
    if (k.type != mp_type::str) {
      error_message = "event map keys must be strings";
      return false;
    }
    const std::string_view name = k.str();
    if (name == "labels" && v.type == mp_type::map) {  // string -> string, read here
      if (!read_labels(rd, v.u64, out, good, bad)) {
        error_message = std::string{detail::error_text(rd.error())};
        return false;
      }
      continue;
    }
    if (!apply_event_field(name, v, out, has_event) && good) {
      good = false;
      bad = name;
    }
    if (!rd.skip_contents(v)) {
      error_message = std::string{detail::error_text(rd.error())};
      return false;
    }
  }
  if (rd.remaining() != 0) {
    error_message = std::to_string(rd.remaining()) + " trailing bytes after the msgpack object";
    return false;
  }
  if (!has_event) {
    error_message = "not an event: no 'event' key";
    return false;
  }
  if (!good) {
    error_message = "event field '" + std::string{bad} + "' is malformed";
    return false;
  }
  return true;
}

bool decode_event_array(std::string_view body, std::vector<event>& out,
                        std::string& error_message) {
  out.clear();
  error_message.clear();
  mp_reader rd{body};
  mp_item top, item;
  if (!rd.next(top) || top.type != mp_type::array) {
    error_message = "an event array must be a msgpack array";
    return false;
  }
  // An event takes at least 8 bytes ({"event": ...}): a short body declaring many cannot make
  // this reserve much.
  out.reserve(static_cast<size_t>(std::min<uint64_t>(top.u64, body.size() / 8)));
  for (uint64_t i = 0; i < top.u64; ++i) {
    const char* start = rd.position();
    if (!rd.next_value(item)) {
      error_message = "event " + std::to_string(i) + ": " +
                      std::string{detail::error_text(rd.error())};
      return false;
    }
    std::string why;
    if (!decode_event({start, static_cast<size_t>(rd.position() - start)}, out.emplace_back(),
                      why)) {
      error_message = "event " + std::to_string(i) + ": " + why;
      return false;
    }
  }
  if (rd.remaining() != 0) {
    error_message = std::to_string(rd.remaining()) + " trailing bytes after the event array";
    return false;
  }
  return true;
}

bool decode_response(std::string_view body, response& out, std::string& error_message) {
  clear(out);
  error_message.clear();
  return response_reader{body, out}.read(error_message);
}

}  // namespace settle::protocol
