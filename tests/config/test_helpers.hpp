// What the configuration tests share: temporary files, environment, running the flag parser,
// capturing --help.
#pragma once

#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "config/engine_config.hpp"

namespace settle::config_test {

using config::engine_config;
using config::parse_command_line;

/// A TOML file in a fresh temporary directory, removed again at the end of the test.
class temp_file {
public:
  explicit temp_file(const std::string& text) {
    char dir[] = "/tmp/settle-config-test-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(dir) != nullptr);
    dir_ = dir;
    path_ = dir_ + "/settled.toml";
    std::ofstream(path_) << text;
  }
  ~temp_file() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  const std::string& path() const { return path_; }

private:
  std::string dir_, path_;
};

/// Sets (or, with nullptr, unsets) an environment variable for one scope.
class scoped_env {
public:
  scoped_env(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name))
      old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~scoped_env() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

private:
  const char* name_;
  std::optional<std::string> old_;
};

/// Runs parse_command_line on `args` (program name added). Returns its result.
inline bool parse(std::vector<std::string> args, engine_config& out, int* exit_code = nullptr) {
  args.insert(args.begin(), "settled");
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  int code = -1;
  bool ok = parse_command_line(static_cast<int>(argv.size()), argv.data(), out, code);
  if (exit_code)
    *exit_code = code;
  return ok;
}

/// Captures std::cout while alive.
class capture_stdout {
public:
  capture_stdout() : old_(std::cout.rdbuf(buf_.rdbuf())) {}
  ~capture_stdout() { std::cout.rdbuf(old_); }
  std::string text() const { return buf_.str(); }

private:
  std::ostringstream buf_;
  std::streambuf* old_;
};

}  // namespace settle::config_test
