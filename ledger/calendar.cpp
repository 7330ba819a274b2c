#include "ledger/calendar.hpp"

#include <absl/time/civil_time.h>

#include <string>

#include "base/invariant.hpp"

namespace settle::ledger {
namespace {

constexpr std::string_view weekday_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr size_t max_zone_name = 64;  // the longest IANA name is ~30 characters
constexpr size_t max_echoed = 40;     // of a refused value, in an error message

/// 'x' for an error message: the value came from a contract, any length and any bytes, so it
/// is cut short and what is not printable ASCII (or a quote) is written as \xNN.
std::string quoted(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "'";
  for (char c : text.substr(0, max_echoed)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\'' && c != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xf];
    }
  }
  if (text.size() > max_echoed) out += "...";
  return out + "'";
}
std::string got(std::string_view text) { return "got " + quoted(text); }
/// The refusal "field 'F': problem".
cycle_parse refused(std::string_view field, std::string_view problem) {
  cycle_parse out;
  out.error = "field '" + std::string{field} + "': " + std::string{problem};
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool zone_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '/' || c == '_' ||
         c == '+' || c == '-';
}

/// Whether abseil may be given the name: it opens <zoneinfo dir>/<name>, takes a leading '/'
/// as an absolute path, and "localtime" as the machine's own zone.
bool acceptable_zone_name(std::string_view name) {
  if (name.empty() || name.size() > max_zone_name) return false;
  // ".." is also outside the characters below; refused by name anyway, as the reason.
  if (name.front() == '/' || name.find("..") != std::string_view::npos) return false;
  for (char c : name)
    if (!zone_char(c)) return false;
  // right/ zones count leap seconds, which Unix time does not: boundaries would be 27 s off.
  return name != "localtime" && !name.starts_with("right/");
}

/// "HH:MM", 00:00..23:59, as minutes of the day.
std::optional<int> parse_cutoff(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (int i : {0, 1, 3, 4})
    if (!is_digit(text[i])) return std::nullopt;
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 23 || minutes > 59) return std::nullopt;
  return hours * 60 + minutes;
}

/// "1".."28" (no sign, no leading zero), or "last" as 0.
std::optional<int> parse_day(std::string_view text) {
  if (text == "last") return 0;
  if (text.empty() || text.size() > 2 || text[0] == '0') return std::nullopt;
  int day = 0;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    day = day * 10 + (c - '0');
  }
  if (day > 28) return std::nullopt;
  return day;
}

std::optional<int> parse_weekday(std::string_view text) {
  for (int i = 0; i < 7; ++i)
    if (text == weekday_names[i]) return i;
  return std::nullopt;
}

std::optional<cycle_kind> parse_kind(std::string_view text) {
  if (text == "daily") return cycle_kind::daily;
  if (text == "weekly") return cycle_kind::weekly;
  if (text == "monthly") return cycle_kind::monthly;
  return std::nullopt;
}

std::string_view kind_name(cycle_kind kind) {
  switch (kind) {
    case cycle_kind::daily: return "daily";
    case cycle_kind::weekly: return "weekly";
    case cycle_kind::monthly: return "monthly";
  }
  return "?";
}

/// The weekday / day fields: present exactly when the kind needs them. The refusal, if any.
std::optional<cycle_parse> check_presence(cycle_kind kind, bool has_weekday, bool has_day) {
  const std::string of = std::string{kind_name(kind)} + " cycle";
  const bool weekly = kind == cycle_kind::weekly, monthly = kind == cycle_kind::monthly;
  if (weekly && !has_weekday) return refused("weekday", "required for a " + of);
  if (!weekly && has_weekday) return refused("weekday", "not allowed for a " + of);
  if (monthly && !has_day) return refused("day", "required for a " + of);
  if (!monthly && has_day) return refused("day", "not allowed for a " + of);
  return std::nullopt;
}

bool valid(const cycle_spec& s) {
  return s.weekday >= 0 && s.weekday <= 6 && s.day >= 0 && s.day <= 28 && s.cutoff_minutes >= 0 &&
         s.cutoff_minutes < 24 * 60;
}

// -- which local days carry a boundary --

absl::CivilDay month_end(absl::CivilDay d) { return absl::CivilDay(absl::CivilMonth(d) + 1) - 1; }

/// The boundary day of the month that `d` is in.
absl::CivilDay monthly_day_in(const cycle_spec& s, absl::CivilDay d) {
  if (s.day == 0) return month_end(d);
  return absl::CivilDay(absl::CivilMonth(d)) + (s.day - 1);
}

/// How many days from `d`'s weekday forward to the spec's weekday (0..6).
int days_to_weekday(const cycle_spec& s, absl::CivilDay d) {
  const int today = static_cast<int>(absl::GetWeekday(d));  // absl counts monday = 0 too
  return (s.weekday - today + 7) % 7;
}

/// The first boundary day on or after `d`.
absl::CivilDay boundary_day_from(const cycle_spec& s, absl::CivilDay d) {
  switch (s.kind) {
    case cycle_kind::daily: return d;
    case cycle_kind::weekly: return d + days_to_weekday(s, d);
    case cycle_kind::monthly: {
      const absl::CivilDay here = monthly_day_in(s, d);
      return here >= d ? here : monthly_day_in(s, month_end(d) + 1);
    }
  }
  return d;
}

