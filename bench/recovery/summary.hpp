// Every figure of one benchmark run, and its two renderings: a readable summary and one JSON
// object (--json).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "bench/recovery/prepare.hpp"
#include "bench/recovery/serve_check.hpp"
#include "bench/recovery/settled_log.hpp"
#include "persistence/snapshot_store.hpp"

namespace settle::bench::recovery {

struct bench_results {
  uint64_t accounts = 0, records = 0;
  uint32_t shards = 0;
  double target_ms = 10'000;  // the goal: ready to serve in under 10 s

  prepare_report prep;
  uint64_t redis_used_memory_bytes = 0;

  // The same recovery in this process (persistence::load_image), as a reference.
  persistence::load_report load;
  double load_total_ms = 0;   // load_image call
  double load_check_ms = 0;   // zero-sum and spot checks of the loaded image

  // settled.
  double listening_ms = 0;           // spawn to "settled listening on"
  double first_answer_ms = 0;        // spawn to the first balance answered
  serve_report serve;
  uint64_t rss_at_listening_bytes = 0, peak_rss_bytes = 0;
  double stop_ms = 0;
  int exit_status = 0;
  std::vector<log_line> log;
  recovery_figures figures;

  std::string kept_dir;   // "" unless --keep
  std::string perf_file;  // "" unless --perf
};

void print_text(std::ostream& out, const bench_results& r);
void print_json(std::ostream& out, const bench_results& r);

}  // namespace settle::bench::recovery
