// The settings table of docs/configuration.md, made from the settings table (a test checks
// that the docs hold exactly this; `settled --print-settings-markdown` prints it).
#include "config/settings.hpp"

namespace settle::config {

namespace {

/// A cell's text: a '|' would end the cell.
std::string cell(std::string_view text) {
  std::string out;
  for (char ch : text) {
    if (ch == '|')
      out += '\\';
    out += ch;
  }
  return out;
}

std::string code(std::string_view text) {
  return "`" + cell(text) + "`";
}

std::string default_cell(const setting& s) {
  const engine_config defaults;
  auto text = code(toml_text(s, defaults));
  if (flag_text(s, defaults).empty() && !s.empty_means.empty())
    text += " (" + std::string{s.empty_means} + ")";
  return text;
}

std::string accepted_cell(const setting& s) {
  if (s.form == setting_form::presence)
    return "`true`, `false` (the flag takes no value: it turns this on)";
  if (std::holds_alternative<bool engine_config::*>(s.member))
    return "`true`, `false` (flag: `on`, `off`)";
  if (s.is_integer())
    return cell(std::to_string(s.min) + " .. " + std::to_string(s.max));
  if (!s.allowed.empty()) {
    std::string out;
    for (auto v : s.allowed)
      out += (out.empty() ? "" : ", ") + code(v);
    return out;
  }
  return s.rule.text.empty() ? "any" : cell(s.rule.text);
}

}  // namespace

std::string settings_markdown() {
  std::string out =
      "| Setting | Flag | Default | Unit | Accepted | Meaning |\n"
      "|---|---|---|---|---|---|\n";
  for (const auto& s : settings())
    out += "| " + code("[" + std::string{s.section} + "] " + std::string{s.key}) + " | " +
           code(s.flag) + " | " + default_cell(s) + " | " + cell(s.unit) + " | " +
           accepted_cell(s) + " | " + cell(s.help) + " |\n";
  return out;
}

}  // namespace settle::config
