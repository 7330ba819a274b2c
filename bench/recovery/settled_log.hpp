// Reads settled's log (spdlog's default pattern, "[YYYY-mm-dd HH:MM:SS.mmm] [settled] [info]
// text") and places each line on the benchmark's time axis, so the log's own recovery lines
// and the gaps between them show where the start-up time goes.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace settle::bench::recovery {

/// One log line.
struct log_line {
  std::optional<double> at_ms;  // since settled was spawned (millisecond resolution)
  std::string level;            // "info", "warning", ... ("" when unparsed)
  std::string text;             // the message (the whole line when unparsed)
};

/// The lines of the log at `path`; `spawned_at` is the origin of at_ms.
std::vector<log_line> read_log(const std::string& path,
                               std::chrono::system_clock::time_point spawned_at);

/// The figures settled's recovery lines state (persistence/durable_store.cpp), when found.
struct recovery_figures {
  std::optional<double> snapshot_load_ms, journal_replay_ms, check_ms, store_total_ms;
  std::optional<uint64_t> snapshot_accounts, snapshot_ids, replay_batches, replay_records;
};

/// Extracts the figures from the "recovery: ..." lines; absent ones stay empty (the log's
/// wording belongs to the engine and may change).
recovery_figures parse_recovery(const std::vector<log_line>& lines);

}  // namespace settle::bench::recovery
