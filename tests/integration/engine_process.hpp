// Runs `settled` as a child process on a free loopback port with a temporary data dir.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "client/client.hpp"

namespace settle::testing {

/// Tokens every test engine knows.
inline const std::string admin_token = "admin-t";
inline const std::string acme_token = "acme-t";  // partner acme
inline const std::string beta_token = "beta-t";  // partner beta
inline const std::string viewer_token = "view-t";

/// A running engine (journal on, with its embedded Redis unless the flags name one); stopped
/// (SIGTERM, then SIGKILL) on destruction, and its data directory removed if it made it.
class engine_process {
public:
  /// `data_dir` empty: a new temporary directory, removed afterwards.
  explicit engine_process(std::vector<std::string> extra_flags = {}, std::string data_dir = {});
  ~engine_process();
  engine_process(const engine_process&) = delete;
  engine_process& operator=(const engine_process&) = delete;

  uint16_t port() const { return port_; }
  /// The HTTP listener's port, when the flags ask for one (--http HOST:0); else 0.
  uint16_t http_port() const { return http_port_; }
  /// A new connection, already authenticated with `token` (none if empty).
  std::unique_ptr<client::connection> connect(const std::string& token = admin_token) const;
  /// True while the process runs.
  bool alive() const;
  /// Sends `signal` (SIGTERM: a clean stop; SIGKILL: a crash) and waits for the exit.
  /// Returns the exit status as waitpid reports it.
  int stop(int signal);
  /// Starts the engine again on the same data directory (and a new port).
  void start();
  /// Starts it expecting failure: returns what it printed on stderr and its exit code.
  std::pair<std::string, int> start_expecting_failure();
  const std::string& data_dir() const { return data_dir_; }
  pid_t pid() const { return pid_; }

private:
  std::vector<std::string> args_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  uint16_t http_port_ = 0;
  std::string data_dir_;
  bool own_dir_ = false;
};

}  // namespace settle::testing
