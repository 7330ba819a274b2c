// The settings of `settled` as one table: a row per setting with its TOML key, flag, member of
// engine_config, unit, range and help. Reading the file, the flags, validation, --help and the
// table in docs/configuration.md are all made from it, so they cannot disagree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "config/engine_config.hpp"

namespace settle::config {

/// Where a setting lives in engine_config; the alternative held is its type.
using member_ref = std::variant<uint16_t engine_config::*, uint32_t engine_config::*,
                                uint64_t engine_config::*, int64_t engine_config::*,
                                bool engine_config::*, std::string engine_config::*>;

/// The type a member pointer points to (uint32_t for `uint32_t engine_config::*`).
template <class Ptr>
using member_type = std::remove_cvref_t<decltype(std::declval<engine_config&>().*Ptr{})>;

/// How a setting is written where its type alone does not say.
enum class setting_form {
  plain,      // as its type; a boolean is true/false in TOML and on|off as a flag
  host_port,  // "HOST:PORT" into listen_host (the member) and listen_port
  presence,   // a boolean whose flag takes no value and turns it on
};

/// A string's rule beyond a list of values: why `value` is refused ("" when fine), and the
/// rule in words for --help and the docs.
struct string_rule {
  std::string (*why_not)(const std::string& value) = nullptr;
  std::string_view text{};
};

/// One row. Every member has a default, so rows name only what they need (designated
/// initializers, in this order).
struct setting {
  std::string_view section{};  // TOML table ("server")
  std::string_view key{};      // TOML key in it ("max_frame_bytes")
  std::string_view flag{};     // "--max-frame-bytes"
  member_ref member{};
  std::string_view unit{};     // "bytes", "us", "ms", "s", "records", ... or ""
  int64_t min = 0, max = 0;  // integers: the accepted range, both ends included
  std::vector<std::string_view> allowed{};  // strings: the accepted values (empty: any)
  string_rule rule{};                       // strings: checked after `allowed`
  std::string_view help{};
  setting_form form = setting_form::plain;
  std::string_view empty_means{};  // how an empty default reads ("embedded")

  /// "section.key", as errors name it.
  std::string name() const;
  bool is_integer() const;
};

/// Every setting, in the order of the example file and the docs.
const std::vector<setting>& settings();

/// The row's value in `c` as a flag would give it ("on", "127.0.0.1:7400", "4096").
std::string flag_text(const setting& s, const engine_config& c);
/// The row's value in `c` as TOML writes it (true, "127.0.0.1:7400", 4096).
std::string toml_text(const setting& s, const engine_config& c);
/// What is accepted, in words: "1..1024", "always, everysec, no", "on, off", or the rule.
std::string range_text(const setting& s);
/// The --help line: the help, then unit and range in brackets, then ([section] key).
std::string help_text(const setting& s);

/// The Markdown table of every setting, as in docs/configuration.md between its markers.
std::string settings_markdown();

}  // namespace settle::config
