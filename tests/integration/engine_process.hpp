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

/// A running engine; killed (SIGTERM, then SIGKILL) and cleaned up on destruction.
class engine_process {
public:
  explicit engine_process(std::vector<std::string> extra_flags = {});
  ~engine_process();
  engine_process(const engine_process&) = delete;
  engine_process& operator=(const engine_process&) = delete;

  uint16_t port() const { return port_; }
  /// A new connection, already authenticated with `token` (none if empty).
  std::unique_ptr<client::connection> connect(const std::string& token = admin_token) const;
  /// True while the process runs.
  bool alive() const;

private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string data_dir_;
};

}  // namespace settle::testing
