// load_file: the TOML file, read by the settings table (types checked here, ranges in
// validate), plus the [[auth.tokens]] array, which is not a setting but a list.
#include <charconv>
#include <limits>
#include <set>
#include <stdexcept>

#include <toml.hpp>

#include "config/settings.hpp"
#include "protocol/codec.hpp"

namespace settle::config {

namespace {

[[noreturn]] void bad(const std::string& key, const std::string& why) {
  throw std::runtime_error("config: " + key + ": " + why);
}

/// Whether toml11 clamped `v`: 3.7 reads integers with istream >>, which gives int64's ends
/// for a number beyond them, so a value at an end is read again from its source text.
bool clamped(const toml::value& v) {
  auto i = v.as_integer();
  if (i != std::numeric_limits<int64_t>::max() && i != std::numeric_limits<int64_t>::min())
    return false;
  const auto loc = v.location();
  if (loc.column() == 0 || loc.column() - 1 + loc.region() > loc.line_str().size())
    return false;  // no source text to tell by
  std::string text = loc.line_str().substr(loc.column() - 1, loc.region());
  std::erase(text, '_');
  int base = 10;
  if (auto prefix = text.find_first_of("xob"); prefix != std::string::npos) {
    base = text[prefix] == 'x' ? 16 : text[prefix] == 'o' ? 8 : 2;
    text.erase(0, prefix + 1);
  } else if (!text.empty() && text[0] == '+') {
    text.erase(0, 1);
  }
  int64_t exact = 0;
  return std::from_chars(text.data(), text.data() + text.size(), exact, base).ec ==
         std::errc::result_out_of_range;
}

/// Reads an integer into `out`, checked against the type (the table's range comes later).
template <class Int>
void read_int(const toml::value& v, const std::string& name, Int& out) {
  if (!v.is_integer())
    bad(name, std::string{"expected an integer, got "} + toml::stringize(v.type()));
  auto i = v.as_integer();
  if (clamped(v) || i < static_cast<int64_t>(std::numeric_limits<Int>::min()) ||
      (i > 0 && static_cast<uint64_t>(i) > static_cast<uint64_t>(std::numeric_limits<Int>::max())))
    bad(name, std::to_string(i) + " is out of range");
  out = static_cast<Int>(i);
}

void read_bool(const toml::value& v, const std::string& name, bool& out) {
  if (!v.is_boolean())
    bad(name, std::string{"expected true or false, got "} + toml::stringize(v.type()));
  out = v.as_boolean();
}

void read_string(const toml::value& v, const std::string& name, std::string& out) {
  if (!v.is_string())
    bad(name, std::string{"expected a string, got "} + toml::stringize(v.type()));
  out = v.as_string().str;
}

/// Reads a string key of a table; returns false when absent.
bool read_string(const toml::table& tab, const std::string& section, const std::string& key,
                 std::string& out) {
  auto it = tab.find(key);
  if (it == tab.end())
    return false;
  read_string(it->second, section + "." + key, out);
  return true;
}

void check_keys(const toml::table& tab, const std::string& section,
                const std::set<std::string>& known) {
  for (const auto& [k, v] : tab)
    if (!known.contains(k)) {
      std::string names;
      for (const auto& n : known)
        names += (names.empty() ? "" : ", ") + n;
      bad(section.empty() ? k : section + "." + k, "unknown key (known here: " + names + ")");
    }
}

const toml::table& section(const toml::table& root, const std::string& name) {
  static const toml::table empty;
  auto it = root.find(name);
  if (it == root.end())
    return empty;
  if (!it->second.is_table())
    bad(name, "expected a table ([" + name + "])");
  return it->second.as_table();
}

/// One row's key, when the file has it.
void read_setting(const toml::value& v, const setting& s, engine_config& cfg) {
  const auto name = s.name();
  if (s.form == setting_form::host_port) {
    std::string text;
    read_string(v, name, text);
    parse_listen(name, text, cfg);
    return;
  }
  std::visit(
      [&](auto ptr) {
        using T = member_type<decltype(ptr)>;
        if constexpr (std::is_same_v<T, bool>)
          read_bool(v, name, cfg.*ptr);
        else if constexpr (std::is_same_v<T, std::string>)
          read_string(v, name, cfg.*ptr);
        else
          read_int(v, name, cfg.*ptr);
      },
      s.member);
}

token_entry read_token(const toml::value& entry, const std::string& name) {
  if (!entry.is_table())
    bad(name, "expected a table with token, role and (for partners) partner");
  const auto& t = entry.as_table();
  check_keys(t, name, {"token", "role", "partner", "name"});
  token_entry tok;
  std::string role_text;
  if (!read_string(t, name, "token", tok.token))
    bad(name + ".token", "missing");
  if (!read_string(t, name, "role", role_text))
    bad(name + ".role", "missing");
  if (!protocol::parse(role_text, tok.granted_role))
    bad(name + ".role", "unknown role '" + role_text + "' (admin, partner, viewer)");
  read_string(t, name, "name", tok.name);
  bool has_partner = read_string(t, name, "partner", tok.partner);
  if (tok.granted_role == protocol::role::partner && !has_partner)
    bad(name + ".partner", "missing (required for role \"partner\")");
  if (tok.granted_role != protocol::role::partner && has_partner)
    bad(name + ".partner", "only partner tokens name a partner");
  if (has_partner && !protocol::valid_partner_id(tok.partner))
    bad(name + ".partner", "invalid partner id '" + tok.partner +
                               "': expected 1..64 bytes of [A-Za-z0-9._-]");
  return tok;
}

void read_tokens(const toml::table& auth, engine_config& cfg) {
  check_keys(auth, "auth", {"tokens"});
  auto it = auth.find("tokens");
  if (it == auth.end())
    return;
  if (!it->second.is_array())
    bad("auth.tokens", "expected an array of tables ([[auth.tokens]])");
  size_t index = 0;
  for (const auto& entry : it->second.as_array())
    cfg.tokens.push_back(read_token(entry, "auth.tokens[" + std::to_string(index++) + "]"));
}

/// One [[partners]] entry: contract_set's fields (checked by the engine when it starts).
partner_contract read_partner(const toml::value& entry, const std::string& name) {
  if (!entry.is_table())
    bad(name, "expected a table with partner, kind, currency, cycle, share_bps, ...");
  const auto& t = entry.as_table();
  check_keys(t, name, {"partner", "kind", "currency", "cycle", "tz", "cutoff", "weekday", "day",
                       "share_bps", "via", "credit_alert", "max_tps"});
  partner_contract p;
  auto& c = p.terms;
  for (auto [key, out] : {std::pair{"partner", &p.partner}, std::pair{"kind", &c.kind},
                          std::pair{"currency", &c.currency}, std::pair{"cycle", &c.cycle}})
    if (!read_string(t, name, key, *out))
      bad(name + "." + key, "missing");
  read_string(t, name, "tz", c.tz);
  read_string(t, name, "cutoff", c.cutoff);
  read_string(t, name, "weekday", c.weekday);
  read_string(t, name, "via", c.via);
  if (auto it = t.find("day"); it != t.end()) {
    if (it->second.is_integer())
      c.day = std::to_string(it->second.as_integer());
    else
      read_string(it->second, name + ".day", c.day);
  }
  auto it = t.find("share_bps");
  if (it == t.end())
    bad(name + ".share_bps", "missing");
  read_int(it->second, name + ".share_bps", c.share_bps);
  for (auto [key, out] : {std::pair{"credit_alert", &c.credit_alert},
                          std::pair{"max_tps", &c.max_tps}})
    if (auto v = t.find(key); v != t.end()) {
      int64_t n = 0;
      read_int(v->second, name + "." + key, n);
      *out = n;
    }
  return p;
}

/// An array of tables ([[key]]) at the top level, each read by `one(entry, "key[i]")`.
template <class T, class F>
void read_tables(const toml::table& root, const std::string& key, F&& one, std::vector<T>& out) {
  auto it = root.find(key);
  if (it == root.end())
    return;
  if (!it->second.is_array())
    bad(key, "expected an array of tables ([[" + key + "]])");
  size_t index = 0;
  for (const auto& entry : it->second.as_array())
    out.push_back(one(entry, key + "[" + std::to_string(index++) + "]"));
}

/// One [[alerts]] entry (checked by validate()).
metrics::alert_rule read_alert(const toml::value& entry, const std::string& name) {
  if (!entry.is_table())
    bad(name, "expected a table with name, rule, threshold and window_s");
  const auto& t = entry.as_table();
  check_keys(t, name, {"name", "rule", "threshold", "window_s", "partner", "currency",
                       "baseline_s"});
  metrics::alert_rule r;
  std::string rule;
  if (!read_string(t, name, "name", r.name))
    bad(name + ".name", "missing");
  if (!read_string(t, name, "rule", rule))
    bad(name + ".rule", "missing");
  auto kind = metrics::alert_rule_kind_of(rule);
  if (!kind)
    bad(name + ".rule", "expected error_rate, p99_ms, journal_unavailable, "
                        "subscribers_dropped, credit_low, win_rate_shift or ggr_shift, got '" +
                            rule + "'");
  r.kind = *kind;
  if (auto it = t.find("threshold"); it != t.end()) {
    if (it->second.is_integer())
      r.threshold = static_cast<double>(it->second.as_integer());
    else if (it->second.is_floating())
      r.threshold = it->second.as_floating();
    else
      bad(name + ".threshold", "expected a number");
  } else if (r.kind != metrics::alert_rule_kind::journal_unavailable &&
             r.kind != metrics::alert_rule_kind::credit_low) {
    bad(name + ".threshold", "missing");
  }
  if (auto it = t.find("window_s"); it != t.end())
    read_int(it->second, name + ".window_s", r.window_s);
  if (auto it = t.find("baseline_s"); it != t.end())
    read_int(it->second, name + ".baseline_s", r.baseline_s);
  read_string(t, name, "partner", r.partner);
  read_string(t, name, "currency", r.currency);
  return r;
}

void read_root(const toml::table& root, engine_config& cfg) {
  // The sections and their keys are the table's; [auth] holds the token list.
  std::set<std::string> sections{"auth", "partners", "alerts"};
  for (const auto& s : settings())
    sections.insert(std::string{s.section});
  check_keys(root, "", sections);
  for (const auto& name : sections) {
    if (name == "auth" || name == "partners" || name == "alerts")
      continue;
    const auto& tab = section(root, name);
    std::set<std::string> keys;
    for (const auto& s : settings())
      if (s.section == name)
        keys.insert(std::string{s.key});
    check_keys(tab, name, keys);
    for (const auto& s : settings())
      if (auto it = tab.find(std::string{s.key}); s.section == name && it != tab.end())
        read_setting(it->second, s, cfg);
  }
  read_tokens(section(root, "auth"), cfg);
  read_tables(root, "partners", read_partner, cfg.partners);
  read_tables(root, "alerts", read_alert, cfg.alerts);
}

}  // namespace

engine_config load_file(const std::string& path) {
  engine_config cfg;
  if (path.empty())
    return cfg;
  toml::value root_value;
  try {
    root_value = toml::parse(path);
  } catch (const std::exception& e) {
    throw std::runtime_error("config: cannot read " + path + ": " + e.what());
  }
  try {
    read_root(root_value.as_table(), cfg);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string{e.what()} + " (in " + path + ")");
  }
  return cfg;
}

}  // namespace settle::config
