#include "bench/recovery/settled_log.hpp"

#include <cstdio>
#include <ctime>
#include <fstream>
#include <regex>

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

template <class T>
std::optional<T> capture(const std::string& text, const std::regex& re) {
  std::smatch m;
  if (!std::regex_search(text, m, re))
    return std::nullopt;
  if constexpr (std::is_floating_point_v<T>)
    return std::stod(m[1].str());
  else
    return static_cast<T>(std::stoull(m[1].str()));
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
  static const std::regex snapshot_accounts{R"(snapshot with (\d+) accounts)"};
  static const std::regex snapshot_ids{R"(accounts and (\d+) ids loaded)"};
  static const std::regex snapshot_ms{R"(ids loaded in ([0-9.]+) ms)"};
  static const std::regex batches{R"(journal replay of (\d+) batches)"};
  static const std::regex records{R"(batches, (\d+) records)"};
  static const std::regex replay_ms{R"(records in ([0-9.]+) ms)"};
  static const std::regex check_ms{R"(zero-sum verified in ([0-9.]+) ms)"};
  static const std::regex total_ms{R"(; total ([0-9.]+) ms)"};
  recovery_figures f;
  for (const auto& l : lines) {
    if (!l.text.starts_with("recovery:"))
      continue;
    auto set = [&](auto& field, const std::regex& re) {
      using value = typename std::remove_reference_t<decltype(field)>::value_type;
      if (auto v = capture<value>(l.text, re))
        field = v;
    };
    set(f.snapshot_accounts, snapshot_accounts);
    set(f.snapshot_ids, snapshot_ids);
    set(f.snapshot_load_ms, snapshot_ms);
    set(f.replay_batches, batches);
    set(f.replay_records, records);
    set(f.journal_replay_ms, replay_ms);
    set(f.check_ms, check_ms);
    set(f.store_total_ms, total_ms);
  }
  return f;
}

}  // namespace settle::bench::recovery
