// The specification of settlement cycle boundaries (ledger/calendar.hpp), as tables. Each
// boundary row: a cycle as the contract writes it, an instant, and the boundary at or before it
// (last_boundary_ms) and strictly after it (next_boundary_ms). Instants are UTC text; the local
// times they mean are in the comments. The expected values were checked against an independent
// brute-force search over Python's zoneinfo (same tzdata), not derived from the code.
//
// DST rules pinned here: a cutoff in a spring-forward gap closes when the gap ends; a cutoff in
// a fall-back overlap closes at its first occurrence.
#define BOOST_TEST_MODULE calendar
#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <boost/test/unit_test.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/calendar.hpp"

using namespace settle::ledger;

namespace {

/// A cycle as the wire spells it (null: the field is absent).
struct cycle_text {
  const char* cycle = "daily";
  const char* weekday = nullptr;
  const char* day = nullptr;
  const char* cutoff = nullptr;
  const char* tz = nullptr;
};
/// Any combination, for the refusals.
cycle_text wire(const char* cycle, const char* weekday, const char* day) {
  return {cycle, weekday, day, nullptr, nullptr};
}
cycle_text daily(const char* cutoff, const char* tz) {
  return {"daily", nullptr, nullptr, cutoff, tz};
}
cycle_text weekly(const char* weekday, const char* cutoff, const char* tz) {
  return {"weekly", weekday, nullptr, cutoff, tz};
}
cycle_text monthly(const char* day, const char* cutoff, const char* tz) {
  return {"monthly", nullptr, day, cutoff, tz};
}

std::optional<std::string_view> field(const char* text) {
  if (text == nullptr) return std::nullopt;
  return std::string_view{text};
}
cycle_parse parse(const cycle_text& c) {
  return parse_cycle(c.cycle, field(c.weekday), field(c.day), field(c.cutoff), field(c.tz));
}
cycle_spec spec_of(const cycle_text& c) {
  cycle_parse p = parse(c);
  BOOST_REQUIRE_MESSAGE(p.ok(), p.error);
  return *p.spec;
}

/// "2027-03-28T01:00:00Z" (fractional seconds allowed) as Unix milliseconds.
int64_t utc_ms(std::string_view text) {
  absl::Time t;
  std::string why;
  BOOST_REQUIRE_MESSAGE(absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", std::string{text}, &t, &why),
                        "bad test instant '" << text << "': " << why);
  return absl::ToUnixMillis(t);
}
/// The other way, so that a failure prints instants a person can read.
std::string utc_text(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}
std::string canonical(std::string_view text) { return utc_text(utc_ms(text)); }

struct boundary_row {
  const char* rule;
  cycle_text cycle;
  const char* at;
  const char* last;  // last_boundary_ms(at)
  const char* next;  // next_boundary_ms(at)
};

const boundary_row boundary_rows[] = {
    // -- daily, the plain cases --
    {"UTC midnight, midday", daily(nullptr, "UTC"), "2027-06-15T12:00:00Z", "2027-06-15T00:00:00Z",
     "2027-06-16T00:00:00Z"},
    {"defaults: 00:00 UTC; at a boundary, last is it and next the one after",
     daily(nullptr, nullptr), "2027-06-15T00:00:00Z", "2027-06-15T00:00:00Z",
     "2027-06-16T00:00:00Z"},
    {"a millisecond before a boundary is still the period before", daily("00:00", "UTC"),
     "2027-06-15T23:59:59.999Z", "2027-06-15T00:00:00Z", "2027-06-16T00:00:00Z"},
    {"Berlin midnight in winter is 23:00 UTC", daily("00:00", "Europe/Berlin"),
     "2027-01-10T12:00:00Z", "2027-01-09T23:00:00Z", "2027-01-10T23:00:00Z"},
    {"Berlin midnight in summer is 22:00 UTC", daily("00:00", "Europe/Berlin"),
     "2027-07-10T12:00:00Z", "2027-07-09T22:00:00Z", "2027-07-10T22:00:00Z"},
    {"Seoul 06:00 (+09, no DST) is 21:00 UTC the day before", daily("06:00", "Asia/Seoul"),
     "2027-01-01T00:00:00Z", "2026-12-31T21:00:00Z", "2027-01-01T21:00:00Z"},
    {"Kolkata midnight (+05:30), a second before", daily("00:00", "Asia/Kolkata"),
     "2027-05-01T18:29:59Z", "2027-04-30T18:30:00Z", "2027-05-01T18:30:00Z"},

    // -- daily, spring forward: a cutoff in the gap closes when the gap ends --
    {"Berlin 02:30 does not exist on 2027-03-28: closes at 03:00 CEST (01:00 UTC)",
     daily("02:30", "Europe/Berlin"), "2027-03-28T00:00:00Z", "2027-03-27T01:30:00Z",
     "2027-03-28T01:00:00Z"},
    {"at that gap's end: it is the boundary; the next is 02:30 CEST",
     daily("02:30", "Europe/Berlin"), "2027-03-28T01:00:00Z", "2027-03-28T01:00:00Z",
     "2027-03-29T00:30:00Z"},
    {"Berlin 06:00, outside the gap, just moves an hour in UTC", daily("06:00", "Europe/Berlin"),
     "2027-03-28T03:00:00Z", "2027-03-27T05:00:00Z", "2027-03-28T04:00:00Z"},
    {"New York 02:30 on 2027-03-14 closes at 03:00 EDT", daily("02:30", "America/New_York"),
     "2027-03-14T06:30:00Z", "2027-03-13T07:30:00Z", "2027-03-14T07:00:00Z"},
    {"New York midnight, the spring day", daily("00:00", "America/New_York"),
     "2027-03-14T12:00:00Z", "2027-03-14T05:00:00Z", "2027-03-15T04:00:00Z"},
    {"Sydney (southern DST) 02:30 on 2027-10-03 closes at 03:00 AEDT",
     daily("02:30", "Australia/Sydney"), "2027-10-02T15:00:00Z", "2027-10-01T16:30:00Z",
     "2027-10-02T16:00:00Z"},
    {"Chatham (+12:45 -> +13:45) 03:00 on 2027-09-26 closes at 03:45",
     daily("03:00", "Pacific/Chatham"), "2027-09-25T13:00:00Z", "2027-09-24T14:15:00Z",
     "2027-09-25T14:00:00Z"},
    {"Apia skipped 2011-12-30 whole: that day's 12:00 closes when 12-31 begins",
     daily("12:00", "Pacific/Apia"), "2011-12-30T09:00:00Z", "2011-12-29T22:00:00Z",
     "2011-12-30T10:00:00Z"},
    {"and 12-31 12:00 (+14) is the one after", daily("12:00", "Pacific/Apia"),
     "2011-12-30T10:00:00Z", "2011-12-30T10:00:00Z", "2011-12-30T22:00:00Z"},

    // -- daily, fall back: a cutoff in the overlap closes at its first occurrence --
    {"Berlin 02:30 happens twice on 2027-10-31: the boundary is 02:30 CEST (00:30 UTC)",
     daily("02:30", "Europe/Berlin"), "2027-10-31T00:00:00Z", "2027-10-30T00:30:00Z",
     "2027-10-31T00:30:00Z"},
    {"02:00 CET (the second pass) is after that boundary", daily("02:30", "Europe/Berlin"),
     "2027-10-31T01:00:00Z", "2027-10-31T00:30:00Z", "2027-11-01T01:30:00Z"},
    {"the second 02:30 (CET) is no boundary", daily("02:30", "Europe/Berlin"),
     "2027-10-31T01:30:00Z", "2027-10-31T00:30:00Z", "2027-11-01T01:30:00Z"},
    {"Berlin 06:00, outside the overlap", daily("06:00", "Europe/Berlin"), "2027-10-31T04:30:00Z",
     "2027-10-30T04:00:00Z", "2027-10-31T05:00:00Z"},
    {"New York 01:30 twice on 2027-11-07: 01:30 EDT; 01:00 EST is after it",
     daily("01:30", "America/New_York"), "2027-11-07T06:00:00Z", "2027-11-07T05:30:00Z",
     "2027-11-08T06:30:00Z"},
    {"Sydney 02:30 twice on 2027-04-04: 02:30 AEDT; 02:15 AEST is after it",
     daily("02:30", "Australia/Sydney"), "2027-04-03T16:15:00Z", "2027-04-03T15:30:00Z",
     "2027-04-04T16:30:00Z"},
    {"Goose Bay fell back at 00:01 to 23:01: at 23:30 AST (the 6th, again), the 7th's 00:00"
     " ADT has passed",
     daily("00:00", "America/Goose_Bay"), "2010-11-07T03:30:00Z", "2010-11-07T03:00:00Z",
     "2010-11-08T04:00:00Z"},

    // -- weekly --
    {"Mondays across the year end (2027-01-01 is a Friday)", weekly("mon", nullptr, "UTC"),
     "2026-12-31T12:00:00Z", "2026-12-28T00:00:00Z", "2027-01-04T00:00:00Z"},
    {"Sundays 23:00 Berlin across the year end", weekly("sun", "23:00", "Europe/Berlin"),
     "2028-01-01T12:00:00Z", "2027-12-26T22:00:00Z", "2028-01-02T22:00:00Z"},
    {"a weekly cutoff in the gap closes when it ends", weekly("sun", "02:30", "Europe/Berlin"),
     "2027-03-27T12:00:00Z", "2027-03-21T01:30:00Z", "2027-03-28T01:00:00Z"},
    {"at a weekly boundary; the next is 17:00 EST", weekly("fri", "17:00", "America/New_York"),
     "2027-11-05T21:00:00Z", "2027-11-05T21:00:00Z", "2027-11-12T22:00:00Z"},
    {"Sydney Wednesdays 09:00, AEST then AEDT", weekly("wed", "09:00", "Australia/Sydney"),
     "2027-10-05T12:00:00Z", "2027-09-28T23:00:00Z", "2027-10-05T22:00:00Z"},

    // -- monthly --
    {"last: January has 31 days", monthly("last", nullptr, "UTC"), "2027-01-15T00:00:00Z",
     "2026-12-31T00:00:00Z", "2027-01-31T00:00:00Z"},
    {"last: February of a leap year is the 29th", monthly("last", nullptr, "UTC"),
     "2028-02-10T00:00:00Z", "2028-01-31T00:00:00Z", "2028-02-29T00:00:00Z"},
    {"last: February of a common year is the 28th", monthly("last", nullptr, "UTC"),
     "2027-02-10T00:00:00Z", "2027-01-31T00:00:00Z", "2027-02-28T00:00:00Z"},
    {"last: April has 30 days", monthly("last", nullptr, "UTC"), "2027-04-15T00:00:00Z",
     "2027-03-31T00:00:00Z", "2027-04-30T00:00:00Z"},
    {"at a month-end boundary", monthly("last", nullptr, "UTC"), "2027-02-28T00:00:00Z",
     "2027-02-28T00:00:00Z", "2027-03-31T00:00:00Z"},
    {"last across the year end", monthly("last", nullptr, "UTC"), "2027-12-31T12:00:00Z",
     "2027-12-31T00:00:00Z", "2028-01-31T00:00:00Z"},
    {"Seoul the 1st 06:00 is the last day 21:00 UTC", monthly("1", "06:00", "Asia/Seoul"),
     "2027-01-01T00:00:00Z", "2026-12-31T21:00:00Z", "2027-01-31T21:00:00Z"},
    {"a second before it (05:59:59 KST)", monthly("1", "06:00", "Asia/Seoul"),
     "2026-12-31T20:59:59Z", "2026-11-30T21:00:00Z", "2026-12-31T21:00:00Z"},
    {"the 28th 06:00 Berlin, CET then CEST", monthly("28", "06:00", "Europe/Berlin"),
     "2027-03-15T00:00:00Z", "2027-02-28T05:00:00Z", "2027-03-28T04:00:00Z"},
    {"at a monthly boundary in Kolkata", monthly("15", nullptr, "Asia/Kolkata"),
     "2027-06-14T18:30:00Z", "2027-06-14T18:30:00Z", "2027-07-14T18:30:00Z"},
    {"Sydney month ends 23:00, AEDT then AEST", monthly("last", "23:00", "Australia/Sydney"),
     "2027-04-15T00:00:00Z", "2027-03-31T12:00:00Z", "2027-04-30T13:00:00Z"},
};

}  // namespace

