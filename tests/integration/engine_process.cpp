#include "engine_process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace settle::testing {

engine_process::engine_process(std::vector<std::string> extra_flags) {
  char dir_template[] = "/tmp/settle-test-XXXXXX";
  if (mkdtemp(dir_template) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  data_dir_ = dir_template;
  std::vector<std::string> args{SETTLED_PATH,  "--listen",  "127.0.0.1:0",
                                "--data-dir",  data_dir_,   "--token",
                                admin_token + ":admin",     "--token",
                                acme_token + ":partner:acme", "--token",
                                beta_token + ":partner:beta", "--token",
                                viewer_token + ":viewer",   "--log-level",
                                "warn"};
  args.insert(args.end(), extra_flags.begin(), extra_flags.end());
  int out[2];
  if (pipe(out) != 0)
    throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    ::unsetenv("SETTLE_ADMIN_TOKEN");
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  // Read stdout until "settled listening on 127.0.0.1:PORT" (10 s at most).
  std::string seen;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const std::string marker = "settled listening on 127.0.0.1:";
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
    if (eol != std::string::npos) {
      port_ = static_cast<uint16_t>(std::stoul(seen.substr(at + marker.size())));
      break;
    }
  }
  close(out[0]);  // the engine's later stdout writes are not needed (SIGPIPE is not raised: it logs to stderr)
  if (port_ == 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    throw std::runtime_error("settled did not start; it printed: " + seen);
  }
}

engine_process::~engine_process() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(data_dir_, ec);
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
