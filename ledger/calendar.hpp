// Settlement cycle boundaries: when a partner contract's period closes, in the contract's time
// zone. Pure once the zone is loaded: the boundary functions read no clock and no file (the
// caller passes the instant); load_zone() / parse_cycle() are the one place that reads tz files
// (/usr/share/zoneinfo, or $TZDIR), and run where a contract is configured, not per request.
//
// Boundaries fall at the cutoff, local time: every day (daily), on one weekday (weekly), or on
// one day of the month (monthly; `last` is the month's last day). Daylight saving:
//  - a cutoff that does not exist that day (a spring-forward gap, 02:30 in Europe/Berlin on the
//    last Sunday of March) closes at the instant the gap ends: the transition, whose local time
//    is the first valid one after the gap (03:00 CEST);
//  - a cutoff that occurs twice (a fall-back overlap, 02:30 in Berlin on the last Sunday of
//    October) closes at its FIRST occurrence (02:30 CEST, not 02:30 CET).
// So each local day has exactly one boundary, and a daily period at 00:00 Berlin lasts 23 h or
// 25 h across a change. Instants are Unix milliseconds, UTC; boundaries are whole seconds.
#pragma once

#include <absl/time/time.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace settle::ledger {

enum class cycle_kind : uint8_t { daily, weekly, monthly };

/// A validated settlement cycle (parse_cycle builds one from the contract's wire strings).
struct cycle_spec {
  cycle_kind kind = cycle_kind::daily;
  int weekday = 0;         // weekly: 0 = mon .. 6 = sun
  int day = 1;             // monthly: 1..28, or 0 for the last day of the month
  int cutoff_minutes = 0;  // local time of day, 0..1439 (HH * 60 + MM)
  absl::TimeZone zone;     // loaded by load_zone(); absl's default is UTC
  std::string zone_name = "UTC";
};

/// What parse_cycle says: the spec, or an error naming the field ("field 'cutoff': ...").
struct cycle_parse {
  std::optional<cycle_spec> spec;
  std::string error;  // refusals only

  bool ok() const { return spec.has_value(); }
};

/// The contract's cycle from its wire strings (absent fields: std::nullopt):
///  - `cycle`: daily, weekly or monthly;
///  - `weekday`: mon..sun, required for weekly and refused for the others;
///  - `day`: 1..28 or last, required for monthly and refused for the others (29..31 are
///    refused, not clamped: `last` says "month end" without a day that some months lack);
///  - `cutoff`: HH:MM, 00:00..23:59, default 00:00;
///  - `tz`: an IANA zone name, default UTC; loaded through load_zone(), so this reads a file.
cycle_parse parse_cycle(std::string_view cycle, std::optional<std::string_view> weekday,
                        std::optional<std::string_view> day, std::optional<std::string_view> cutoff,
                        std::optional<std::string_view> tz);

/// The one place that reads tz files. Refuses names that could leave the zoneinfo directory
/// or mean something else to abseil: empty, "..", a leading '/', characters outside
/// [A-Za-z0-9/_+-], "localtime" (the machine's zone), "right/..." (leap-second clocks).
/// Nothing when the name is refused or no such zone is installed.
std::optional<absl::TimeZone> load_zone(std::string_view iana_name);

/// The first boundary strictly after `after_unix_ms` (at a boundary: the next one).
int64_t next_boundary_ms(const cycle_spec& spec, int64_t after_unix_ms);
/// The latest boundary at or before `at_unix_ms` (at a boundary: that one).
int64_t last_boundary_ms(const cycle_spec& spec, int64_t at_unix_ms);

/// The instants the boundary functions accept: years 0001..9999 UTC (an instant outside is a
/// caller's bug, asserted).
inline constexpr int64_t min_calendar_unix_ms = -62'135'596'800'000;  // 0001-01-01T00:00:00Z
inline constexpr int64_t max_calendar_unix_ms = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z

}  // namespace settle::ledger
