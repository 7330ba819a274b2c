// The `settled` binary as a child process: spawned with its stderr (the log) in a file, timed
// from spawn to its "settled listening on HOST:PORT" line, stopped with a signal.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace settle::bench::recovery {

/// How to start settled.
struct settled_launch {
  std::string executable;
  std::vector<std::string> args;   // after the executable
  std::string admin_token;         // passed as SETTLE_ADMIN_TOKEN
  std::string log_path;            // its stderr goes here
  double listen_timeout_s = 600;   // recovery longer than this counts as a failure
  std::function<void(pid_t)> on_spawn;  // runs right after fork (e.g. attaches a profiler)
};

/// A running settled. Killed (SIGKILL) on destruction if still running; it also gets SIGTERM
/// if this process dies first, so a crashed benchmark leaves no engine behind.
class settled_process {
public:
  /// Spawns settled and waits for its listening line. Throws std::runtime_error (with the
  /// end of its log) when it exits or times out first.
  explicit settled_process(const settled_launch& launch);
  ~settled_process();
  settled_process(const settled_process&) = delete;
  settled_process& operator=(const settled_process&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }
  /// Wall time from just before fork to reading the listening line.
  double ms_to_listening() const { return ms_to_listening_; }
  /// System clock just before fork: the origin for the log's timestamps.
  std::chrono::system_clock::time_point spawned_at() const { return spawned_at_wall_; }
  std::chrono::steady_clock::time_point spawned_at_steady() const { return spawned_at_; }
  /// Resident memory now and at its peak (VmRSS, VmHWM), bytes; 0 when unreadable.
  uint64_t rss_bytes() const;
  uint64_t peak_rss_bytes() const;

  /// Sends `signal`, waits up to timeout_s for the exit (then SIGKILL); returns the
  /// milliseconds it took and sets `exit_status` (waitpid's status).
  double stop(int signal, double timeout_s, int& exit_status);

private:
  /// Forks and execs settled (stdout to a pipe, stderr to the log); sets pid_, stdout_fd_
  /// and the spawn times. Throws when it cannot.
  void spawn(const settled_launch& launch);
  /// Reads stdout until the listening line and sets host_, port_ and ms_to_listening_; else
  /// returns why it did not come. `seen` gets what stdout said.
  std::string await_listening(const settled_launch& launch, std::string& seen);

  pid_t pid_ = -1;
  int stdout_fd_ = -1;  // kept open until the end: a write to a closed pipe would fail
  std::string host_;
  uint16_t port_ = 0;
  double ms_to_listening_ = 0;
  std::chrono::steady_clock::time_point spawned_at_;
  std::chrono::system_clock::time_point spawned_at_wall_;
};

/// The last `max_bytes` of a file ("" if unreadable): for error messages.
std::string file_tail(const std::string& path, size_t max_bytes);

}  // namespace settle::bench::recovery
