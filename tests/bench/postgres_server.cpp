#include "tests/bench/postgres_server.hpp"

#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "persistence/redis_server.hpp"  // pick_free_loopback_port

namespace settle::test {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

postgres_server::postgres_server() {
  const char* env = std::getenv("SETTLE_PG_BIN");
  bin_dir_ = env != nullptr ? env : "/usr/lib/postgresql/15/bin";
  for (const char* tool : {"initdb", "pg_ctl", "postgres"})
    if (::access((bin_dir_ + "/" + tool).c_str(), X_OK) != 0)
      throw std::runtime_error("PostgreSQL 15 server binaries not found in " + bin_dir_ +
                               " (no " + tool +
                               "): install them with ./scripts/deps.sh (Debian packages "
                               "postgresql and libpq-dev), or point SETTLE_PG_BIN at them");
  char tmpl[] = "/tmp/settle-pg-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr)
    throw std::runtime_error("postgres_server: mkdtemp failed");
  dir_ = tmpl;
  if (::geteuid() == 0) {
    const passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr || ::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      std::filesystem::remove_all(dir_);
      throw std::runtime_error("postgres_server: running as root needs the `postgres` user "
                               "(created by the Debian package postgresql: ./scripts/deps.sh)");
    }
    as_postgres_ = "runuser -u postgres -- ";
  }
  try {
    // --no-sync and fsync=off: a test cluster needs no crash safety, and they save seconds.
    run("initdb", "-D " + dir_ + "/data -U postgres --auth=trust -E UTF8 --no-sync",
        dir_ + "/initdb.log");
    port_ = persistence::pick_free_loopback_port();
    run("pg_ctl",
        "-D " + dir_ + "/data -l " + dir_ + "/postgres.log -w -t 60 -o \"-p " +
            std::to_string(port_) + " -k " + dir_ +
            " -c listen_addresses=127.0.0.1 -c fsync=off\" start",
        dir_ + "/postgres.log");
    started_ = true;
  } catch (...) {
    std::filesystem::remove_all(dir_);
    throw;
  }
}

postgres_server::~postgres_server() {
  if (started_) {
    try {
      run("pg_ctl", "-D " + dir_ + "/data -m immediate -w stop", dir_ + "/postgres.log");
    } catch (...) {
      // Nothing better to do in a destructor; the directory goes anyway.
    }
  }
  std::filesystem::remove_all(dir_);
}

void postgres_server::run(const std::string& tool, const std::string& args,
                          const std::string& log) const {
  auto command = as_postgres_ + bin_dir_ + "/" + tool + " " + args + " >>" + dir_ +
                 "/commands.log 2>&1";
  int status = std::system(command.c_str());
  if (status != 0)
    throw std::runtime_error("postgres_server: `" + command + "` failed (status " +
                             std::to_string(status) + "):\n" + read_file(dir_ + "/commands.log") +
                             read_file(log));
}

std::string postgres_server::conninfo() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres";
}

}  // namespace settle::test
