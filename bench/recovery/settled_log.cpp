#include "bench/recovery/settled_log.hpp"

#include <cstdio>
#include <ctime>
#include <fstream>
#include <cctype>
#include <string_view>

namespace settle::bench::recovery {

namespace {

/// Parses "[YYYY-mm-dd HH:MM:SS.mmm] [name] [level] text"; spdlog writes local time.
bool parse_line(const std::string& line, std::chrono::system_clock::time_point origin,
                log_line& out) {
  std::tm tm{};
  int millis = 0, consumed = 0;
  if (std::sscanf(line.c_str(), "[%d-%d-%d %d:%d:%d.%d]%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis, &consumed) != 7)
    return false;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  std::time_t seconds = std::mktime(&tm);
  if (seconds == -1)
    return false;
  auto at = std::chrono::system_clock::from_time_t(seconds) + std::chrono::milliseconds(millis);
  out.at_ms = std::chrono::duration<double, std::milli>(at - origin).count();
  // Two bracketed fields follow: the logger's name and the level.
  std::string rest = line.substr(static_cast<size_t>(consumed));
  for (int field = 0; field < 2; ++field) {
    auto open = rest.find('[');
    auto close = rest.find(']', open);
    if (open == std::string::npos || close == std::string::npos)
      return false;
    if (field == 1)
      out.level = rest.substr(open + 1, close - open - 1);
    rest = rest.substr(close + 1);
  }
  out.text = rest.starts_with(" ") ? rest.substr(1) : rest;
  return true;
}

/// The number between `before` and `after` in `text`, if present. Hand-written rather
/// than std::regex: GCC 12's <regex> trips -Wmaybe-uninitialized under the sanitizers.
template <class T>
std::optional<T> capture(const std::string& text, std::string_view before, std::string_view after) {
  for (size_t at = text.find(before); at != std::string::npos; at = text.find(before, at + 1)) {
    size_t first = at + before.size(), last = first;
    while (last < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[last])) ||
            (std::is_floating_point_v<T> && text[last] == '.')))
      ++last;
    if (last == first || text.compare(last, after.size(), after) != 0)
      continue;
    auto digits = text.substr(first, last - first);
    if constexpr (std::is_floating_point_v<T>)
      return std::stod(digits);
    else
      return static_cast<T>(std::stoull(digits));
  }
  return std::nullopt;
}

}  // namespace

std::vector<log_line> read_log(const std::string& path,
                               std::chrono::system_clock::time_point spawned_at) {
  std::vector<log_line> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    log_line l;
    if (!parse_line(line, spawned_at, l)) {
      l = log_line{};
      l.text = line;
    }
    lines.push_back(std::move(l));
  }
  return lines;
}

recovery_figures parse_recovery(const std::vector<log_line>& lines) {
  // The wording of persistence/durable_store.cpp's log lines.
  recovery_figures f;
  for (const auto& l : lines) {
    if (!l.text.starts_with("recovery:"))
      continue;
    auto set = [&](auto& field, std::string_view before, std::string_view after) {
      using value = typename std::remove_reference_t<decltype(field)>::value_type;
      if (auto v = capture<value>(l.text, before, after))
        field = v;
    };
    set(f.snapshot_accounts, "snapshot with ", " accounts");
    set(f.snapshot_ids, "accounts and ", " ids loaded");
    set(f.snapshot_load_ms, "ids loaded in ", " ms");
    set(f.replay_batches, "journal replay of ", " batches");
    set(f.replay_records, "batches, ", " records");
    set(f.journal_replay_ms, "records in ", " ms");
    set(f.check_ms, "zero-sum verified in ", " ms");
    set(f.store_total_ms, "; total ", " ms");
  }
  return f;
}

}  // namespace settle::bench::recovery
