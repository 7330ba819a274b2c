#include "bench/recovery/summary.hpp"

#include <fmt/format.h>

#include "client/json_output.hpp"
#include <fmt/ostream.h>

namespace settle::bench::recovery {

namespace {

double mib(uint64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

/// Where the log places the two recovery lines of durable_store, when it does.
struct log_marks {
  std::optional<double> loaded_at_ms;    // "recovery: snapshot with ... loaded ... replay ..."
  std::optional<double> verified_at_ms;  // "recovery: N accounts, ... zero-sum verified ..."
};

log_marks find_marks(const std::vector<log_line>& log) {
  log_marks m;
  for (const auto& l : log) {
    if (l.text.starts_with("recovery: snapshot with"))
      m.loaded_at_ms = l.at_ms;
    else if (l.text.starts_with("recovery:") && l.text.find("zero-sum") != std::string::npos)
      m.verified_at_ms = l.at_ms;
  }
  return m;
}

/// The phases of settled's start, from its own figures and the log's timestamps (ms
/// resolution each); a phase whose ends are missing is left out.
std::vector<std::pair<std::string, double>> phases(const bench_results& r) {
  std::vector<std::pair<std::string, double>> out;
  auto marks = find_marks(r.log);
  const auto& f = r.figures;
  if (marks.loaded_at_ms && f.snapshot_load_ms && f.journal_replay_ms)
    out.emplace_back("exec, configuration, connecting to Redis",
                     *marks.loaded_at_ms - *f.snapshot_load_ms - *f.journal_replay_ms);
  if (f.snapshot_load_ms)
    out.emplace_back("snapshot load (GET chunks, checksum, msgpack decode, map inserts)",
                     *f.snapshot_load_ms);
  if (f.journal_replay_ms)
    out.emplace_back("journal replay (XRANGE, batch decode and chain check, fold)",
                     *f.journal_replay_ms);
  if (marks.loaded_at_ms && marks.verified_at_ms)
    out.emplace_back("journal writer, transfer repair, id expiry, zero-sum check",
                     *marks.verified_at_ms - *marks.loaded_at_ms);
  if (marks.verified_at_ms)
    out.emplace_back("image to actors (ids, shards, clearing), actor system, listener",
                     r.listening_ms - *marks.verified_at_ms);
  return out;
}


template <class T>
std::string json_opt(const std::optional<T>& v) {
  return v ? fmt::format("{}", *v) : "null";
}

/// One aligned line of the summary: label, value, unit and an optional note.
void row(std::ostream& out, const std::string& label, const std::string& value,
         const std::string& note = {}) {
  fmt::print(out, "  {:<44} {:>16}{}\n", label, value, note.empty() ? "" : "   " + note);
}

std::string ms_text(double ms) {
  return fmt::format("{:.1f} ms", ms);
}

std::string mib_text(uint64_t bytes) {
  return fmt::format("{:.1f} MiB", mib(bytes));
}

}  // namespace

void print_text(std::ostream& out, const bench_results& r) {
  fmt::print(out, "settle-recovery-bench: {} accounts, {} journal records, {} shard(s)\n\n",
             r.accounts, r.records, r.shards);
  fmt::print(out, "preparation (through the persistence APIs; not part of the recovery time)\n");
  row(out, fmt::format("image of {} accounts built", r.accounts), ms_text(r.prep.image_build_ms));
  row(out, fmt::format("snapshot written ({})", mib_text(r.prep.snapshot_bytes)),
      ms_text(r.prep.snapshot_write_ms));
  row(out, fmt::format("journal written ({} batches)", r.prep.journal_chunks),
      ms_text(r.prep.journal_write_ms));
  row(out, "Redis used_memory", mib_text(r.redis_used_memory_bytes));

  fmt::print(out, "\nin-process persistence::load_image (the code settled runs first)\n");
  row(out, fmt::format("snapshot: {} accounts, {} ids", r.load.snapshot_accounts,
                       r.load.snapshot_ids),
      ms_text(r.load.snapshot_ms));
  row(out, fmt::format("replay: {} batches, {} records", r.load.batches, r.load.records),
      ms_text(r.load.replay_ms));
  row(out, "load_image total", ms_text(r.load_total_ms));
  row(out, "zero-sum and balance checks", ms_text(r.load_check_ms));

  fmt::print(out, "\nsettled\n");
  row(out, "spawn to listening", ms_text(r.listening_ms),
      fmt::format("target {:.0f} ms: {}", r.target_ms,
                  r.listening_ms < r.target_ms ? "met" : "MISSED"));
  row(out, "spawn to first balance answered", ms_text(r.first_answer_ms));
  row(out, "checks (2 balances, 1 new deposit)", ms_text(r.serve.checks_ms));
  row(out, "RSS at listening", mib_text(r.rss_at_listening_bytes));
  row(out, "peak RSS", mib_text(r.peak_rss_bytes));
  row(out, "stop (SIGTERM to exit)", ms_text(r.stop_ms),
      fmt::format("exit status {}", r.exit_status));

  fmt::print(out, "\nwhere settled's start went (its recovery log and its timestamps)\n");
  for (const auto& [what, ms] : phases(r))
    fmt::print(out, "  {:<68} {:>10}\n", what, ms_text(ms));
  fmt::print(out, "\nsettled's log (ms since spawn)\n");
  for (const auto& l : r.log) {
    if (l.at_ms)
      fmt::print(out, "  {:>8.0f}  {}\n", *l.at_ms, l.text);
    else
      fmt::print(out, "            {}\n", l.text);
  }
  if (!r.kept_dir.empty())
    fmt::print(out, "\nkept: {} (Redis data in redis/, settled's log in settled.log)\n",
               r.kept_dir);
  if (!r.perf_file.empty())
    fmt::print(out, "perf profile of the start: {} (perf report -i {})\n", r.perf_file,
               r.perf_file);
}

void print_json(std::ostream& out, const bench_results& r) {
  std::string log = "[";
  for (size_t i = 0; i < r.log.size(); ++i)
    log += fmt::format("{}{{\"at_ms\":{},\"level\":{},\"text\":{}}}", i == 0 ? "" : ",",
                       r.log[i].at_ms ? fmt::format("{:.0f}", *r.log[i].at_ms) : "null", client::json_quote(r.log[i].level),
                       client::json_quote(r.log[i].text));
  log += "]";
  std::string breakdown = "{";
  bool first = true;
  for (const auto& [what, ms] : phases(r)) {
    breakdown += fmt::format("{}{}:{:.1f}", first ? "" : ",", client::json_quote(what), ms);
    first = false;
  }
  breakdown += "}";
  const auto& f = r.figures;
  fmt::print(out,
             "{{\"accounts\":{},\"records\":{},\"shards\":{},\"target_ms\":{:.0f},"
             "\"prepare\":{{\"image_build_ms\":{:.1f},\"snapshot_write_ms\":{:.1f},"
             "\"snapshot_bytes\":{},\"journal_write_ms\":{:.1f},\"journal_chunks\":{},"
             "\"redis_used_memory_bytes\":{}}},"
             "\"load_image\":{{\"snapshot_ms\":{:.1f},\"replay_ms\":{:.1f},\"total_ms\":{:.1f},"
             "\"check_ms\":{:.1f},\"snapshot_accounts\":{},\"snapshot_ids\":{},\"batches\":{},"
             "\"records\":{}}},"
             "\"settled\":{{\"listening_ms\":{:.1f},\"met_target\":{},\"first_answer_ms\":{:.1f},"
             "\"checks_ms\":{:.1f},\"rss_at_listening_bytes\":{},\"peak_rss_bytes\":{},"
             "\"stop_ms\":{:.1f},\"exit_status\":{},"
             "\"recovery\":{{\"snapshot_load_ms\":{},\"journal_replay_ms\":{},\"check_ms\":{},"
             "\"store_total_ms\":{},\"snapshot_accounts\":{},\"snapshot_ids\":{},"
             "\"replay_batches\":{},\"replay_records\":{}}},"
             "\"breakdown_ms\":{},\"log\":{}}},"
             "\"kept_dir\":{},\"perf_file\":{}}}\n",
             r.accounts, r.records, r.shards, r.target_ms, r.prep.image_build_ms,
             r.prep.snapshot_write_ms, r.prep.snapshot_bytes, r.prep.journal_write_ms,
             r.prep.journal_chunks, r.redis_used_memory_bytes, r.load.snapshot_ms,
             r.load.replay_ms, r.load_total_ms, r.load_check_ms, r.load.snapshot_accounts,
             r.load.snapshot_ids, r.load.batches, r.load.records, r.listening_ms,
             r.listening_ms < r.target_ms, r.first_answer_ms, r.serve.checks_ms,
             r.rss_at_listening_bytes, r.peak_rss_bytes, r.stop_ms, r.exit_status,
             json_opt(f.snapshot_load_ms), json_opt(f.journal_replay_ms), json_opt(f.check_ms),
             json_opt(f.store_total_ms), json_opt(f.snapshot_accounts), json_opt(f.snapshot_ids),
             json_opt(f.replay_batches), json_opt(f.replay_records), breakdown, log,
             r.kept_dir.empty() ? "null" : client::json_quote(r.kept_dir),
             r.perf_file.empty() ? "null" : client::json_quote(r.perf_file));
}

}  // namespace settle::bench::recovery
