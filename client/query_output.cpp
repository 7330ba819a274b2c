#include "client/query_output.hpp"

#include <fmt/format.h>

#include "client/json_output.hpp"

namespace settle::client {

namespace {

std::string change_json(const protocol::history_entry& c) {
  std::string out = fmt::format(
      "{{\"txn\":{},\"kind\":{},\"amount\":{},\"balance\":{},\"version\":{},\"at\":{}",
      json_quote(c.txn), json_quote(protocol::to_string(c.kind)), c.amount, c.balance,
      c.version, c.at_unix_ms);
  auto opt = [&](const char* k, const std::string& v) {
    if (!v.empty())
      out += fmt::format(",\"{}\":{}", k, json_quote(v));
  };
  opt("partner", c.partner);
  opt("round", c.round);
  opt("game", c.game);
  opt("ref", c.ref);
  opt("to", c.to);
  return out + "}";
}

std::string entry_json(const protocol::audit_entry& e) {
  std::string out = fmt::format("{{\"id\":{},\"at\":{},\"who\":{},\"op\":{},\"result\":{}",
                                json_quote(e.id), e.at_unix_ms, json_quote(e.who),
                                json_quote(e.op), json_quote(e.result));
  if (!e.target.empty())
    out += ",\"target\":" + json_quote(e.target);
  if (!e.message.empty())
    out += ",\"message\":" + json_quote(e.message);
  return out + "}";
}

}  // namespace

std::string query_json_fields(const protocol::response& r) {
  std::string out;
  if (r.op == protocol::op_kind::history) {
    out = ",\"account\":" + json_quote(r.account) + ",\"changes\":[";
    for (size_t i = 0; i < r.changes.size(); ++i)
      out += (i ? "," : "") + change_json(r.changes[i]);
  } else {
    out = ",\"entries\":[";
    for (size_t i = 0; i < r.entries.size(); ++i)
      out += (i ? "," : "") + entry_json(r.entries[i]);
  }
  return out + "]";
}

std::string query_text(const protocol::response& r) {
  std::string s;
  if (r.op == protocol::op_kind::history) {
    s = fmt::format("{}: {} change{}", r.account, r.changes.size(),
                    r.changes.size() == 1 ? "" : "s");
    for (const auto& c : r.changes) {
      s += fmt::format("\n  v{} at {} ms: {} {} {:+} -> {}", c.version, c.at_unix_ms,
                       protocol::to_string(c.kind), c.txn, c.amount, c.balance);
      if (!c.partner.empty())
        s += " partner " + c.partner;
      if (!c.round.empty())
        s += " round " + c.round;
      if (!c.game.empty())
        s += " game " + c.game;
      if (!c.ref.empty())
        s += " ref " + c.ref;
      if (!c.to.empty())
        s += " with " + c.to;
    }
    return s;
  }
  s = fmt::format("{} audit entr{}", r.entries.size(), r.entries.size() == 1 ? "y" : "ies");
  for (const auto& e : r.entries) {
    s += fmt::format("\n  {} at {} ms: {} by {}{}: {}", e.id, e.at_unix_ms, e.op, e.who,
                     e.target.empty() ? "" : " on " + e.target, e.result);
    if (!e.message.empty())
      s += " (" + e.message + ")";
  }
  return s;
}

}  // namespace settle::client
