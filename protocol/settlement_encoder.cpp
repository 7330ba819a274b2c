// Frames of the settlement ops: the client's requests and the engine's answers. Off the hot
// path, so each frame is written twice: once into a sizer that adds up an upper bound of its
// bytes, then into the frame (no hand-kept bound to go wrong with lists of any length).
#include <charconv>
#include <string>
#include <system_error>

#include "protocol/msgpack_writer.hpp"
#include "protocol/settlement_codec.hpp"

namespace settle::protocol::detail {

namespace {

/// mp_writer's interface, counting at most how many bytes each call writes.
class mp_sizer {
public:
  void map_header(uint32_t) { bytes += mp_writer::max_map_header_bytes; }
  void array_header(uint32_t) { bytes += mp_writer::max_map_header_bytes; }
  void str(std::string_view s) { bytes += mp_writer::max_str_header_bytes + s.size(); }
  void boolean(bool) { bytes += 1; }
  void uint(uint64_t) { bytes += mp_writer::max_int_bytes; }
  void sint(int64_t) { bytes += mp_writer::max_int_bytes; }
  size_t bytes = 0;
};

/// Appends the frame `write(w)` writes (a generic callable, run on a sizer, then a writer).
template <class F>
void frame_of(std::vector<char>& out, F&& write) {
  mp_sizer sizer;
  write(sizer);
  write_frame(out, sizer.bytes, [&](mp_writer& w) { write(w); });
}


/// An optional string field: written when not empty.
template <class W>
void kv_opt(W& w, std::string_view k, std::string_view v) {
  if (!v.empty())
    kv(w, k, v);
}

/// `day` as it was sent: an integer when its text is one (in canonical form), else a string.
template <class W>
void kv_day(W& w, const std::string& day) {
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(day.data(), day.data() + day.size(), n);
  w.str("day");
  if (ec == std::errc{} && end == day.data() + day.size() && std::to_string(n) == day)
    w.sint(n);
  else
    w.str(day);
}

/// How many of a contract's optional fields are set.
uint32_t optional_terms(const contract_terms& c) {
  return !c.tz.empty() + !c.cutoff.empty() + !c.weekday.empty() + !c.day.empty() +
         !c.via.empty() + c.credit_alert.has_value() + c.max_tps.has_value();
}

/// A contract's fields (contract_set request, contract answer): 4 + optional_terms pairs.
template <class W>
void write_terms(W& w, const contract_terms& c) {
  kv(w, "kind", c.kind);
  kv(w, "currency", c.currency);
  kv(w, "cycle", c.cycle);
  kv_opt(w, "tz", c.tz);
  kv_opt(w, "cutoff", c.cutoff);
  kv_opt(w, "weekday", c.weekday);
  if (!c.day.empty())
    kv_day(w, c.day);
  kv_int(w, "share_bps", c.share_bps);
  kv_opt(w, "via", c.via);
  if (c.credit_alert)
    kv_int(w, "credit_alert", *c.credit_alert);
  if (c.max_tps)
    kv_int(w, "max_tps", *c.max_tps);
}

// -- requests -------------------------------------------------------------------------------

template <class W>
void write_rows(W& w, const std::vector<reconcile_row>& rows) {
  w.str("rows");
  w.array_header(static_cast<uint32_t>(rows.size()));
  for (const auto& row : rows) {
    w.map_header(4);
    kv(w, "id", row.id);
    kv(w, "kind", to_string(row.kind));
    kv_int(w, "amount", row.amount);
    kv(w, "currency", row.currency);
  }
}

/// Whether a reconcile request writes `final`: only where it is not implied (a chunk's
/// default is false; a request without reconcile_id is always final, so false is sent as
/// given, and refused).
bool reconcile_final_written(const settlement_request& s) {
  return s.reconcile_id.empty() ? !s.final : s.final;
}

/// A reconcile request's fields after partner.
template <class W>
void write_reconcile_request(W& w, const settlement_request& s) {
  kv_uint(w, "period", s.period);
  kv_opt(w, "reconcile_id", s.reconcile_id);
  if (reconcile_final_written(s))
    kv_bool(w, "final", s.final);
  write_rows(w, s.rows);
}

/// The map header and the fields of settlement request `r` (op and rid follow: counted).
template <class W>
void write_request_fields(W& w, const request& r, const settlement_request& s) {
  constexpr uint32_t pairs = 3;  // op, rid, partner
  switch (r.op) {
    case op_kind::contract_set:
      w.map_header(pairs + 4 + optional_terms(s.contract));
      kv(w, "partner", r.partner);
      return write_terms(w, s.contract);
    case op_kind::statements:
      w.map_header(pairs + (s.limit != 0));
      kv(w, "partner", r.partner);
      if (s.limit != 0)
        kv_uint(w, "limit", s.limit);
      return;
    case op_kind::statement:
      w.map_header(pairs + 1);
      kv(w, "partner", r.partner);
      return kv_uint(w, "period", s.period);
    case op_kind::fx_set:
    case op_kind::fx:
      w.map_header(2 + 2 + (r.op == op_kind::fx_set));
      kv(w, "base", s.base);
      kv(w, "quote", s.quote);
      if (r.op == op_kind::fx_set)
        kv(w, "rate", s.rate);
      return;
    case op_kind::topup:
      w.map_header(pairs + 3);
      kv(w, "partner", r.partner);
      kv_int(w, "amount", r.amount);
      kv(w, "currency", r.currency);
      return kv(w, "id", r.id);
    case op_kind::reconcile:
      w.map_header(pairs + 2 + !s.reconcile_id.empty() + reconcile_final_written(s));
      kv(w, "partner", r.partner);
      return write_reconcile_request(w, s);
    default:  // contract, period_close, suspend, resume
      w.map_header(pairs);
      return kv(w, "partner", r.partner);
  }
}

// -- answers --------------------------------------------------------------------------------

/// How many pairs the answer to `r` has, rid and ok included.
uint32_t answer_pairs(const response& r, const settlement_answer& a) {
  switch (r.op) {
    case op_kind::contract_set: return 4;
    case op_kind::contract:
      return 4 + 4 + optional_terms(a.contract) + a.has_credit_remaining + 4 +
             2 * a.has_live_share;
    case op_kind::period_close: return 6;
    case op_kind::statements: return 4;
    case op_kind::statement: return 18 + !a.statement.lines.empty();
    case op_kind::fx_set:
    case op_kind::fx: return 6;
    case op_kind::topup: return 5;
    case op_kind::suspend:
    case op_kind::resume: return 4;
    default:  // reconcile
      return 3 + !a.reconcile.reconcile_id.empty() + (a.reconcile.complete ? 9 : 0);
  }
}

template <class W>
void write_statements(W& w, const std::vector<statement_summary>& statements) {
  w.str("statements");
  w.array_header(static_cast<uint32_t>(statements.size()));
  for (const auto& s : statements) {
    w.map_header(5);
    kv_uint(w, "period", s.period);
    kv_int(w, "from", s.from_unix_ms);
    kv_int(w, "to", s.to_unix_ms);
    kv(w, "currency", s.currency);
    kv_int(w, "net_payable", s.net_payable);
  }
}

template <class W>
void write_statement_totals(W& w, const std::vector<statement_totals>& totals) {
  w.str("totals");
  w.array_header(static_cast<uint32_t>(totals.size()));
  for (const auto& t : totals) {
    w.map_header(totals_pairs + 2);
    write_totals_pairs(w, t);
    kv(w, "fx_rate", t.fx_rate);
    kv_int(w, "ggr_settlement", t.ggr_settlement);
  }
}

/// A statement answer's fields after partner, period, from, to, revision and currency.
template <class W>
void write_statement(W& w, const statement_answer& s) {
  kv_int(w, "share_bps", s.share_bps);
  write_statement_totals(w, s.totals);
  kv_int(w, "ggr_settlement", s.ggr_settlement);
  kv_int(w, "share", s.share);
  kv_int(w, "net_payable", s.net_payable);
  kv_uint(w, "txn_count", s.txn_count);
  kv(w, "checksum", s.checksum);
  kv(w, "payable_to", s.payable_to);
  if (!s.lines.empty()) {
    w.str("lines");
    w.array_header(static_cast<uint32_t>(s.lines.size()));
    for (const auto& line : s.lines) {
      w.map_header(2);
      kv(w, "partner", line.partner);
      kv_int(w, "ggr_settlement", line.ggr_settlement);
    }
  }
  kv_int(w, "carried_in", s.carried_in);
  kv_int(w, "carried_forward", s.carried_forward);
}

/// A contract answer's open period: period, from, live totals, suspended.
template <class W>
void write_open_period(W& w, const settlement_answer& a) {
  kv_uint(w, "period", a.period);
  kv_int(w, "from", a.from_unix_ms);
  w.str("live");
  w.array_header(static_cast<uint32_t>(a.live.size()));
  for (const auto& t : a.live) {
    w.map_header(totals_pairs);
    write_totals_pairs(w, t);
  }
  kv_bool(w, "suspended", a.suspended);
  if (a.has_live_share) {
    kv_int(w, "live_ggr_settlement", a.live_ggr_settlement);
    kv_int(w, "live_share", a.live_share);
  }
}

template <class W>
void write_id_list(W& w, std::string_view k, const std::vector<std::string>& ids) {
  w.str(k);
  w.array_header(static_cast<uint32_t>(ids.size()));
  for (const auto& id : ids)
    w.str(id);
}

template <class W>
void write_reconcile(W& w, const reconcile_answer& a) {
  kv_opt(w, "reconcile_id", a.reconcile_id);
  kv_uint(w, "rows_received", a.rows_received);
  if (!a.complete)
    return;
  kv_uint(w, "matched", a.matched);
  write_id_list(w, "missing_in_engine", a.missing_in_engine);
  write_id_list(w, "missing_in_report", a.missing_in_report);
  write_id_list(w, "mismatched", a.mismatched);
  write_id_list(w, "duplicate_in_report", a.duplicate_in_report);
  kv_uint(w, "missing_in_engine_count", a.missing_in_engine_count);
  kv_uint(w, "missing_in_report_count", a.missing_in_report_count);
  kv_uint(w, "mismatched_count", a.mismatched_count);
  kv_uint(w, "duplicate_in_report_count", a.duplicate_in_report_count);
}

/// The fields of the answer to `r` after rid and ok, in the order of docs/protocol.md.
template <class W>
void write_answer_fields(W& w, const response& r, const settlement_answer& a) {
  switch (r.op) {
    case op_kind::fx_set:
    case op_kind::fx:
      kv(w, "base", a.fx.base);
      kv(w, "quote", a.fx.quote);
      kv(w, "rate", a.fx.rate);
      return kv_int(w, "at", a.fx.at_unix_ms);
    case op_kind::reconcile: return write_reconcile(w, a.reconcile);
    default: break;
  }
  kv(w, "partner", r.partner);
  switch (r.op) {
    case op_kind::contract_set: return kv_uint(w, "revision", a.revision);
    case op_kind::contract:
      kv_uint(w, "revision", a.revision);
      write_terms(w, a.contract);
      if (a.has_credit_remaining)
        kv_int(w, "credit_remaining", a.credit_remaining);
      return write_open_period(w, a);
    case op_kind::period_close:
    case op_kind::statement:
      kv_uint(w, "period", a.period);
      kv_int(w, "from", a.from_unix_ms);
      kv_int(w, "to", a.to_unix_ms);
      if (r.op == op_kind::period_close)
        return;
      kv_uint(w, "revision", a.revision);
      kv(w, "currency", a.currency);
      return write_statement(w, a.statement);
    case op_kind::statements: return write_statements(w, a.statements);
    case op_kind::topup:
      kv_int(w, "credit_remaining", a.credit_remaining);
      return kv(w, "currency", a.currency);
    default:  // suspend, resume
      return kv_bool(w, "suspended", a.suspended);
  }
}

}  // namespace

void encode_settlement_request(const request& r, uint64_t rid, std::vector<char>& out) {
  static const settlement_request none;
  const settlement_request& s = r.settlement ? *r.settlement : none;
  frame_of(out, [&](auto& w) {
    write_request_fields(w, r, s);
    kv(w, "op", to_string(r.op));
    kv_uint(w, "rid", rid);
  });
}

void encode_settlement_answer(const response& r, std::vector<char>& out) {
  static const settlement_answer none;
  const settlement_answer& a = r.settlement ? *r.settlement : none;
  frame_of(out, [&](auto& w) {
    w.map_header(answer_pairs(r, a));
    kv_uint(w, "rid", r.rid);
    kv_bool(w, "ok", true);
    write_answer_fields(w, r, a);
  });
}

}  // namespace settle::protocol::detail
