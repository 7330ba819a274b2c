// A throwaway PostgreSQL 15 cluster for tests: initdb and pg_ctl in a temporary directory,
// listening on 127.0.0.1 at a free port with its Unix socket in the same directory.
#pragma once

#include <cstdint>
#include <string>

namespace settle::test {

/// Creates, starts and (on destruction) stops and deletes a cluster. When run as root the
/// server runs as the `postgres` user (PostgreSQL refuses root), through `runuser`. Throws
/// std::runtime_error with what to do when PostgreSQL is not installed or does not start.
class postgres_server {
public:
  postgres_server();
  ~postgres_server();
  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;

  /// A libpq connection string for the superuser `postgres`, database `postgres`.
  std::string conninfo() const;
  uint16_t port() const { return port_; }

private:
  /// Runs a server binary (as `postgres` when root); throws with its log when it fails.
  void run(const std::string& tool, const std::string& args, const std::string& log) const;

  std::string bin_dir_;
  std::string dir_;
  std::string as_postgres_;  // "runuser -u postgres -- " when root, else empty
  uint16_t port_ = 0;
  bool started_ = false;
};

}  // namespace settle::test
