// Response frames, written straight into the output buffer. encode_txn_result and encode_error
// are the engine's hot answers; encode_response uses them for those cases, so there is one
// encoding of each answer.
#include "protocol/codec.hpp"

#include "base/invariant.hpp"
#include "protocol/msgpack_writer.hpp"
#include "protocol/query_codec.hpp"
#include "protocol/settlement_codec.hpp"

namespace settle::protocol {

namespace {

using detail::mp_writer;
using detail::write_frame;

/// Room for one pair: a key (at most 15 bytes: fixstr header + "rollback_count") and a value's
/// header or integer (at most 9 bytes); string values add their length on top.
constexpr size_t pair_bytes = 32;
constexpr size_t map_bytes(size_t pairs) {
  return mp_writer::max_map_header_bytes + pairs * pair_bytes;
}

using detail::kv;
using detail::kv_bool;
using detail::kv_int;
using detail::kv_uint;

}  // namespace

void encode_txn_result(uint64_t rid, txn_status status, int64_t balance, uint64_t version,
                       std::vector<char>& out) {
  const std::string_view name = to_string(status);
  write_frame(out, map_bytes(5) + name.size(), [&](mp_writer& w) {
    w.map_header(5);
    kv_uint(w, "rid", rid);
    kv_bool(w, "ok", true);
    kv(w, "status", name);
    kv_int(w, "balance", balance);
    kv_uint(w, "version", version);
  });
}

void encode_error(op_kind /*op*/, uint64_t rid, error_code code, std::string_view message,
                  bool has_balance, int64_t balance, uint64_t version, std::vector<char>& out) {
  const std::string_view name = to_string(code);
  write_frame(out, map_bytes(7) + name.size() + message.size(), [&](mp_writer& w) {
    w.map_header(5 + (has_balance ? 2 : 0));
    kv_uint(w, "rid", rid);
    kv_bool(w, "ok", false);
    kv(w, "error", name);
    kv(w, "message", message);
    kv_bool(w, "retryable", is_retryable(code));
    if (has_balance) {
      kv_int(w, "balance", balance);
      kv_uint(w, "version", version);
    }
  });
}

namespace {

/// Room for the enum names an answer writes (role, kind, status: at most 8 bytes each).
constexpr size_t name_bytes = 32;

/// The string fields an account answer may write.
inline size_t account_strings(const response& r) {
  return r.partner.size() + r.account.size() + r.currency.size();
}

/// A hello answer: the role granted, the partner it is bound to (if any), the version.
inline void encode_hello_answer(const response& r, std::vector<char>& out) {
  write_frame(out, map_bytes(5) + name_bytes + r.partner.size(), [&](mp_writer& w) {
    const bool bound = r.granted_role == role::partner;
    w.map_header(4 + (bound ? 1 : 0));
    kv_uint(w, "rid", r.rid);
    kv_bool(w, "ok", true);
    kv(w, "role", to_string(r.granted_role));
    if (bound)
      kv(w, "partner", r.partner);
    kv_uint(w, "version", r.protocol_version);
  });
}

/// An open answer: the account, its currency and kind.
inline void encode_open_answer(const response& r, std::vector<char>& out) {
  write_frame(out, map_bytes(5) + name_bytes + account_strings(r), [&](mp_writer& w) {
    w.map_header(5);
    kv_uint(w, "rid", r.rid);
    kv_bool(w, "ok", true);
    kv(w, "account", r.account);
    kv(w, "currency", r.currency);
    kv(w, "kind", to_string(r.kind));
  });
}

/// A balance answer: the whole account.
inline void encode_balance_answer(const response& r, std::vector<char>& out) {
  write_frame(out, map_bytes(8) + name_bytes + account_strings(r), [&](mp_writer& w) {
    w.map_header(8);
    kv_uint(w, "rid", r.rid);
    kv_bool(w, "ok", true);
    kv(w, "account", r.account);
    kv(w, "currency", r.currency);
    kv(w, "kind", to_string(r.kind));
    kv(w, "status", to_string(r.status));
    kv_int(w, "balance", r.balance);
    kv_uint(w, "version", r.version);
  });
}

/// A block or unblock answer: the account, its new status and version.
inline void encode_status_answer(const response& r, std::vector<char>& out) {
  write_frame(out, map_bytes(5) + name_bytes + account_strings(r), [&](mp_writer& w) {
    w.map_header(5);
    kv_uint(w, "rid", r.rid);
    kv_bool(w, "ok", true);
    kv(w, "account", r.account);
    kv(w, "status", to_string(r.status));
    kv_uint(w, "version", r.version);
  });
}

/// A partner answer: its totals, one map per currency.
inline void encode_partner_answer(const response& r, std::vector<char>& out) {
  size_t room = map_bytes(4) + account_strings(r) + mp_writer::max_map_header_bytes;  // + array
  for (const auto& t : r.totals)
    room += map_bytes(8) + t.currency.size();
  write_frame(out, room, [&](mp_writer& w) {
    w.map_header(4);
    kv_uint(w, "rid", r.rid);
    kv_bool(w, "ok", true);
    kv(w, "partner", r.partner);
    w.str("totals");
    w.array_header(static_cast<uint32_t>(r.totals.size()));
    for (const auto& t : r.totals) {
      w.map_header(detail::totals_pairs);
      detail::write_totals_pairs(w, t);
    }
  });
}

/// An answer that says only ok (snapshot, unsubscribe), with the subscription id for a
/// subscribe.
inline void encode_plain_answer(const response& r, bool with_subscription,
                                std::vector<char>& out) {
  const uint32_t pairs = with_subscription ? 3 : 2;
  write_frame(out, map_bytes(pairs), [&](mp_writer& w) {
    w.map_header(pairs);
    kv_uint(w, "rid", r.rid);
    kv_bool(w, "ok", true);
    if (with_subscription)
      kv_uint(w, "subscription", r.subscription);
  });
}

}  // namespace

void encode_response(const response& r, std::vector<char>& out) {
  if (!r.ok())
    return encode_error(r.op, r.rid, r.error, r.message, r.has_balance, r.balance, r.version,
                        out);
  switch (r.op) {
    case op_kind::txn: return encode_txn_result(r.rid, r.outcome, r.balance, r.version, out);
    case op_kind::hello: return encode_hello_answer(r, out);
    case op_kind::open: return encode_open_answer(r, out);
    case op_kind::balance: return encode_balance_answer(r, out);
    case op_kind::block:
    case op_kind::unblock: return encode_status_answer(r, out);
    case op_kind::partner: return encode_partner_answer(r, out);
    case op_kind::snapshot:
    case op_kind::unsubscribe: return encode_plain_answer(r, false, out);
    case op_kind::subscribe: return encode_plain_answer(r, true, out);
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
    case op_kind::reconcile: return detail::encode_settlement_answer(r, out);
    case op_kind::history:
    case op_kind::audit: return detail::encode_query_answer(r, out);
  }
  // An op outside the enumeration: an empty body, as the msgpack-c encoder wrote.
  write_frame(out, 0, [](mp_writer&) {});
}

namespace {

/// Room for the map of `e`: at most 9 pairs plus its strings.
size_t event_map_bytes(const event& e) {
  size_t labels = 0;
  for (const auto& [k, v] : e.labels)
    labels += 2 * mp_writer::max_str_header_bytes + k.size() + v.size();
  return map_bytes(12) + e.account.size() + e.currency.size() + e.txn.size() + e.change.size() +
         e.partner.size() + e.reason.size() + e.round.size() + e.game.size() + e.name.size() +
         e.state.size() + labels + mp_writer::max_map_header_bytes;
}

/// An [[alerts]] rule's alert: {event, name, state, value, threshold, at, labels}.
void write_rule_alert(mp_writer& w, const event& e) {
  w.map_header(7);
  kv(w, "event", "alert");
  kv(w, "name", e.name);
  kv(w, "state", e.state);
  w.str("value");
  w.f64(e.value);
  w.str("threshold");
  w.f64(e.threshold);
  kv_int(w, "at", e.at_unix_ms);
  w.str("labels");
  w.map_header(static_cast<uint32_t>(e.labels.size()));
  for (const auto& [k, v] : e.labels)
    kv(w, k, v);
}

/// The map of one event: the body of an event frame, and an item of an event array.
void write_event_map(mp_writer& w, const event& e) {
  switch (e.kind) {
    case event_kind::balance:
      w.map_header((e.has_txn ? 9 : 6) + !e.partner.empty() + !e.round.empty() +
                   !e.game.empty());
      kv(w, "event", "balance");
      kv(w, "account", e.account);
      kv(w, "currency", e.currency);
      kv_int(w, "balance", e.balance);
      kv_uint(w, "version", e.version);
      if (e.has_txn) {
        kv(w, "txn", e.txn);
        kv(w, "kind", e.change);
        kv_int(w, "amount", e.amount);
      }
      if (!e.partner.empty())  // bets, wins, rollbacks
        kv(w, "partner", e.partner);
      if (!e.round.empty())
        kv(w, "round", e.round);
      if (!e.game.empty())
        kv(w, "game", e.game);
      kv_int(w, "at", e.at_unix_ms);
      return;
    case event_kind::partner:
      w.map_header(9);
      kv(w, "event", "partner");
      kv(w, "partner", e.partner);
      kv(w, "currency", e.currency);
      kv_int(w, "bets", e.bets);
      kv_int(w, "wins", e.wins);
      kv_int(w, "rollbacks", e.rollbacks);
      kv_int(w, "ggr", e.ggr);
      kv_uint(w, "version", e.version);
      kv_int(w, "at", e.at_unix_ms);
      return;
    case event_kind::closed:
      w.map_header(2);
      kv(w, "event", "closed");
      kv(w, "reason", e.reason);
      return;
    case event_kind::alert:
      if (!e.name.empty())
        return write_rule_alert(w, e);
      w.map_header(7);
      kv(w, "event", "alert");
      kv(w, "alert", e.reason);
      kv(w, "partner", e.partner);
      kv(w, "currency", e.currency);
      kv_int(w, "credit_remaining", e.credit_remaining);
      kv_int(w, "credit_alert", e.credit_alert);
      kv_int(w, "at", e.at_unix_ms);
      return;
  }
  w.map_header(0);  // a kind outside the enumeration: an empty map keeps arrays well-formed
}

}  // namespace

void encode_event(const event& e, std::vector<char>& out) {
  write_frame(out, event_map_bytes(e), [&](mp_writer& w) { write_event_map(w, e); });
}

void encode_event_array(const std::vector<event>& events, std::vector<char>& out) {
  size_t room = mp_writer::max_map_header_bytes;  // the array header
  for (const auto& e : events)
    room += event_map_bytes(e);
  const size_t start = out.size();
  out.resize(start + room);
  char* const first = out.data() + start;
  mp_writer w{first};
  w.array_header(static_cast<uint32_t>(events.size()));
  for (const auto& e : events)
    write_event_map(w, e);
  const auto length = static_cast<size_t>(w.position() - first);
  // The bound is wrong: stop rather than run on past the buffer.
  SETTLE_ASSERT(length <= room, "encode_event_array wrote past the room it reserved");
  out.resize(start + length);
}

}  // namespace settle::protocol
