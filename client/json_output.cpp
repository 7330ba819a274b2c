#include "client/json_output.hpp"

#include <fmt/format.h>

namespace settle::client {

using protocol::op_kind;

namespace {

// Hand-written: a dozen lines for flat objects, instead of a JSON library dependency.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else
          out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string to_json(const protocol::response& r) {
  std::string out = fmt::format("{{\"rid\":{},\"ok\":{}", r.rid, r.ok() ? "true" : "false");
  auto str = [&](const char* k, std::string_view v) { out += fmt::format(",\"{}\":{}", k, quote(v)); };
  auto num = [&](const char* k, auto v) { out += fmt::format(",\"{}\":{}", k, v); };
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
      out += ",\"totals\":[";
      for (size_t i = 0; i < r.totals.size(); ++i) {
        const auto& t = r.totals[i];
        out += fmt::format(
            "{}{{\"currency\":{},\"bets\":{},\"wins\":{},\"rollbacks\":{},\"bet_count\":{},"
            "\"win_count\":{},\"rollback_count\":{},\"ggr\":{}}}",
            i ? "," : "", quote(t.currency), t.bets, t.wins, t.rollbacks, t.bet_count,
            t.win_count, t.rollback_count, t.ggr);
      }
      out += "]";
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
  }
  return "ok";
}

}  // namespace settle::client
