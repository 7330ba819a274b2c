#include "bench/recovery/settled_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "client/client.hpp"

extern char** environ;

namespace settle::bench::recovery {

namespace {

using clock_type = std::chrono::steady_clock;

double ms_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

/// The environment with SETTLE_ADMIN_TOKEN replaced, built before fork: after fork only
/// async-signal-safe calls are allowed (setenv is not).
std::vector<std::string> child_environment(const std::string& token) {
  const std::string key = "SETTLE_ADMIN_TOKEN=";
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::string_view{*e}.substr(0, key.size()) != key)
      env.emplace_back(*e);
  env.push_back(key + token);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

/// A field of /proc/<pid>/status in bytes (the file says kB).
uint64_t proc_status_bytes(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with(field + ":")) {
      std::istringstream fields{line.substr(field.size() + 1)};
      uint64_t kib = 0;
      fields >> kib;
      return kib * 1024;
    }
  return 0;
}

}  // namespace

std::string file_tail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

settled_process::settled_process(const settled_launch& launch) {
  if (access(launch.executable.c_str(), X_OK) != 0)
    throw std::runtime_error("settled not found or not executable at '" + launch.executable +
                             "' (build it, or pass --settled PATH)");
  spawn(launch);
  std::string seen;
  std::string problem = await_listening(launch, seen);
  if (problem.empty())
    return;
  int status = 0;
  stop(SIGKILL, 10, status);
  throw std::runtime_error("settled " + problem + "; stdout: '" + seen + "'; end of its log:\n" +
                           file_tail(launch.log_path, 4000));
}

void settled_process::spawn(const settled_launch& launch) {
  std::vector<std::string> argv_strings{launch.executable};
  argv_strings.insert(argv_strings.end(), launch.args.begin(), launch.args.end());
  auto env_strings = child_environment(launch.admin_token);
  auto argv = pointers(argv_strings);
  auto envp = pointers(env_strings);
  int log_fd = ::open(launch.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0)
    throw std::runtime_error("cannot create " + launch.log_path);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    ::close(log_fd);
    throw std::runtime_error("pipe failed");
  }
  pid_t parent = getpid();
  spawned_at_wall_ = std::chrono::system_clock::now();
  spawned_at_ = clock_type::now();
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)  // the parent died before prctl took effect
      _exit(126);
    dup2(out[1], STDOUT_FILENO);  // dup2 clears O_CLOEXEC on the copies
    dup2(log_fd, STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  ::close(log_fd);
  ::close(out[1]);
  stdout_fd_ = out[0];
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (launch.on_spawn)
    launch.on_spawn(pid_);
}

std::string settled_process::await_listening(const settled_launch& launch, std::string& seen) {
  // stdout carries only the listening line; everything else goes to the log.
  const std::string marker = "settled listening on ";
  auto deadline = spawned_at_ + std::chrono::duration_cast<clock_type::duration>(
                                    std::chrono::duration<double>(launch.listen_timeout_s));
  for (;;) {
    auto at = seen.find(marker);
    auto eol = at == std::string::npos ? std::string::npos : seen.find('\n', at);
    if (eol != std::string::npos) {
      ms_to_listening_ = ms_between(spawned_at_, clock_type::now());
      auto [host, port] = client::parse_host_port(seen.substr(at + marker.size(),
                                                              eol - at - marker.size()));
      host_ = host;
      port_ = port;
      return {};
    }
    auto left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                         clock_type::now());
    if (left_ms.count() <= 0)
      return "did not print its listening line within " +
             std::to_string(launch.listen_timeout_s) + " s";
    pollfd p{stdout_fd_, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(std::min<int64_t>(left_ms.count(), 1000)));
    if (ready <= 0)
      continue;
    char buf[512];
    ssize_t n = read(stdout_fd_, buf, sizeof buf);
    if (n <= 0)
      return "exited before listening";
    seen.append(buf, static_cast<size_t>(n));
  }
}

settled_process::~settled_process() {
  int status = 0;
  stop(SIGKILL, 10, status);
  if (stdout_fd_ >= 0)
    ::close(stdout_fd_);
}

uint64_t settled_process::rss_bytes() const {
  return pid_ > 0 ? proc_status_bytes(pid_, "VmRSS") : 0;
}

uint64_t settled_process::peak_rss_bytes() const {
  return pid_ > 0 ? proc_status_bytes(pid_, "VmHWM") : 0;
}

double settled_process::stop(int signal, double timeout_s, int& exit_status) {
  exit_status = 0;
  if (pid_ <= 0)
    return 0;
  auto t0 = clock_type::now();
  ::kill(pid_, signal);
  auto deadline = t0 + std::chrono::duration_cast<clock_type::duration>(
                           std::chrono::duration<double>(timeout_s));
  while (waitpid(pid_, &exit_status, WNOHANG) != pid_) {
    if (clock_type::now() > deadline) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &exit_status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  return ms_between(t0, clock_type::now());
}

}  // namespace settle::bench::recovery
