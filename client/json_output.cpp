#include "client/json_output.hpp"

#include <fmt/format.h>

#include "client/query_output.hpp"
#include "client/settlement_json.hpp"
#include "client/settlement_output.hpp"

namespace settle::client {

using protocol::op_kind;

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if the bytes there are not one.
size_t utf8_length(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t n = (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3
             : (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
  if (n == 0 || i + n > s.size())
    return 0;
  for (size_t k = 1; k < n; ++k)
    if ((b(i + k) & 0xc0) != 0x80)
      return 0;
  if ((c == 0xe0 && b(i + 1) < 0xa0) || (c == 0xed && b(i + 1) > 0x9f) ||  // overlong, surrogate
      (c == 0xf0 && b(i + 1) < 0x90) || (c == 0xf4 && b(i + 1) > 0x8f))    // overlong, > U+10FFFF
    return 0;
  return n;
}

}  // namespace

// Hand-written: a few lines for flat objects, instead of a JSON library dependency. Text on
// the wire is bytes; bytes that are not valid UTF-8 are escaped as the code points of the
// same value (\u0080..\u00ff) so the output is always valid JSON.
std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(u));
        } else if (u < 0x80) {
          out += c;
        } else if (size_t n = utf8_length(s, i); n > 0) {
          out.append(s.substr(i, n));
          i += n - 1;
        } else {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(u));
        }
    }
  }
  return out + "\"";
}

/// `,"totals":[...]` of a partner answer.
static void append_totals(const std::vector<protocol::currency_totals>& totals, std::string& out) {
  out += ",\"totals\":[";
  for (size_t i = 0; i < totals.size(); ++i) {
    const auto& t = totals[i];
    out += fmt::format(
        "{}{{\"currency\":{},\"bets\":{},\"wins\":{},\"rollbacks\":{},\"bet_count\":{},"
        "\"win_count\":{},\"rollback_count\":{},\"ggr\":{}}}",
        i ? "," : "", json_quote(t.currency), t.bets, t.wins, t.rollbacks, t.bet_count,
        t.win_count, t.rollback_count, t.ggr);
  }
  out += "]";
}

std::string to_json(const protocol::response& r) {
  std::string out = fmt::format("{{\"rid\":{},\"ok\":{}", r.rid, r.ok() ? "true" : "false");
  auto str = [&](const char* k, std::string_view v) { out += fmt::format(",\"{}\":{}", k, json_quote(v)); };
  auto num = [&](const char* k, auto v) { out += fmt::format(",\"{}\":{}", k, v); };
  if (protocol::is_settlement_op(r.op) && r.ok()) {
    append_settlement_json(r, out);
    return out + "}";
  }
  if (!r.ok()) {
    str("error", protocol::to_string(r.error));
    str("message", r.message);
    out += fmt::format(",\"retryable\":{}", protocol::is_retryable(r.error) ? "true" : "false");
    if (r.has_balance) {
      num("balance", r.balance);
      num("version", r.version);
    }
    return out + "}";
  }
  switch (r.op) {
    case op_kind::hello:
      str("role", protocol::to_string(r.granted_role));
      if (!r.partner.empty())
        str("partner", r.partner);
      num("version", r.protocol_version);
      break;
    case op_kind::open:
      str("account", r.account);
      str("currency", r.currency);
      str("kind", protocol::to_string(r.kind));
      break;
    case op_kind::txn:
      str("status", protocol::to_string(r.outcome));
      num("balance", r.balance);
      num("version", r.version);
      break;
    case op_kind::balance:
      str("account", r.account);
      str("currency", r.currency);
      str("kind", protocol::to_string(r.kind));
      str("status", protocol::to_string(r.status));
      num("balance", r.balance);
      num("version", r.version);
      break;
    case op_kind::block:
    case op_kind::unblock:
      str("account", r.account);
      str("status", protocol::to_string(r.status));
      num("version", r.version);
      break;
    case op_kind::partner:
      str("partner", r.partner);
      append_totals(r.totals, out);
      break;
    case op_kind::snapshot:
    case op_kind::unsubscribe:
      break;
    case op_kind::subscribe:
      num("subscription", r.subscription);
      break;
    case op_kind::history:
    case op_kind::audit:
      out += query_json_fields(r);
      break;
    default:  // settlement ops: above
      break;
  }
  return out + "}";
}

