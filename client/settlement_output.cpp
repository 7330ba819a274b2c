#include "client/settlement_output.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <utility>

#include <fmt/format.h>

#include "base/invariant.hpp"

namespace settle::client {

using protocol::op_kind;
using protocol::settlement_answer;

namespace {

using field_list = std::vector<std::pair<std::string, std::string>>;

/// `name  value` lines, the names padded to the longest.
std::string format_fields(const field_list& fields, std::string_view indent = "  ") {
  std::vector<std::vector<std::string>> rows;
  rows.reserve(fields.size());
  for (const auto& [name, value] : fields)
    rows.push_back({name, value});
  return format_table({}, rows, {false, false}, indent);
}

std::string or_dash(std::string_view s) { return s.empty() ? "-" : std::string{s}; }

/// "1500 (15.00%)".
std::string bps_text(int64_t bps) {
  return fmt::format("{} ({}{}.{:02}%)", bps, bps < 0 ? "-" : "", std::abs(bps) / 100,
                     std::abs(bps) % 100);
}

std::string live_table(const std::vector<protocol::currency_totals>& live) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : live)
    rows.push_back({t.currency, std::to_string(t.bets), std::to_string(t.wins),
                    std::to_string(t.rollbacks), std::to_string(t.bet_count),
                    std::to_string(t.win_count), std::to_string(t.rollback_count),
                    std::to_string(t.ggr)});
  return format_table({"currency", "bets", "wins", "rollbacks", "bet_count", "win_count",
                       "rollback_count", "ggr"},
                      rows, {false, true, true, true, true, true, true, true});
}

std::string contract_text(const protocol::response& r, const settlement_answer& a) {
  const auto& c = a.contract;
  field_list f = {
      {"kind", or_dash(c.kind)},
      {"currency", or_dash(c.currency)},
      {"cycle", or_dash(c.cycle)},
      {"weekday", or_dash(c.weekday)},
      {"day", or_dash(c.day)},
      {"tz", c.tz.empty() ? "UTC (default)" : c.tz},
      {"cutoff", c.cutoff.empty() ? "00:00 (default)" : c.cutoff},
      {"share_bps", bps_text(c.share_bps)},
      {"via", c.via.empty() ? "- (settles directly)" : c.via},
      {"credit_alert", c.credit_alert ? std::to_string(*c.credit_alert) : "-"},
      {"max_tps", c.max_tps ? std::to_string(*c.max_tps) : "- (no limit)"},
  };
  if (a.has_credit_remaining)
    f.emplace_back("credit_remaining", fmt::format("{} {} (minor units)", a.credit_remaining,
                                                   c.currency));
  f.emplace_back("suspended", a.suspended ? "yes (bets refused)" : "no");
  if (a.has_live_share)
    f.emplace_back("share so far", fmt::format("{} {} of GGR {} (open period, before carry-in)",
                                               a.live_share, c.currency,
                                               a.live_ggr_settlement));
  std::string out =
      fmt::format("contract of {}, revision {}\n{}", r.partner, a.revision, format_fields(f));
  out += fmt::format("open period {} since {} (live totals, minor units):\n", a.period,
                     iso8601_utc(a.from_unix_ms));
  out += a.live.empty() ? "  (no transactions yet)\n" : live_table(a.live);
  return out;
}

std::string statements_text(const protocol::response& r, const settlement_answer& a) {
  if (a.statements.empty())
    return fmt::format("no closed periods for {}\n", r.partner);
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : a.statements)
    rows.push_back({std::to_string(s.period), iso8601_utc(s.from_unix_ms),
                    iso8601_utc(s.to_unix_ms), s.currency, std::to_string(s.net_payable)});
  return fmt::format("statements of {}, newest first ({}; net_payable in minor units)\n{}",
                     r.partner, a.statements.size(),
                     format_table({"period", "from", "to", "currency", "net_payable"}, rows,
                                  {true, false, false, false, true}));
}

std::string totals_table(const protocol::statement_answer& s) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : s.totals)
    rows.push_back({t.currency, std::to_string(t.bets), std::to_string(t.wins),
                    std::to_string(t.rollbacks), std::to_string(t.bet_count),
                    std::to_string(t.win_count), std::to_string(t.rollback_count),
                    std::to_string(t.ggr), t.fx_rate, std::to_string(t.ggr_settlement)});
  return format_table({"currency", "bets", "wins", "rollbacks", "bet_count", "win_count",
                       "rollback_count", "ggr", "fx_rate", "ggr_settlement"},
                      rows, {false, true, true, true, true, true, true, true, true, true});
}

