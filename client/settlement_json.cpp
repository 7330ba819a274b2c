#include "client/settlement_json.hpp"

#include <charconv>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "client/json_output.hpp"
#include "protocol/settlement.hpp"

namespace settle::client {

using protocol::op_kind;

namespace {

/// Appends `,"key":value` pairs to one JSON object.
class json_fields {
public:
  explicit json_fields(std::string& out) : out_(out) {}
  void str(std::string_view k, std::string_view v) { key(k) += json_quote(v); }
  void opt_str(std::string_view k, std::string_view v) {
    if (!v.empty())
      str(k, v);
  }
  template <class T>
  void num(std::string_view k, T v) { key(k) += fmt::format("{}", v); }
  void boolean(std::string_view k, bool v) { key(k) += v ? "true" : "false"; }
  /// `,"k":[` ... `]`: each(i) writes element i (an object's fields via a nested json_fields).
  template <class List, class F>
  void list(std::string_view k, const List& items, F&& each) {
    key(k) += "[";
    for (size_t i = 0; i < items.size(); ++i) {
      out_ += i ? ",{" : "{";
      std::string element;
      json_fields inner{element};
      each(inner, items[i]);
      out_.append(element, element.empty() ? 0 : 1);  // drop the first ','
      out_ += "}";
    }
    out_ += "]";
  }
  void ids(std::string_view k, const std::vector<std::string>& v) {
    key(k) += "[";
    for (size_t i = 0; i < v.size(); ++i)
      out_ += (i ? "," : "") + json_quote(v[i]);
    out_ += "]";
  }

private:
  std::string& key(std::string_view k) {
    out_ += ",";
    out_ += json_quote(k);
    out_ += ":";
    return out_;
  }
  std::string& out_;
};

/// `day` as the wire has it: an integer when its text is one, else a string ("last").
void day_field(json_fields& j, const std::string& day) {
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(day.data(), day.data() + day.size(), n);
  if (ec == std::errc{} && end == day.data() + day.size() && std::to_string(n) == day)
    j.num("day", n);
  else
    j.str("day", day);
}

/// The pairs of one per-currency totals object (a statement's, a contract's live totals).
void totals_json(json_fields& e, const protocol::currency_totals& t) {
  e.str("currency", t.currency);
  e.num("bets", t.bets);
  e.num("wins", t.wins);
  e.num("rollbacks", t.rollbacks);
  e.num("bet_count", t.bet_count);
  e.num("win_count", t.win_count);
  e.num("rollback_count", t.rollback_count);
  e.num("ggr", t.ggr);
}

void contract_json(json_fields& j, const protocol::settlement_answer& a) {
  const auto& c = a.contract;
  j.num("revision", a.revision);
  j.str("kind", c.kind);
  j.str("currency", c.currency);
  j.str("cycle", c.cycle);
  j.opt_str("tz", c.tz);
  j.opt_str("cutoff", c.cutoff);
  j.opt_str("weekday", c.weekday);
  if (!c.day.empty())
    day_field(j, c.day);
  j.num("share_bps", c.share_bps);
  j.opt_str("via", c.via);
  if (c.credit_alert)
    j.num("credit_alert", *c.credit_alert);
  if (c.max_tps)
    j.num("max_tps", *c.max_tps);
  if (a.has_credit_remaining)
    j.num("credit_remaining", a.credit_remaining);
  j.num("period", a.period);
  j.num("from", a.from_unix_ms);
  j.list("live", a.live, [](json_fields& e, const protocol::currency_totals& t) {
    totals_json(e, t);
  });
  j.boolean("suspended", a.suspended);
  if (a.has_live_share) {
    j.num("live_ggr_settlement", a.live_ggr_settlement);
    j.num("live_share", a.live_share);
  }
}

void statement_json(json_fields& j, const protocol::settlement_answer& a) {
  const auto& s = a.statement;
  j.num("revision", a.revision);
  j.str("currency", a.currency);
  j.num("share_bps", s.share_bps);
  j.list("totals", s.totals, [](json_fields& e, const protocol::statement_totals& t) {
    totals_json(e, t);
    e.str("fx_rate", t.fx_rate);
    e.num("ggr_settlement", t.ggr_settlement);
  });
  j.num("ggr_settlement", s.ggr_settlement);
  j.num("share", s.share);
  j.num("net_payable", s.net_payable);
  j.num("txn_count", s.txn_count);
  j.str("checksum", s.checksum);
  j.str("payable_to", s.payable_to);
  if (!s.lines.empty())
    j.list("lines", s.lines, [](json_fields& e, const protocol::supplier_line& l) {
      e.str("partner", l.partner);
      e.num("ggr_settlement", l.ggr_settlement);
    });
  j.num("carried_in", s.carried_in);
  j.num("carried_forward", s.carried_forward);
}

void reconcile_json(json_fields& j, const protocol::reconcile_answer& a) {
  j.opt_str("reconcile_id", a.reconcile_id);
  j.num("rows_received", a.rows_received);
  if (!a.complete)
    return;
  j.num("matched", a.matched);
  j.ids("missing_in_engine", a.missing_in_engine);
  j.ids("missing_in_report", a.missing_in_report);
  j.ids("mismatched", a.mismatched);
  j.ids("duplicate_in_report", a.duplicate_in_report);
  j.num("missing_in_engine_count", a.missing_in_engine_count);
  j.num("missing_in_report_count", a.missing_in_report_count);
  j.num("mismatched_count", a.mismatched_count);
  j.num("duplicate_in_report_count", a.duplicate_in_report_count);
}

/// The answers that start with `partner`, after it.
void partner_answer_json(json_fields& j, const protocol::response& r,
                         const protocol::settlement_answer& a) {
  switch (r.op) {
    case op_kind::contract_set: return j.num("revision", a.revision);
    case op_kind::contract: return contract_json(j, a);
    case op_kind::period_close:
    case op_kind::statement:
      j.num("period", a.period);
      j.num("from", a.from_unix_ms);
      j.num("to", a.to_unix_ms);
      if (r.op == op_kind::statement)
        statement_json(j, a);
      return;
    case op_kind::statements:
      return j.list("statements", a.statements,
                    [](json_fields& e, const protocol::statement_summary& s) {
                      e.num("period", s.period);
                      e.num("from", s.from_unix_ms);
                      e.num("to", s.to_unix_ms);
                      e.str("currency", s.currency);
                      e.num("net_payable", s.net_payable);
                    });
    case op_kind::topup:
      j.num("credit_remaining", a.credit_remaining);
      return j.str("currency", a.currency);
    default:  // suspend, resume
      return j.boolean("suspended", a.suspended);
  }
}

}  // namespace

void append_settlement_json(const protocol::response& r, std::string& out) {
  static const protocol::settlement_answer none;
  const protocol::settlement_answer& a = r.settlement ? *r.settlement : none;
  json_fields j{out};
  switch (r.op) {
    case op_kind::fx_set:
    case op_kind::fx:
      j.str("base", a.fx.base);
      j.str("quote", a.fx.quote);
      j.str("rate", a.fx.rate);
      return j.num("at", a.fx.at_unix_ms);
    case op_kind::reconcile: return reconcile_json(j, a.reconcile);
    default:
      j.str("partner", r.partner);
      return partner_answer_json(j, r, a);
  }
}

}  // namespace settle::client
