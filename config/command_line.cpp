// parse_command_line: a flag per row of the settings table, plus --config, --token,
// --print-settings-markdown and SETTLE_ADMIN_TOKEN.
#include <charconv>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>

#include <CLI/CLI.hpp>

#include "config/settings.hpp"

namespace settle::config {

namespace {

[[noreturn]] void bad(const std::string& key, const std::string& why) {
  throw std::runtime_error("config: " + key + ": " + why);
}

/// "TOKEN:ROLE[:PARTNER]" of --token.
token_entry parse_token_spec(const std::string& spec) {
  auto first = spec.find(':');
  if (first == std::string::npos || first == 0)
    bad("--token", "expected TOKEN:ROLE[:PARTNER], got '" + spec + "'");
  token_entry t;
  t.token = spec.substr(0, first);
  auto rest = spec.substr(first + 1);
  auto second = rest.find(':');
  auto role_text = rest.substr(0, second);
  if (!protocol::parse(role_text, t.granted_role))
    bad("--token", "unknown role '" + role_text + "' (admin, partner, viewer)");
  if (second != std::string::npos)
    t.partner = rest.substr(second + 1);
  if (t.granted_role == protocol::role::partner && t.partner.empty())
    bad("--token", "a partner token needs a partner: TOKEN:partner:PARTNER");
  if (t.granted_role != protocol::role::partner && second != std::string::npos)
    bad("--token", "only partner tokens name a partner, got '" + spec + "'");
  return t;
}

/// `text` as a T: decimal digits, '-' first for signed types, within T. Read here rather than
/// by CLI11 2.1, which saturates int64 (9223372036854775808 becomes its largest) and turns
/// "-1" into uint64's largest.
template <class T>
std::optional<T> to_integer(const std::string& text) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return v;
}

template <class T>
std::string integer_check(std::string& text) {
  if (to_integer<T>(text))
    return "";
  return "expected a whole number from " + std::to_string(std::numeric_limits<T>::min()) +
         " to " + std::to_string(std::numeric_limits<T>::max()) + ", got '" + text + "'";
}

/// Sets what a given flag said; flags not given leave the file's value.
using apply_flag = std::function<void(engine_config&)>;

/// Declares the row's flag. Values land in optionals, so only given flags override the file;
/// The type is checked here (a negative or too large number is refused), the range by validate.
apply_flag add_setting(CLI::App& app, const setting& s) {
  const std::string flag{s.flag}, help = help_text(s);
  const engine_config defaults;
  if (s.form == setting_form::presence) {
    auto given = std::make_shared<bool>(false);
    app.add_flag(flag, *given, help);
    auto ptr = std::get<bool engine_config::*>(s.member);
    return [given, ptr](engine_config& c) { if (*given) c.*ptr = true; };
  }
  std::string shown = flag_text(s, defaults);
  if (shown.empty() && !s.empty_means.empty())
    shown = s.empty_means;
  if (s.form == setting_form::host_port) {
    auto text = std::make_shared<std::optional<std::string>>();
    app.add_option(flag, *text, help)->default_str(shown);
    return [text, flag](engine_config& c) { if (*text) parse_listen(flag, **text, c); };
  }
  return std::visit(
      [&](auto ptr) -> apply_flag {
        using T = member_type<decltype(ptr)>;
        if constexpr (std::is_same_v<T, bool>) {
          auto text = std::make_shared<std::optional<std::string>>();
          app.add_option(flag, *text, help)
              ->check(CLI::IsMember({"on", "off"}))
              ->default_str(shown);
          return [text, ptr](engine_config& c) { if (*text) c.*ptr = **text == "on"; };
        } else if constexpr (std::is_same_v<T, std::string>) {
          auto text = std::make_shared<std::optional<std::string>>();
          app.add_option(flag, *text, help)->default_str(shown);
          return [text, ptr](engine_config& c) { if (*text) c.*ptr = **text; };
        } else {
          auto text = std::make_shared<std::optional<std::string>>();
          app.add_option(flag, *text, help)
              ->type_name(std::is_signed_v<T> ? "INT" : "UINT")
              ->check(CLI::Validator(integer_check<T>, ""))
              ->default_str(shown);
          return [text, ptr](engine_config& c) { if (*text) c.*ptr = *to_integer<T>(**text); };
        }
      },
      s.member);
}

void add_environment_token(engine_config& out) {
  if (const char* admin = std::getenv("SETTLE_ADMIN_TOKEN"); admin != nullptr && *admin != '\0') {
    token_entry t;
    t.token = admin;
    t.granted_role = protocol::role::admin;
    t.name = "env-admin";
    out.tokens.push_back(std::move(t));
  }
}

}  // namespace

bool parse_command_line(int argc, char** argv, engine_config& out, int& exit_code) {
  CLI::App app{"settled: real-time settlement engine (protocol v1 over TCP)", "settled"};
  std::string config_path;
  std::vector<std::string> token_specs;
  bool print_markdown = false;
  app.add_option("--config", config_path,
                 "TOML file loaded first; the other flags override it "
                 "(see config/settled.example.toml; default: none, built-in defaults)");
  std::vector<apply_flag> appliers;
  for (const auto& s : settings())
    appliers.push_back(add_setting(app, s));
  app.add_option("--token", token_specs,
                 "adds a token, TOKEN:ROLE[:PARTNER] with ROLE admin, partner (PARTNER "
                 "required) or viewer; repeatable, added to [[auth.tokens]] (default: none)");
  app.add_flag("--print-settings-markdown", print_markdown,
               "prints the table of settings (as in docs/configuration.md) and exits");
  app.footer("Booleans are on or off as flags, true or false in the file.\n"
             "Environment: SETTLE_ADMIN_TOKEN, when set and not empty, adds one admin token.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    exit_code = app.exit(e) == 0 ? 0 : 2;
    return false;
  }
  exit_code = 0;
  if (print_markdown) {
    std::cout << settings_markdown();
    return false;
  }
  out = load_file(config_path);
  for (const auto& apply : appliers)
    apply(out);
  for (const auto& spec : token_specs)
    out.tokens.push_back(parse_token_spec(spec));
  add_environment_token(out);
  return true;
}

}  // namespace settle::config