/// The last boundary day on or before `d`.
absl::CivilDay boundary_day_until(const cycle_spec& s, absl::CivilDay d) {
  switch (s.kind) {
    case cycle_kind::daily: return d;
    case cycle_kind::weekly: return d - (7 - days_to_weekday(s, d)) % 7;
    case cycle_kind::monthly: {
      const absl::CivilDay here = monthly_day_in(s, d);
      return here <= d ? here : monthly_day_in(s, absl::CivilDay(absl::CivilMonth(d)) - 1);
    }
  }
  return d;
}

/// The boundary on local day `d`: the cutoff, or the end of the gap it falls in, or the first
/// of its two occurrences (the rules in calendar.hpp).
int64_t boundary_on(const cycle_spec& s, absl::CivilDay d) {
  const absl::TimeZone::TimeInfo at = s.zone.At(absl::CivilSecond(d) + s.cutoff_minutes * 60);
  // SKIPPED: `trans` is when the gap ends. REPEATED: `pre` is the earlier occurrence.
  const absl::Time t = at.kind == absl::TimeZone::TimeInfo::SKIPPED ? at.trans : at.pre;
  return absl::ToUnixMillis(t);
}

absl::CivilDay local_day(const cycle_spec& s, int64_t unix_ms) {
  SETTLE_ASSERT(unix_ms >= min_calendar_unix_ms && unix_ms <= max_calendar_unix_ms,
                "instant outside years 0001..9999: " + std::to_string(unix_ms));
  return absl::ToCivilDay(absl::FromUnixMillis(unix_ms), s.zone);
}

// Both searches start a boundary day early (one local day of margin) and walk until the
// boundary is on the right side. A few steps suffice: local time -> instant (with the gap and
// overlap rules) only moves forward, so the boundary sought is at most a day from the
// instant's local day. More would be a bug.
constexpr int max_steps = 6;

}  // namespace

std::optional<absl::TimeZone> load_zone(std::string_view iana_name) {
  if (!acceptable_zone_name(iana_name)) return std::nullopt;
  absl::TimeZone zone;
  // Debian's abseil has its own string_view, not std's.
  if (!absl::LoadTimeZone(absl::string_view{iana_name.data(), iana_name.size()}, &zone))
    return std::nullopt;
  return zone;
}

cycle_parse parse_cycle(std::string_view cycle, std::optional<std::string_view> weekday,
                        std::optional<std::string_view> day, std::optional<std::string_view> cutoff,
                        std::optional<std::string_view> tz) {
  cycle_spec s;
  const auto kind = parse_kind(cycle);
  if (!kind) return refused("cycle", "expected daily, weekly or monthly, " + got(cycle));
  s.kind = *kind;
  if (auto refusal = check_presence(s.kind, weekday.has_value(), day.has_value()))
    return *std::move(refusal);
  if (weekday) {
    const auto w = parse_weekday(*weekday);
    if (!w) return refused("weekday", "expected mon..sun, " + got(*weekday));
    s.weekday = *w;
  }
  if (day) {
    const auto d = parse_day(*day);
    if (!d) return refused("day", "expected 1..28 or last, " + got(*day));
    s.day = *d;
  }
  if (cutoff) {
    const auto c = parse_cutoff(*cutoff);
    if (!c) return refused("cutoff", "expected HH:MM, " + got(*cutoff));
    s.cutoff_minutes = *c;
  }
  if (tz) {
    const auto zone = load_zone(*tz);
    if (!zone) return refused("tz", "unknown time zone " + quoted(*tz));
    s.zone = *zone;
    s.zone_name = std::string{*tz};
  }
  cycle_parse out;
  out.spec = std::move(s);
  return out;
}

int64_t next_boundary_ms(const cycle_spec& spec, int64_t after_unix_ms) {
  SETTLE_ASSERT(valid(spec), "cycle_spec out of range");
  // The day before is only margin (its boundary is never after the instant).
  absl::CivilDay d = boundary_day_from(spec, local_day(spec, after_unix_ms) - 1);
  for (int step = 0; step < max_steps; ++step) {
    const int64_t b = boundary_on(spec, d);
    if (b > after_unix_ms) return b;
    d = boundary_day_from(spec, d + 1);
  }
  SETTLE_ASSERT(false, "no boundary after " + std::to_string(after_unix_ms));
  return after_unix_ms;
}

int64_t last_boundary_ms(const cycle_spec& spec, int64_t at_unix_ms) {
  SETTLE_ASSERT(valid(spec), "cycle_spec out of range");
  // From the day after: in an overlap across midnight the instant's local day can read
  // earlier than a boundary that already passed (America/Goose_Bay fell back from 00:01 to
  // 23:01: at the second 23:30, the next day's 00:00 was 30 minutes ago).
  absl::CivilDay d = boundary_day_until(spec, local_day(spec, at_unix_ms) + 1);
  for (int step = 0; step < max_steps; ++step) {
    const int64_t b = boundary_on(spec, d);
    if (b <= at_unix_ms) return b;
    d = boundary_day_until(spec, d - 1);
  }
  SETTLE_ASSERT(false, "no boundary at or before " + std::to_string(at_unix_ms));
  return at_unix_ms;
}

}  // namespace settle::ledger
