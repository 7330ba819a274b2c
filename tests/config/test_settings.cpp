// The settings table: every row complete, every integer's range enforced at both ends by the
// file and by the flag, booleans, the [events] flags, journal.stream_prefix, and the docs'
// table equal to the generated one.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <tuple>

#include "config/settings.hpp"
#include "persistence/journal_stream.hpp"
#include "tests/config/test_helpers.hpp"

using namespace settle::config;
using namespace settle::config_test;

namespace {

/// Silences std::cerr (CLI11 reports refused flags there) while alive.
class quiet_stderr {
public:
  quiet_stderr() : old_(std::cerr.rdbuf(buf_.rdbuf())) {}
  ~quiet_stderr() { std::cerr.rdbuf(old_); }

private:
  std::ostringstream buf_;
  std::streambuf* old_;
};

/// What settled prints to stdout for `args`, whether it stopped there, and its exit code. The
/// checks come after: Boost.Test reports on stdout too.
std::tuple<bool, int, std::string> printed(std::vector<std::string> args) {
  capture_stdout out;
  engine_config c;
  int code = -1;
  bool stopped = !parse(std::move(args), c, &code);
  return {stopped, code, out.text()};
}

std::string toml_for(const setting& s, const std::string& value) {
  return "[" + std::string{s.section} + "]\n" + std::string{s.key} + " = " + value + "\n";
}

/// The file `text` loads and validates; returns what it loaded.
engine_config accepted_file(const std::string& text) {
  temp_file f{text};
  engine_config c = load_file(f.path());
  validate(c);
  return c;
}

/// The flags load and validate; returns what they gave.
engine_config accepted_flags(std::vector<std::string> args) {
  engine_config c;
  int code = -1;
  BOOST_REQUIRE_MESSAGE(parse(args, c, &code),
                        "refused: " << (args.empty() ? std::string{"no flags"} : args.front()));
  validate(c);
  return c;
}

/// "" when the file is refused naming `s` (or, for a number TOML cannot hold, at all), else
/// what is wrong.
std::string refusal_of_file(const setting& s, const std::string& text) {
  temp_file f{text};
  try {
    validate(load_file(f.path()));
  } catch (const std::runtime_error& e) {
    std::string msg = e.what();
    bool named = msg.find(s.name()) != std::string::npos ||
                 msg.find("cannot read") != std::string::npos;
    return named ? "" : "error does not name " + s.name() + ": " + msg;
  }
  return "accepted";
}

/// "" when the flags are refused (by the flag parser with code 2, or by validate naming `s`).
std::string refusal_of_flags(const setting& s, std::vector<std::string> args) {
  quiet_stderr quiet;
  engine_config c;
  int code = -1;
  try {
    if (!parse(args, c, &code))
      return code == 2 ? "" : "parser stopped with code " + std::to_string(code);
    validate(c);
  } catch (const std::runtime_error& e) {
    std::string msg = e.what();
    return msg.find(s.name()) != std::string::npos ? "" : "error does not name it: " + msg;
  }
  return "accepted";
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_row_has_a_key_a_flag_and_help) {
  std::set<std::string> flags, names;
  const engine_config d;
  BOOST_CHECK_NO_THROW(validate(d));
  for (const auto& s : settings()) {
    BOOST_TEST_CONTEXT(s.name()) {
      BOOST_CHECK(!s.section.empty());
      BOOST_CHECK(!s.key.empty());
      BOOST_CHECK(!s.help.empty());
      BOOST_CHECK(s.flag.size() > 2 && s.flag.substr(0, 2) == "--");
      BOOST_CHECK_MESSAGE(flags.insert(std::string{s.flag}).second, "flag twice: " << s.flag);
      BOOST_CHECK_MESSAGE(names.insert(s.name()).second, "key twice");
      if (s.is_integer()) {
        BOOST_CHECK_LE(s.min, s.max);
        BOOST_CHECK_GE(s.min, 0);  // the edge tests below rely on it
      } else {
        BOOST_CHECK_EQUAL(s.min, 0);
        BOOST_CHECK_EQUAL(s.max, 0);
      }
    }
  }
  // The flags of the brief (scripts, benches and tests use them) are all there.
  for (const char* f : {"--journal", "--recover-to-last-good-batch", "--listen", "--redis",
                        "--journal-stream-prefix", "--events-redis-publish",
                        "--events-max-subscriptions", "--events-max-subscriptions-per-connection",
                        "--events-flush-interval-us", "--events-partner-interval-ms",
                        "--events-max-queued-events", "--events-subscriber-buffer-bytes",
                        "--events-subscriber-max-conflated", "--events-subscriber-max-lag-ms",
                        "--log-level"})
    BOOST_CHECK_MESSAGE(flags.contains(f), "no row has " << f);
}

BOOST_AUTO_TEST_CASE(help_shows_each_rows_unit_range_key_and_default) {
  const auto [stopped, code, text] = printed({"--help"});
  BOOST_REQUIRE(stopped);
  BOOST_CHECK_EQUAL(code, 0);
  const engine_config d;
  for (const auto& s : settings()) {
    BOOST_TEST_CONTEXT(s.name()) {
      const auto flag = "  " + std::string{s.flag};  // as listed, not a longer one's start
      BOOST_CHECK(text.find(flag + " ") != std::string::npos ||
                  text.find(flag + "\n") != std::string::npos);
      BOOST_CHECK(text.find(help_text(s)) != std::string::npos);
      BOOST_CHECK(text.find("([" + std::string{s.section} + "] " + std::string{s.key} + ")") !=
                  std::string::npos);
      BOOST_CHECK(text.find(range_text(s)) != std::string::npos);
      BOOST_CHECK(text.find(std::string{s.unit}) != std::string::npos);
      if (s.form != setting_form::presence) {
        auto shown = flag_text(s, d).empty() ? std::string{s.empty_means} : flag_text(s, d);
        BOOST_CHECK(text.find("=" + shown) != std::string::npos);
      }
    }
  }
  BOOST_CHECK(text.find("on or off") != std::string::npos);  // the boolean style
}

BOOST_AUTO_TEST_CASE(every_integer_accepts_its_range_and_refuses_beyond_it) {
  scoped_env no_admin{"SETTLE_ADMIN_TOKEN", nullptr};
  for (const auto& s : settings()) {
    if (!s.is_integer())
      continue;
    BOOST_TEST_CONTEXT(s.name()) {
      const std::string flag{s.flag};
      for (auto edge : {s.min, s.max}) {
        const auto v = std::to_string(edge);
        BOOST_CHECK_EQUAL(flag_text(s, accepted_file(toml_for(s, v))), v);
        BOOST_CHECK_EQUAL(flag_text(s, accepted_flags({flag, v})), v);
      }
      // min >= 0 (checked above) and max + 1 as unsigned: neither overflows.
      for (const auto& v : {std::to_string(s.min - 1),
                            std::to_string(static_cast<uint64_t>(s.max) + 1)}) {
        BOOST_TEST_CONTEXT(v) {
          BOOST_CHECK_EQUAL(refusal_of_file(s, toml_for(s, v)), "");
          BOOST_CHECK_EQUAL(refusal_of_flags(s, {flag, v}), "");
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(booleans_are_true_false_in_the_file_and_on_off_as_flags) {
  for (const auto& s : settings()) {
    const auto* member = std::get_if<bool engine_config::*>(&s.member);
    if (!member)
      continue;
    BOOST_TEST_CONTEXT(s.name()) {
      const std::string flag{s.flag};
      BOOST_CHECK(accepted_file(toml_for(s, "true")).**member);
      BOOST_CHECK(!(accepted_file(toml_for(s, "false")).**member));
      BOOST_CHECK_EQUAL(refusal_of_file(s, toml_for(s, "\"on\"")), "");
      if (s.form == setting_form::presence) {
        BOOST_CHECK(accepted_flags({flag}).**member);
        continue;
      }
      BOOST_CHECK(accepted_flags({flag, "on"}).**member);
      BOOST_CHECK(!(accepted_flags({flag, "off"}).**member));
      BOOST_CHECK_EQUAL(refusal_of_flags(s, {flag, "true"}), "");
      BOOST_CHECK_EQUAL(refusal_of_flags(s, {flag, "yes"}), "");
    }
  }
}

BOOST_AUTO_TEST_CASE(events_flags_override_the_file) {
  scoped_env no_admin{"SETTLE_ADMIN_TOKEN", nullptr};
  temp_file f{"[events]\nredis_publish = true\nmax_subscriptions = 11\n"
              "max_subscriptions_per_connection = 12\nflush_interval_us = 13\n"
              "partner_interval_ms = 14\nmax_queued_events = 15\n"
              "subscriber_buffer_bytes = 2048\nsubscriber_max_conflated = 17\n"
              "subscriber_max_lag_ms = 18\n"};
  auto file_only = accepted_flags({"--config", f.path()});
  BOOST_CHECK(file_only.events_redis_publish);
  BOOST_CHECK_EQUAL(file_only.events_max_subscriptions, 11u);
  BOOST_CHECK_EQUAL(file_only.events_max_subscriptions_per_connection, 12u);
  BOOST_CHECK_EQUAL(file_only.events_flush_interval_us, 13u);
  BOOST_CHECK_EQUAL(file_only.events_partner_interval_ms, 14u);
  BOOST_CHECK_EQUAL(file_only.events_max_queued, 15u);
  BOOST_CHECK_EQUAL(file_only.subscriber_buffer_bytes, 2048u);
  BOOST_CHECK_EQUAL(file_only.subscriber_max_conflated, 17u);
  BOOST_CHECK_EQUAL(file_only.subscriber_max_lag_ms, 18u);

  auto c = accepted_flags(
      {"--config", f.path(), "--events-redis-publish", "off", "--events-max-subscriptions", "0",
       "--events-max-subscriptions-per-connection", "22", "--events-flush-interval-us", "23",
       "--events-partner-interval-ms", "24", "--events-max-queued-events", "25",
       "--events-subscriber-buffer-bytes", "4096", "--events-subscriber-max-conflated", "27",
       "--events-subscriber-max-lag-ms", "28"});
  BOOST_CHECK(!c.events_redis_publish);
  BOOST_CHECK_EQUAL(c.events_max_subscriptions, 0u);
  BOOST_CHECK_EQUAL(c.events_max_subscriptions_per_connection, 22u);
  BOOST_CHECK_EQUAL(c.events_flush_interval_us, 23u);
  BOOST_CHECK_EQUAL(c.events_partner_interval_ms, 24u);
  BOOST_CHECK_EQUAL(c.events_max_queued, 25u);
  BOOST_CHECK_EQUAL(c.subscriber_buffer_bytes, 4096u);
  BOOST_CHECK_EQUAL(c.subscriber_max_conflated, 27u);
  BOOST_CHECK_EQUAL(c.subscriber_max_lag_ms, 28u);
}

BOOST_AUTO_TEST_CASE(journal_stream_prefix) {
  scoped_env no_admin{"SETTLE_ADMIN_TOKEN", nullptr};
  // The default is the persistence layer's own.
  BOOST_CHECK_EQUAL(engine_config{}.journal_stream_prefix,
                    std::string{settle::persistence::default_journal_stream_prefix});
  BOOST_CHECK_EQUAL(accepted_flags({}).journal_stream_prefix, "settle:journal:");

  temp_file f{"[journal]\nstream_prefix = \"blue:journal:\"\n"};
  BOOST_CHECK_EQUAL(accepted_file("[journal]\nstream_prefix = \"blue:journal:\"\n")
                        .journal_stream_prefix,
                    "blue:journal:");
  BOOST_CHECK_EQUAL(accepted_flags({"--config", f.path()}).journal_stream_prefix,
                    "blue:journal:");
  BOOST_CHECK_EQUAL(
      accepted_flags({"--config", f.path(), "--journal-stream-prefix", "green."})
          .journal_stream_prefix,
      "green.");

  const setting* row = nullptr;
  for (const auto& s : settings())
    if (s.name() == "journal.stream_prefix")
      row = &s;
  BOOST_REQUIRE(row);
  for (const std::string& ok : std::vector<std::string>{"A", "Az09:._-", std::string(64, 'x')})
    BOOST_CHECK_EQUAL(accepted_flags({"--journal-stream-prefix", ok}).journal_stream_prefix, ok);
  for (const std::string& bad :
       std::vector<std::string>{"", std::string(65, 'x'), "a b", "a/b", "a*", "é"}) {
    BOOST_TEST_CONTEXT("'" << bad << "'") {
      BOOST_CHECK_EQUAL(refusal_of_flags(*row, {"--journal-stream-prefix", bad}), "");
      BOOST_CHECK_EQUAL(refusal_of_file(*row, toml_for(*row, "\"" + bad + "\"")), "");
    }
  }
  BOOST_CHECK_EQUAL(refusal_of_file(*row, toml_for(*row, "5")), "");  // not a string
}

BOOST_AUTO_TEST_CASE(example_file_has_every_key_at_its_default) {
  std::ifstream in{SETTLE_EXAMPLE_CONFIG};
  std::stringstream text;
  text << in.rdbuf();
  const auto c = load_file(SETTLE_EXAMPLE_CONFIG);
  const engine_config d;
  for (const auto& s : settings())
    BOOST_TEST_CONTEXT(s.name()) {
      BOOST_CHECK(text.str().find("\n" + std::string{s.key} + " = ") != std::string::npos);
      BOOST_CHECK_EQUAL(toml_text(s, c), toml_text(s, d));
    }
}

BOOST_AUTO_TEST_CASE(docs_table_is_the_generated_one) {
  std::ifstream in{SETTLE_DOCS_CONFIGURATION};
  BOOST_REQUIRE_MESSAGE(in, "cannot open " SETTLE_DOCS_CONFIGURATION);
  std::stringstream buf;
  buf << in.rdbuf();
  const auto text = buf.str();
  const std::string begin = "<!-- settings:begin -->\n", end = "<!-- settings:end -->";
  auto from = text.find(begin), to = text.find(end);
  BOOST_REQUIRE(from != std::string::npos && to != std::string::npos && from < to);
  from += begin.size();
  BOOST_CHECK_MESSAGE(text.substr(from, to - from) == settings_markdown(),
                      "docs/configuration.md is out of date: replace its table with the output "
                      "of `settled --print-settings-markdown`");

  // The flag prints exactly that, and settled exits with 0.
  const auto [stopped, code, printed_text] = printed({"--print-settings-markdown"});
  BOOST_CHECK(stopped);
  BOOST_CHECK_EQUAL(code, 0);
  BOOST_CHECK(printed_text == settings_markdown());
}
