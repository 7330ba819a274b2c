#include "engine_process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace settle::testing {

engine_process::engine_process(std::vector<std::string> extra_flags, std::string data_dir)
    : data_dir_(std::move(data_dir)) {
  if (data_dir_.empty()) {
    char dir_template[] = "/tmp/settle-test-XXXXXX";
    if (mkdtemp(dir_template) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    data_dir_ = dir_template;
    own_dir_ = true;
  }
  args_ = {SETTLED_PATH,  "--listen",  "127.0.0.1:0",
           "--data-dir",  data_dir_,   "--token",
           admin_token + ":admin",     "--token",
           acme_token + ":partner:acme", "--token",
           beta_token + ":partner:beta", "--token",
           viewer_token + ":viewer",   "--log-level",
           "warn"};
  args_.insert(args_.end(), extra_flags.begin(), extra_flags.end());
  try {
    start();
  } catch (...) {
    if (own_dir_) {
      std::error_code ec;
      std::filesystem::remove_all(data_dir_, ec);
    }
    throw;
  }
}

namespace {

/// Forks and execs `args` with stdout (and stderr, if `err` is given) on pipes.
pid_t spawn(std::vector<std::string> args, int out[2], int* err) {
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    if (err != nullptr) {
      dup2(err[1], STDERR_FILENO);
      close(err[0]);
      close(err[1]);
    }
    ::unsetenv("SETTLE_ADMIN_TOKEN");
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

void engine_process::start() {
  if (pid_ > 0)
    throw std::logic_error("engine_process::start: already running");
  int out[2];
  if (pipe(out) != 0)
    throw std::runtime_error("pipe failed");
  pid_ = spawn(args_, out, nullptr);
  close(out[1]);
  port_ = 0;
  http_port_ = 0;
  // Read stdout until "settled listening on 127.0.0.1:PORT" (recovery runs first: 60 s), and
  // with --http the next line, "settled http on 127.0.0.1:PORT".
  const bool wants_http = std::find(args_.begin(), args_.end(), "--http") != args_.end();
  std::string seen;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  const std::string marker = "settled listening on 127.0.0.1:";
  const std::string http_marker = "settled http on 127.0.0.1:";
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, 100) <= 0)
      continue;
    char buf[512];
    ssize_t n = read(out[0], buf, sizeof(buf));
    if (n <= 0)
      break;
    seen.append(buf, static_cast<size_t>(n));
    auto at = seen.find(marker);
    auto eol = at == std::string::npos ? std::string::npos : seen.find('\n', at);
    if (eol == std::string::npos)
      continue;
    if (wants_http) {
      auto h = seen.find(http_marker);
      if (h == std::string::npos || seen.find('\n', h) == std::string::npos)
        continue;
      http_port_ = static_cast<uint16_t>(std::stoul(seen.substr(h + http_marker.size())));
    }
    port_ = static_cast<uint16_t>(std::stoul(seen.substr(at + marker.size())));
    break;
  }
  close(out[0]);  // the engine's later stdout writes are not needed (SIGPIPE is not raised: it logs to stderr)
  if (port_ == 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    throw std::runtime_error("settled did not start; it printed: " + seen);
  }
}

std::pair<std::string, int> engine_process::start_expecting_failure() {
  if (pid_ > 0)
    throw std::logic_error("engine_process::start_expecting_failure: already running");
  int out[2], err[2];
  if (pipe(out) != 0 || pipe(err) != 0)
    throw std::runtime_error("pipe failed");
  pid_t pid = spawn(args_, out, err);
  close(out[1]);
  close(err[1]);
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    if (poll(p, 2, 100) <= 0)
      continue;
    char buf[4096];
    ssize_t n = read(p[1].revents != 0 ? err[0] : out[0], buf, sizeof(buf));
    if (n <= 0)
      break;
    text.append(buf, static_cast<size_t>(n));
    if (text.find("settled listening on") != std::string::npos)
      break;  // it started after all: the caller's check fails on the text
  }
  close(out[0]);
  close(err[0]);
  int status = 0;
  for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) != pid; ++i) {
    if (i == 99) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return {text, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

int engine_process::stop(int signal) {
  if (pid_ <= 0)
    return 0;
  int status = 0;
  kill(pid_, signal);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

engine_process::~engine_process() {
  stop(SIGTERM);
  if (own_dir_) {
    // The embedded Redis stops after its engine (it gets SIGTERM when the engine dies).
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::error_code ec;
    std::filesystem::remove_all(data_dir_, ec);
  }
}

bool engine_process::alive() const {
  return pid_ > 0 && kill(pid_, 0) == 0;
}

std::unique_ptr<client::connection> engine_process::connect(const std::string& token) const {
  auto c = std::make_unique<client::connection>("127.0.0.1", port_);
  if (!token.empty()) {
    auto r = c->hello(token);
    if (!r.ok())
      throw std::runtime_error("hello failed: " + r.message);
  }
  return c;
}

}  // namespace settle::testing