std::string lines_table(const protocol::statement_answer& s) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& l : s.lines)
    rows.push_back({l.partner, std::to_string(l.ggr_settlement)});
  return format_table({"partner", "ggr_settlement"}, rows, {false, true});
}

std::string statement_text(const protocol::response& r, const settlement_answer& a) {
  const auto& s = a.statement;
  std::string out = fmt::format("statement of {}, period {} (contract revision {})\n", r.partner,
                                a.period, a.revision);
  out += format_fields({{"from", iso8601_utc(a.from_unix_ms)},
                        {"to", iso8601_utc(a.to_unix_ms) + " (exclusive)"},
                        {"currency", a.currency + " (amounts in minor units)"},
                        {"payable_to", or_dash(s.payable_to)}});
  out += fmt::format("totals per currency (ggr_settlement in {}):\n", a.currency);
  out += s.totals.empty() ? "  (no transactions)\n" : totals_table(s);
  if (!s.lines.empty())
    out += "supplier lines:\n" + lines_table(s);
  out += format_fields({{"ggr_settlement", std::to_string(s.ggr_settlement)},
                        {"share_bps", bps_text(s.share_bps)},
                        {"share", std::to_string(s.share)},
                        {"carried_in", std::to_string(s.carried_in)},
                        {"net_payable", std::to_string(s.net_payable)},
                        {"carried_forward", std::to_string(s.carried_forward)},
                        {"txn_count", std::to_string(s.txn_count)},
                        {"checksum", or_dash(s.checksum)}});
  return out;
}

/// A reconcile answer that is not the result: a chunk was taken.
std::string reconcile_progress(const protocol::reconcile_answer& a) {
  return fmt::format("reconcile {}: {} rows received so far", or_dash(a.reconcile_id),
                     a.rows_received);
}

/// The ids of one difference, one per line, saying when the engine listed only some.
void append_ids(std::string& out, std::string_view name, const std::vector<std::string>& ids,
                uint64_t count) {
  if (count == 0)
    return;
  out += fmt::format("{} ({}{}):\n", name, count,
                     ids.size() < count ? fmt::format(", the first {} listed", ids.size()) : "");
  for (const auto& id : ids)
    out += "  " + id + "\n";
}

std::string without_final_newline(std::string s) {
  if (!s.empty() && s.back() == '\n')
    s.pop_back();
  return s;
}

}  // namespace

std::string iso8601_utc(int64_t unix_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds{unix_ms}};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> hms{t - day};
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                                static_cast<unsigned>(ymd.month()),
                                static_cast<unsigned>(ymd.day()), hms.hours().count(),
                                hms.minutes().count(), hms.seconds().count());
  if (const auto ms = hms.subseconds().count(); ms != 0)
    out += fmt::format(".{:03}", ms);
  return out + "Z";
}

std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows,
                         const std::vector<bool>& right_aligned, std::string_view indent) {
  std::vector<size_t> width(right_aligned.size(), 0);
  auto measure = [&](const std::vector<std::string>& cells) {
    SETTLE_ASSERT(cells.size() <= width.size(), "a table row with more cells than columns");
    for (size_t i = 0; i < cells.size(); ++i)
      width[i] = std::max(width[i], cells[i].size());
  };
  measure(header);
  for (const auto& row : rows)
    measure(row);
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text{indent};
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i != 0)
        text += "  ";
      const std::string pad(width[i] - cells[i].size(), ' ');
      text += right_aligned[i] ? pad + cells[i] : cells[i] + (i + 1 < cells.size() ? pad : "");
    }
    out += text + "\n";
  };
  if (!header.empty())
    line(header);
  for (const auto& row : rows)
    line(row);
  return out;
}

