#include "actors/settlement_answers.hpp"


#include <cstdint>
#include <stdexcept>

#include "ledger/currency.hpp"
#include "ledger/money.hpp"

namespace settle::actors {

protocol::contract_terms terms_of(const ledger::contract_fields_owned& f) {
  protocol::contract_terms t;
  t.kind = f.kind;
  t.currency = f.currency;
  t.cycle = f.cycle;
  t.tz = f.tz.value_or("");
  t.cutoff = f.cutoff.value_or("");
  t.weekday = f.weekday.value_or("");
  t.day = f.day.value_or("");
  t.share_bps = f.share_bps.value_or(0);
  t.via = f.via.value_or("");
  t.credit_alert = f.credit_alert;
  t.max_tps = f.max_tps;
  return t;
}

ledger::contract_fields fields_of(std::string_view partner, const protocol::contract_terms& t) {
  auto opt = [](const std::string& s) -> std::optional<std::string_view> {
    if (s.empty())
      return std::nullopt;
    return std::string_view{s};
  };
  ledger::contract_fields f;
  f.partner = partner;
  f.kind = t.kind;
  f.currency = t.currency;
  f.cycle = t.cycle;
  f.tz = opt(t.tz);
  f.cutoff = opt(t.cutoff);
  f.weekday = opt(t.weekday);
  f.day = opt(t.day);
  f.via = opt(t.via);
  f.share_bps = t.share_bps;
  f.credit_alert = t.credit_alert;
  f.max_tps = t.max_tps;
  return f;
}

protocol::currency_totals totals_of(const ledger::period_totals& t) {
  protocol::currency_totals out;
  out.currency = ledger::currency_text(t.currency);
  out.bets = t.bets;
  out.wins = t.wins;
  out.rollbacks = t.rollbacks;
  out.bet_count = t.bet_count;
  out.win_count = t.win_count;
  out.rollback_count = t.rollback_count;
  // Bets, wins and rollbacks are >= 0: only a GGR below int64's range does not fit.
  out.ggr = ledger::ggr_of(t).value_or(INT64_MIN);
  return out;
}

void fill_statement(protocol::settlement_answer& a, const ledger::statement& st) {
  const auto& terms = st.terms;
  a.period = terms.period;
  a.from_unix_ms = terms.from_unix_ms;
  a.to_unix_ms = terms.to_unix_ms;
  a.revision = terms.revision;
  a.currency = ledger::currency_text(terms.settlement_currency);
  auto& s = a.statement;
  s.share_bps = terms.share_bps;
  for (const auto& c : st.currencies) {
    protocol::statement_totals t;
    static_cast<protocol::currency_totals&>(t) = totals_of(c.totals);
    t.ggr = c.ggr;
    t.fx_rate = ledger::to_string(c.rate.rate);
    t.ggr_settlement = c.ggr_settlement;
    s.totals.push_back(std::move(t));
  }
  s.ggr_settlement = st.ggr_settlement;
  s.share = st.share;
  s.net_payable = st.net_payable;
  s.carried_in = terms.carried_in;
  s.carried_forward = st.carried_forward;
  s.txn_count = st.txn_count;
  s.checksum = st.checksum;
  s.payable_to = st.payable_to;
  for (const auto& l : st.lines)
    s.lines.push_back({l.partner, l.ggr_settlement});
}

protocol::statement_summary summary_of(const ledger::statement& st) {
  return {st.terms.period, st.terms.from_unix_ms, st.terms.to_unix_ms,
          ledger::currency_text(st.terms.settlement_currency), st.net_payable};
}

protocol::reconcile_answer answer_of(const ledger::reconcile_result& r) {
  protocol::reconcile_answer a;
  a.complete = true;
  a.matched = r.matched;
  a.missing_in_engine = r.missing_in_engine;
  a.missing_in_report = r.missing_in_report;
  a.mismatched = r.mismatched;
  a.duplicate_in_report = r.duplicate_in_report;
  a.missing_in_engine_count = r.missing_in_engine_count;
  a.missing_in_report_count = r.missing_in_report_count;
  a.mismatched_count = r.mismatched_count;
  a.duplicate_in_report_count = r.duplicate_in_report_count;
  return a;
}

ledger::txn_row row_of(const protocol::reconcile_row& r) {
  return {r.id, r.kind, r.amount, ledger::pack_currency(r.currency)};
}

void apply_configured_contract(ledger::settlement_book& book, persistence::settlement_store& store,
                               const std::string& partner, const protocol::contract_terms& terms,
                               int64_t now_unix_ms) {
  const auto* p = book.partner(partner);
  if (p != nullptr && p->newest_fields && terms_of(*p->newest_fields) == terms)
    return;
  auto v = book.decide_contract(fields_of(partner, terms), now_unix_ms);
  if (v.refused())
    throw std::runtime_error("[[partners]] '" + partner + "': " + v.message);
  store.append(*v.record);
  auto wrong = book.apply(*v.record);
  if (!wrong.empty())
    throw std::runtime_error("[[partners]] '" + partner + "': " + wrong);
}

protocol::response answer(const protocol::request& req,
                          std::shared_ptr<protocol::settlement_answer> a) {
  protocol::response resp;
  resp.op = req.op;
  resp.rid = req.rid;
  resp.partner = req.partner;
  resp.settlement = std::move(a);
  return resp;
}

}  // namespace settle::actors
