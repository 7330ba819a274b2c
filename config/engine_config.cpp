// Validation by the settings table's ranges and rules, the tokens' checks, and the two
// address parsers the table's rows use.
#include "config/engine_config.hpp"

#include <cstdio>
#include <set>
#include <stdexcept>
#include <utility>

#include "config/settings.hpp"
#include "protocol/codec.hpp"

namespace settle::config {

namespace {

[[noreturn]] void bad(const std::string& key, const std::string& why) {
  throw std::runtime_error("config: " + key + ": " + why);
}

template <class Int>
void check_range(const setting& s, Int v) {
  // std::cmp_*: the member may be unsigned, the table's ends are int64.
  if (std::cmp_less(v, s.min) || std::cmp_greater(v, s.max))
    bad(s.name(), std::to_string(v) + " is outside [" + std::to_string(s.min) + ", " +
                      std::to_string(s.max) + "]");
}

void check_string(const setting& s, const std::string& v) {
  if (!s.allowed.empty()) {
    std::string names;
    bool known = false;
    for (auto a : s.allowed) {
      names += (names.empty() ? "" : ", ") + std::string{a};
      known = known || v == a;
    }
    if (!known)
      bad(s.name(), "unknown value '" + v + "' (" + names + ")");
  }
  if (s.rule.why_not)
    if (auto why = s.rule.why_not(v); !why.empty())
      bad(s.name(), why);
}

void check_setting(const setting& s, const engine_config& c) {
  std::visit(
      [&](auto ptr) {
        using T = member_type<decltype(ptr)>;
        if constexpr (std::is_same_v<T, std::string>)
          check_string(s, c.*ptr);
        else if constexpr (!std::is_same_v<T, bool>)
          check_range(s, c.*ptr);
      },
      s.member);
}

void check_tokens(const std::vector<token_entry>& tokens) {
  std::set<std::string> seen;
  for (const auto& t : tokens) {
    if (!t.name.empty() && !protocol::valid_account_id(t.name))
      bad("token", "a token's name is 1..64 bytes of [A-Za-z0-9._:-], got '" + t.name + "'");
    if (t.token.empty() || t.token.size() > 256)
      bad("token", "tokens are 1..256 bytes");
    if (!seen.insert(t.token).second)
      bad("token", "a token is configured twice");
    if (t.granted_role == protocol::role::partner && !protocol::valid_partner_id(t.partner))
      bad("token", "a partner token needs a valid partner id, got '" + t.partner + "'");
    if (t.granted_role != protocol::role::partner && !t.partner.empty())
      bad("token", "only partner tokens name a partner");
  }
}

/// win_rate_shift and ggr_shift name a partner, a currency and a baseline longer than the
/// window; the other rules name none.
void check_partner_rule(const metrics::alert_rule& a) {
  const std::string at = "alerts." + a.name;
  if (!metrics::is_partner_rule(a.kind)) {
    if (!a.partner.empty() || !a.currency.empty())
      bad(at + ".partner", "only win_rate_shift and ggr_shift rules name a partner or currency");
    return;
  }
  if (!protocol::valid_partner_id(a.partner))
    bad(at + ".partner", "a valid partner id is required, got '" + a.partner + "'");
  if (!protocol::valid_currency(a.currency))
    bad(at + ".currency", "3 uppercase letters are required, got '" + a.currency + "'");
  if (a.baseline_s <= a.window_s || a.baseline_s > 86400)
    bad(at + ".baseline_s", "expected window_s < baseline_s <= 86400, got " +
                                std::to_string(a.baseline_s));
}

void check_alerts(const std::vector<metrics::alert_rule>& alerts) {
  if (alerts.size() > max_alert_rules)
    bad("alerts", "at most " + std::to_string(max_alert_rules) + " rules, got " +
                      std::to_string(alerts.size()));
  std::set<std::string> seen;
  for (const auto& a : alerts) {
    const bool plain = !a.name.empty() && a.name.size() <= 64 &&
                       a.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") ==
                           std::string::npos;
    if (!plain)
      bad("alerts.name", "1..64 bytes of A-Z a-z 0-9 _ - ., got '" + a.name + "'");
    if (!seen.insert(a.name).second)
      bad("alerts.name", "'" + a.name + "' is configured twice");
    if (!(a.threshold >= 0) || a.threshold > 1e15)
      bad("alerts." + a.name + ".threshold", "expected 0..1e15");
    if (a.window_s < 1 || a.window_s > 3600)
      bad("alerts." + a.name + ".window_s", "expected 1..3600 s, got " + std::to_string(a.window_s));
    check_partner_rule(a);
  }
}

}  // namespace

void parse_listen(const std::string& where, const std::string& text, engine_config& out) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    bad(where, "expected HOST:PORT, got '" + text + "'");
  auto port_text = text.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos)
    bad(where, "bad port in '" + text + "'");
  auto port = std::stoul(port_text);
  if (port > 65535)
    bad(where, "port out of range in '" + text + "'");
  out.listen_host = text.substr(0, colon);
  out.listen_port = static_cast<uint16_t>(port);
}

bool parse_redis_address(const std::string& text, redis_endpoint& out, std::string& why) {
  out = redis_endpoint{};
  if (text.rfind("unix:", 0) == 0) {
    out.unix_socket = text.substr(5);
    if (out.unix_socket.empty()) {
      why = "expected unix:/path/to/socket, got '" + text + "'";
      return false;
    }
    return true;
  }
  auto colon = text.rfind(':');
  auto port_text = colon == std::string::npos ? std::string{} : text.substr(colon + 1);
  if (colon == std::string::npos || colon == 0 || port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port_text) == 0 || std::stoul(port_text) > 65535) {
    why = "expected unix:/path or HOST:PORT, got '" + text + "'";
    return false;
  }
  out.host = text.substr(0, colon);
  out.port = static_cast<uint16_t>(std::stoul(port_text));
  return true;
}

std::string token_name(const token_entry& t) {
  if (!t.name.empty())
    return t.name;
  uint32_t h = 2166136261u;  // FNV-1a: a stable, short tag; not a secret's protection
  for (unsigned char ch : t.token)
    h = (h ^ ch) * 16777619u;
  char tag[9];
  std::snprintf(tag, sizeof tag, "%08x", h);
  std::string out{protocol::to_string(t.granted_role)};
  if (!t.partner.empty())
    out += ":" + t.partner;
  return out + "-" + tag;
}

void validate(const engine_config& c) {
  for (const auto& s : settings())
    check_setting(s, c);
  check_tokens(c.tokens);
  check_alerts(c.alerts);
}

}  // namespace settle::config
