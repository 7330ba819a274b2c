// A supervised redis-server child process: the engine's embedded Redis (when no Redis address
// is configured) and the test harness's real Redis use the same code.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace settle::persistence {

/// How to start one redis-server.
struct redis_server_options {
  std::string executable = "redis-server";
  std::string dir;                    // data directory (AOF, RDB); created if missing
  std::string unix_socket;            // empty: <dir>/redis.sock
  uint16_t port = 0;                  // TCP port on 127.0.0.1; 0: Unix socket only
  std::string appendfsync = "everysec";  // always | everysec | no
  uint64_t maxmemory_bytes = 0;       // 0: no limit
  uint64_t aof_rewrite_min_bytes = 1ull << 30;  // the AOF is rewritten (compacted, by a
                                      // forked child) once it has grown past this and doubled;
                                      // Redis's 64 MB default forks every few seconds under a
                                      // busy journal and stalls a small machine
  uint32_t start_timeout_ms = 10'000;
  bool die_with_parent = false;       // SIGTERM when the starting process dies (even by
                                      // SIGKILL): an embedded Redis never outlives its engine
};

/// Starts redis-server with AOF on, waits until it answers PING, and stops it (SIGTERM, then
/// SIGKILL after 5 s) on destruction. Throws std::runtime_error when it does not come up.
class redis_server {
public:
  explicit redis_server(redis_server_options opts);
  ~redis_server();
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  const std::string& unix_socket() const { return opts_.unix_socket; }
  uint16_t port() const { return opts_.port; }
  pid_t pid() const { return pid_; }
  bool running() const;

  /// Sends `signal` (fault tests: SIGSTOP, SIGCONT, SIGKILL).
  void signal(int signal) const;
  /// Stops the server and waits for it; a no-op when already stopped.
  void stop();
  /// Starts it again with the same options (and data) after stop() or a kill.
  void restart();

private:
  void start();
  redis_server_options opts_;
  pid_t pid_ = -1;
};

/// A TCP port on 127.0.0.1 that was free a moment ago (for test servers).
uint16_t pick_free_loopback_port();

}  // namespace settle::persistence