BOOST_AUTO_TEST_CASE(boundaries) {
  for (const boundary_row& r : boundary_rows) {
    BOOST_TEST_CONTEXT(r.rule << " (at " << r.at << ")") {
      const cycle_spec s = spec_of(r.cycle);
      const int64_t at_ms = utc_ms(r.at);
      BOOST_CHECK_EQUAL(utc_text(last_boundary_ms(s, at_ms)), canonical(r.last));
      BOOST_CHECK_EQUAL(utc_text(next_boundary_ms(s, at_ms)), canonical(r.next));
    }
  }
}

namespace {

struct period_row {
  const char* rule;
  cycle_text cycle;
  const char* at;
  int64_t minutes;  // next_boundary_ms - last_boundary_ms around `at`
};

const period_row period_rows[] = {
    {"Berlin midnight, spring day: 23 h", daily("00:00", "Europe/Berlin"), "2027-03-28T12:00:00Z",
     23 * 60},
    {"Berlin midnight, fall day: 25 h", daily("00:00", "Europe/Berlin"), "2027-10-31T12:00:00Z",
     25 * 60},
    {"Berlin midnight, any other day: 24 h", daily("00:00", "Europe/Berlin"),
     "2027-06-01T12:00:00Z", 24 * 60},
    {"Berlin 02:30, the gap's hour is split between two periods", daily("02:30", "Europe/Berlin"),
     "2027-03-28T00:00:00Z", 23 * 60 + 30},
    {"... and the one after it", daily("02:30", "Europe/Berlin"), "2027-03-28T12:00:00Z",
     23 * 60 + 30},
    {"Berlin 02:30, the overlap's hour falls after the first 02:30",
     daily("02:30", "Europe/Berlin"), "2027-10-31T12:00:00Z", 25 * 60},
    {"New York midnight, fall day: 25 h", daily("00:00", "America/New_York"),
     "2027-11-07T12:00:00Z", 25 * 60},
    {"Sydney midnight, April (DST ends): 25 h", daily("00:00", "Australia/Sydney"),
     "2027-04-04T03:00:00Z", 25 * 60},
    {"Sydney midnight, October (DST starts): 23 h", daily("00:00", "Australia/Sydney"),
     "2027-10-03T00:00:00Z", 23 * 60},
    {"Chatham midnight, September (DST starts): 23 h", daily("00:00", "Pacific/Chatham"),
     "2027-09-26T00:00:00Z", 23 * 60},
    {"a week over New York's fall back: 169 h", weekly("fri", "17:00", "America/New_York"),
     "2027-11-08T12:00:00Z", 169 * 60},
    {"February 2028 to its last day: 29 days", monthly("last", nullptr, "UTC"),
     "2028-02-10T00:00:00Z", 29 * 24 * 60},
};

}  // namespace