std::string reconcile_text(const protocol::reconcile_answer& a, std::string_view partner,
                           uint64_t period) {
  std::string out = fmt::format("reconcile of {}, period {}: {} report rows\n", partner, period,
                                a.rows_received);
  out += format_table({"result", "count"},
                      {{"matched", std::to_string(a.matched)},
                       {"missing_in_engine", std::to_string(a.missing_in_engine_count)},
                       {"missing_in_report", std::to_string(a.missing_in_report_count)},
                       {"mismatched", std::to_string(a.mismatched_count)},
                       {"duplicate_in_report", std::to_string(a.duplicate_in_report_count)}},
                      {false, true});
  append_ids(out, "missing_in_engine", a.missing_in_engine, a.missing_in_engine_count);
  append_ids(out, "missing_in_report", a.missing_in_report, a.missing_in_report_count);
  append_ids(out, "mismatched", a.mismatched, a.mismatched_count);
  append_ids(out, "duplicate_in_report", a.duplicate_in_report, a.duplicate_in_report_count);
  return out;
}

std::string settlement_text(const protocol::response& r, const protocol::request* req) {
  static const settlement_answer none;
  const settlement_answer& a = r.settlement ? *r.settlement : none;
  switch (r.op) {
    case op_kind::contract_set:
      return fmt::format("contract of {} set: revision {} (applies from the next period)",
                         r.partner, a.revision);
    case op_kind::contract: return without_final_newline(contract_text(r, a));
    case op_kind::period_close:
      return fmt::format("closed period {} of {}: from {} to {} (exclusive)", a.period,
                         r.partner, iso8601_utc(a.from_unix_ms), iso8601_utc(a.to_unix_ms));
    case op_kind::statements: return without_final_newline(statements_text(r, a));
    case op_kind::statement: return without_final_newline(statement_text(r, a));
    case op_kind::fx_set:
    case op_kind::fx:
      return fmt::format("{}/{} = {} ({} per 1 {}), set at {}", a.fx.base, a.fx.quote, a.fx.rate,
                         a.fx.quote, a.fx.base, iso8601_utc(a.fx.at_unix_ms));
    case op_kind::topup:
      return fmt::format("credit of {}: {} {} (minor units)", r.partner, a.credit_remaining,
                         a.currency);
    case op_kind::suspend:
    case op_kind::resume:
      return fmt::format("partner {} is {}", r.partner, a.suspended ? "suspended" : "active");
    case op_kind::reconcile: {
      if (!a.reconcile.complete)
        return reconcile_progress(a.reconcile);
      const bool known = req != nullptr && req->settlement != nullptr;
      return without_final_newline(reconcile_text(
          a.reconcile, req ? std::string_view{req->partner} : "?", known ? req->settlement->period : 0));
    }
    default: return "ok";
  }
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos)
    return std::string{s};
  std::string out = "\"";
  for (char c : s) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

std::string statement_csv(const protocol::response& r) {
  static const settlement_answer none;
  const settlement_answer& a = r.settlement ? *r.settlement : none;
  const auto& s = a.statement;
  constexpr size_t columns = 10;
  std::string out =
      "currency,bets,wins,rollbacks,bet_count,win_count,rollback_count,ggr,fx_rate,"
      "ggr_settlement\r\n";
  for (const auto& t : s.totals)
    out += fmt::format("{},{},{},{},{},{},{},{},{},{}\r\n", csv_field(t.currency), t.bets, t.wins,
                       t.rollbacks, t.bet_count, t.win_count, t.rollback_count, t.ggr,
                       csv_field(t.fx_rate), t.ggr_settlement);
  auto summary = [&](std::string_view name, std::string_view value) {
    out += csv_field(name) + "," + csv_field(value) + std::string(columns - 2, ',') + "\r\n";
  };
  summary("partner", r.partner);
  summary("period", std::to_string(a.period));
  summary("from", iso8601_utc(a.from_unix_ms));
  summary("to", iso8601_utc(a.to_unix_ms));
  summary("revision", std::to_string(a.revision));
  summary("settlement_currency", a.currency);
  summary("share_bps", std::to_string(s.share_bps));
  summary("ggr_settlement", std::to_string(s.ggr_settlement));
  summary("share", std::to_string(s.share));
  summary("carried_in", std::to_string(s.carried_in));
  summary("net_payable", std::to_string(s.net_payable));
  summary("carried_forward", std::to_string(s.carried_forward));
  summary("txn_count", std::to_string(s.txn_count));
  summary("checksum", s.checksum);
  summary("payable_to", s.payable_to);
  for (const auto& l : s.lines)
    summary("line:" + l.partner, std::to_string(l.ggr_settlement));
  return out;
}

}  // namespace settle::client
