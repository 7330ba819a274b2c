// Optional profiling of settled's start: `perf record` attached to its pid from just after
// spawn until it listens (cpu-clock sampling; the machine has no hardware counters).
#pragma once

#include <sys/types.h>

#include <string>

namespace settle::bench::recovery {

/// A `perf record -p PID` child; stopped with SIGINT (perf then writes its file).
class perf_attach {
public:
  /// Starts perf writing to `output`. Throws std::runtime_error when perf cannot be spawned.
  perf_attach(pid_t target, const std::string& output);
  ~perf_attach();
  perf_attach(const perf_attach&) = delete;
  perf_attach& operator=(const perf_attach&) = delete;

  /// Asks perf to stop recording (SIGINT) without waiting: what follows is not profiled, and
  /// perf's writing of its file does not delay the benchmark's next measurement.
  void interrupt();
  /// Stops the recording if still running and waits until perf has written its file.
  void finish();

private:
  pid_t pid_ = -1;
  bool interrupted_ = false;
};

}  // namespace settle::bench::recovery