BOOST_AUTO_TEST_CASE(period_lengths) {
  for (const period_row& r : period_rows) {
    BOOST_TEST_CONTEXT(r.rule) {
      const cycle_spec s = spec_of(r.cycle);
      const int64_t at_ms = utc_ms(r.at);
      BOOST_CHECK_EQUAL(next_boundary_ms(s, at_ms) - last_boundary_ms(s, at_ms),
                        r.minutes * 60'000);
    }
  }
}

namespace {

/// Walks two years of boundaries of `c` and checks that the two functions agree everywhere:
/// each boundary is its own last, the instant before it belongs to the period before, and a
/// daily cycle has exactly one boundary per local day.
void walk(const cycle_text& c) {
  const cycle_spec s = spec_of(c);
  const int64_t end_ms = utc_ms("2029-01-01T00:00:00Z");
  int64_t b = next_boundary_ms(s, utc_ms("2026-12-01T00:00:00Z"));
  while (b < end_ms) {
    const int64_t n = next_boundary_ms(s, b);
    BOOST_TEST_CONTEXT(utc_text(b) << " -> " << utc_text(n)) {
      BOOST_REQUIRE_GT(n, b);
      BOOST_CHECK_EQUAL(last_boundary_ms(s, b), b);
      BOOST_CHECK_EQUAL(last_boundary_ms(s, n - 1), b);
      BOOST_CHECK_EQUAL(last_boundary_ms(s, b + (n - b) / 2), b);
      BOOST_CHECK_EQUAL(next_boundary_ms(s, n - 1), n);
      BOOST_CHECK_EQUAL(n % 1000, 0);  // whole seconds
      if (s.kind == cycle_kind::daily) {
        const auto day = [&](int64_t ms) {
          return absl::ToCivilDay(absl::FromUnixMillis(ms), s.zone);
        };
        BOOST_CHECK_EQUAL(day(n) - day(b), 1);
      }
    }
    b = n;
  }
}

const char* const zones[] = {
    "UTC",          "Europe/Berlin",  "America/New_York", "Asia/Seoul", "Australia/Sydney",
    "Asia/Kolkata", "Pacific/Chatham"};

}  // namespace

BOOST_AUTO_TEST_CASE(two_years_of_boundaries_in_every_zone) {
  for (const char* tz : zones) {
    BOOST_TEST_CONTEXT(tz) {
      // Midnight, inside New York's / Berlin's / Chatham's transition hours, and late evening.
      for (const char* cutoff : {"00:00", "01:30", "02:30", "02:45", "03:15", "23:30"})
        BOOST_TEST_CONTEXT(cutoff) { walk(daily(cutoff, tz)); }
      walk(weekly("sun", "02:30", tz));
      walk(monthly("last", "02:30", tz));
      walk(monthly("1", nullptr, tz));
    }
  }
}

namespace {

struct parse_row {
  const char* rule;
  cycle_text in;
  const char* error;  // null: accepted
};

const parse_row parse_rows[] = {
    // -- accepted --
    {"daily with every default", wire("daily", nullptr, nullptr), nullptr},
    {"weekly needs its weekday", weekly("sun", "23:59", "Asia/Kolkata"), nullptr},
    {"monthly needs its day", monthly("28", "06:00", "Asia/Seoul"), nullptr},
    {"monthly at the month end", monthly("last", nullptr, nullptr), nullptr},
    {"zone names with + and -", daily(nullptr, "Etc/GMT+5"), nullptr},
    {"zone names with - and _", daily(nullptr, "America/Port-au-Prince"), nullptr},

    // -- the kind and which fields it takes --
    {"an unknown cycle", wire("hourly", nullptr, nullptr),
     "field 'cycle': expected daily, weekly or monthly, got 'hourly'"},
    {"cycle names are lower case", wire("Daily", nullptr, nullptr),
     "field 'cycle': expected daily, weekly or monthly, got 'Daily'"},
    {"weekly without a weekday", weekly(nullptr, nullptr, nullptr),
     "field 'weekday': required for a weekly cycle"},
    {"daily with a weekday", wire("daily", "mon", nullptr),
     "field 'weekday': not allowed for a daily cycle"},
    {"monthly with a weekday", wire("monthly", "mon", "1"),
     "field 'weekday': not allowed for a monthly cycle"},
    {"monthly without a day", monthly(nullptr, nullptr, nullptr),
     "field 'day': required for a monthly cycle"},
    {"weekly with a day", wire("weekly", "mon", "1"),
     "field 'day': not allowed for a weekly cycle"},

    // -- weekday, day --
    {"weekday spelled out", weekly("monday", nullptr, nullptr),
     "field 'weekday': expected mon..sun, got 'monday'"},
    {"weekday in capitals", weekly("Mon", nullptr, nullptr),
     "field 'weekday': expected mon..sun, got 'Mon'"},
    {"day 31: some months lack it (use last)", monthly("31", nullptr, nullptr),
     "field 'day': expected 1..28 or last, got '31'"},
    {"day 29", monthly("29", nullptr, nullptr), "field 'day': expected 1..28 or last, got '29'"},
    {"day 0", monthly("0", nullptr, nullptr), "field 'day': expected 1..28 or last, got '0'"},
    {"day with a leading zero", monthly("01", nullptr, nullptr),
     "field 'day': expected 1..28 or last, got '01'"},
    {"day with a sign", monthly("+1", nullptr, nullptr),
     "field 'day': expected 1..28 or last, got '+1'"},
    {"day empty", monthly("", nullptr, nullptr), "field 'day': expected 1..28 or last, got ''"},

    // -- cutoff --
    {"hour 25", daily("25:00", nullptr), "field 'cutoff': expected HH:MM, got '25:00'"},
    {"24:00 is tomorrow's 00:00", daily("24:00", nullptr),
     "field 'cutoff': expected HH:MM, got '24:00'"},
    {"minute 60", daily("12:60", nullptr), "field 'cutoff': expected HH:MM, got '12:60'"},
    {"one-digit hour", daily("6:00", nullptr), "field 'cutoff': expected HH:MM, got '6:00'"},
    {"seconds", daily("06:00:00", nullptr), "field 'cutoff': expected HH:MM, got '06:00:00'"},
    {"cutoff empty", daily("", nullptr), "field 'cutoff': expected HH:MM, got ''"},

    // -- tz: names are checked before any file is opened --
    {"no such zone", daily(nullptr, "Mars/Base"), "field 'tz': unknown time zone 'Mars/Base'"},
    {"a path out of the zoneinfo directory", daily(nullptr, "../../etc/passwd"),
     "field 'tz': unknown time zone '../../etc/passwd'"},
    {"'..' anywhere", daily(nullptr, "Europe/../Europe/Berlin"),
     "field 'tz': unknown time zone 'Europe/../Europe/Berlin'"},
    {"an absolute path", daily(nullptr, "/etc/localtime"),
     "field 'tz': unknown time zone '/etc/localtime'"},
    {"the machine's own zone", daily(nullptr, "localtime"),
     "field 'tz': unknown time zone 'localtime'"},
    {"leap-second clocks", daily(nullptr, "right/UTC"),
     "field 'tz': unknown time zone 'right/UTC'"},
    {"a file that is not a zone", daily(nullptr, "zone.tab"),
     "field 'tz': unknown time zone 'zone.tab'"},
    {"a directory", daily(nullptr, "Europe"), "field 'tz': unknown time zone 'Europe'"},
    {"a control character, escaped in the message", daily(nullptr, "UTC\n"),
     "field 'tz': unknown time zone 'UTC\\x0a'"},
    {"tz empty", daily(nullptr, ""), "field 'tz': unknown time zone ''"},
    {"a long value is cut short in the message",
     daily(nullptr, "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
     "field 'tz': unknown time zone 'Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'"},
};

}  // namespace

BOOST_AUTO_TEST_CASE(parsing) {
  for (const parse_row& r : parse_rows) {
    BOOST_TEST_CONTEXT(r.rule) {
      const cycle_parse p = parse(r.in);
      BOOST_CHECK_EQUAL(p.ok(), r.error == nullptr);
      BOOST_CHECK_EQUAL(p.error, r.error ? r.error : "");
    }
  }
}

BOOST_AUTO_TEST_CASE(parsed_fields) {
  const cycle_spec d = spec_of(wire("daily", nullptr, nullptr));
  BOOST_CHECK(d.kind == cycle_kind::daily);
  BOOST_CHECK_EQUAL(d.cutoff_minutes, 0);
  BOOST_CHECK_EQUAL(d.zone_name, "UTC");
  BOOST_CHECK(d.zone == absl::UTCTimeZone());

  const cycle_spec w = spec_of(weekly("sun", "23:59", "Asia/Kolkata"));
  BOOST_CHECK(w.kind == cycle_kind::weekly);
  BOOST_CHECK_EQUAL(w.weekday, 6);
  BOOST_CHECK_EQUAL(w.cutoff_minutes, 23 * 60 + 59);
  BOOST_CHECK_EQUAL(w.zone_name, "Asia/Kolkata");
  BOOST_CHECK_EQUAL(w.zone.name(), "Asia/Kolkata");

  BOOST_CHECK_EQUAL(spec_of(weekly("mon", nullptr, nullptr)).weekday, 0);
  BOOST_CHECK_EQUAL(spec_of(monthly("last", nullptr, nullptr)).day, 0);
  BOOST_CHECK_EQUAL(spec_of(monthly("28", nullptr, nullptr)).day, 28);
}

BOOST_AUTO_TEST_CASE(load_zone_edge) {
  BOOST_CHECK(load_zone("Europe/Berlin").has_value());
  BOOST_CHECK(load_zone("UTC").has_value());
  BOOST_CHECK(!load_zone("Mars/Base").has_value());
  BOOST_CHECK(!load_zone("/usr/share/zoneinfo/UTC").has_value());
}