std::string to_text(const protocol::response& r) {
  if (!r.ok()) {
    auto s = fmt::format("error {}: {}", protocol::to_string(r.error), r.message);
    if (r.has_balance)
      s += fmt::format(" (balance {}, version {})", r.balance, r.version);
    if (protocol::is_retryable(r.error))
      s += " [retryable]";
    return s;
  }
  switch (r.op) {
    case op_kind::hello:
      return fmt::format("authenticated as {}{} (protocol v{})", protocol::to_string(r.granted_role),
                         r.partner.empty() ? "" : " of partner " + r.partner, r.protocol_version);
    case op_kind::open:
      return fmt::format("account {} is open ({} {})", r.account, protocol::to_string(r.kind),
                         r.currency);
    case op_kind::txn:
      return fmt::format("{}: balance {} (minor units), version {}", protocol::to_string(r.outcome),
                         r.balance, r.version);
    case op_kind::balance:
      return fmt::format("{} ({}, {}): balance {} {} (minor units), version {}", r.account,
                         protocol::to_string(r.kind), protocol::to_string(r.status), r.balance,
                         r.currency, r.version);
    case op_kind::block:
    case op_kind::unblock:
      return fmt::format("{} is {} (version {})", r.account, protocol::to_string(r.status),
                         r.version);
    case op_kind::partner: {
      std::string s = fmt::format("partner {}", r.partner);
      for (const auto& t : r.totals)
        s += fmt::format("\n  {}: bets {} ({}), wins {} ({}), rollbacks {} ({}), GGR {}", t.currency,
                         t.bets, t.bet_count, t.wins, t.win_count, t.rollbacks, t.rollback_count,
                         t.ggr);
      return s;
    }
    case op_kind::snapshot:
      return "snapshot written; the journal before it is trimmed";
    case op_kind::subscribe:
      return fmt::format("subscription {}", r.subscription);
    case op_kind::unsubscribe:
      return "unsubscribed";
    case op_kind::contract_set: case op_kind::contract: case op_kind::period_close:
    case op_kind::statements: case op_kind::statement: case op_kind::fx_set: case op_kind::fx:
    case op_kind::topup: case op_kind::suspend: case op_kind::resume: case op_kind::reconcile:
      return settlement_text(r);
    case op_kind::history:
    case op_kind::audit:
      return query_text(r);
  }
  return "ok";
}

std::string to_text(const protocol::response& r, const protocol::request& req) {
  if (r.ok() && protocol::is_settlement_op(r.op))
    return settlement_text(r, &req);  // a reconcile answer names no partner or period
  if (!r.ok() || req.op != op_kind::txn)
    return to_text(r);
  std::string what = fmt::format("{} {}", protocol::to_string(req.kind), req.id);
  if (!req.ref.empty())
    what += fmt::format(" of {}", req.ref);
  what += fmt::format(" on {}", req.account);
  if (!req.to.empty())
    what += fmt::format(" to {}", req.to);
  if (r.outcome == protocol::txn_status::noop)
    what += " (unknown bet: tombstone left)";
  return fmt::format("{}: {}, balance {} {} (minor units), version {}",
                     protocol::to_string(r.outcome), what, r.balance, req.currency, r.version);
}

std::string to_json(const protocol::event& e) {
  using protocol::event_kind;
  std::string out;
  auto str = [&](const char* k, std::string_view v) { out += fmt::format(",\"{}\":{}", k, json_quote(v)); };
  auto num = [&](const char* k, auto v) { out += fmt::format(",\"{}\":{}", k, v); };
  switch (e.kind) {
    case event_kind::balance:
      out = "{\"event\":\"balance\"";
      str("account", e.account);
      str("currency", e.currency);
      num("balance", e.balance);
      num("version", e.version);
      if (e.has_txn) {
        str("txn", e.txn);
        str("kind", e.change);
        num("amount", e.amount);
      }
      num("at", e.at_unix_ms);
      break;
    case event_kind::partner:
      out = "{\"event\":\"partner\"";
      str("partner", e.partner);
      str("currency", e.currency);
      num("bets", e.bets);
      num("wins", e.wins);
      num("rollbacks", e.rollbacks);
      num("ggr", e.ggr);
      num("version", e.version);
      num("at", e.at_unix_ms);
      break;
    case event_kind::closed:
      out = "{\"event\":\"closed\"";
      str("reason", e.reason);
      break;
    case event_kind::alert:
      out = "{\"event\":\"alert\"";
      str("alert", e.reason);
      str("partner", e.partner);
      str("currency", e.currency);
      num("credit_remaining", e.credit_remaining);
      num("credit_alert", e.credit_alert);
      num("at", e.at_unix_ms);
      break;
  }
  return out + "}";
}

std::string to_text(const protocol::event& e) {
  using protocol::event_kind;
  switch (e.kind) {
    case event_kind::balance:
      if (!e.has_txn)
        return fmt::format("{}: balance {} {} (minor units), version {} [current state]",
                           e.account, e.balance, e.currency, e.version);
      return fmt::format("{}: balance {} {} (minor units), version {}, {} {} of {:+}", e.account,
                         e.balance, e.currency, e.version, e.change, e.txn, e.amount);
    case event_kind::partner:
      return fmt::format("partner {} {}: bets {}, wins {}, rollbacks {}, GGR {}, version {}",
                         e.partner, e.currency, e.bets, e.wins, e.rollbacks, e.ggr, e.version);
    case event_kind::closed:
      return fmt::format("stream closed by the engine: {}", e.reason);
    case event_kind::alert:
      return fmt::format("alert {} for {}: credit left {} {} (alert below {})", e.reason,
                         e.partner, e.credit_remaining, e.currency, e.credit_alert);
  }
  return "event";
}

}  // namespace settle::client
