#include "persistence/redis_server.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

#include "persistence/redis_connection.hpp"

namespace settle::persistence {

namespace {

/// True if the server at the options' address answers PING.
bool answers_ping(const redis_server_options& o) {
  redis_address a;
  if (o.port != 0)
    a.port = o.port;
  else
    a.unix_socket = o.unix_socket;
  a.timeout_ms = 200;
  auto c = redis_connection::try_connect(a);
  if (!c)
    return false;  // not (yet, or any more) there: what the callers poll for
  c->append({"PING"});
  auto reply = c->read_reply();
  return reply && reply->type == REDIS_REPLY_STATUS;
}

}  // namespace

redis_server::redis_server(redis_server_options opts) : opts_(std::move(opts)) {
  if (opts_.dir.empty())
    throw std::runtime_error("redis_server: no data directory given");
  if (opts_.appendfsync != "always" && opts_.appendfsync != "everysec" && opts_.appendfsync != "no")
    throw std::runtime_error("redis_server: appendfsync must be always, everysec or no, not '" +
                             opts_.appendfsync + "'");
  std::filesystem::create_directories(opts_.dir);
  opts_.dir = std::filesystem::absolute(opts_.dir).string();
  if (opts_.unix_socket.empty())
    opts_.unix_socket = opts_.dir + "/redis.sock";
  // Unix socket paths are limited to 107 bytes; fail clearly rather than inside Redis.
  if (opts_.unix_socket.size() > 100)
    throw std::runtime_error("redis_server: socket path too long: " + opts_.unix_socket);
  start();
}

redis_server::~redis_server() {
  stop();
}

void redis_server::start() {
  // A server still answering on our socket belongs to an engine that was just killed (it is
  // shutting down after its parent died): wait for it rather than share the data directory.
  auto stale_deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(opts_.start_timeout_ms);
  while (answers_ping(opts_)) {
    if (std::chrono::steady_clock::now() > stale_deadline)
      throw std::runtime_error("redis_server: another redis-server answers on " +
                               (opts_.port != 0 ? "port " + std::to_string(opts_.port)
                                                : opts_.unix_socket) +
                               " and does not go away");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::vector<std::string> args{opts_.executable,
                                "--dir", opts_.dir,
                                "--port", std::to_string(opts_.port),
                                "--bind", "127.0.0.1",
                                "--unixsocket", opts_.unix_socket,
                                "--unixsocketperm", "700",
                                "--appendonly", "yes",
                                "--appendfsync", opts_.appendfsync,
                                "--auto-aof-rewrite-min-size",
                                std::to_string(opts_.aof_rewrite_min_bytes),
                                "--save", "",
                                "--daemonize", "no",
                                "--protected-mode", "yes",
                                "--logfile", opts_.dir + "/redis.log"};
  if (opts_.maxmemory_bytes > 0) {
    args.insert(args.end(), {"--maxmemory", std::to_string(opts_.maxmemory_bytes),
                             "--maxmemory-policy", "noeviction"});
  }
  pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0)
    throw std::runtime_error("redis_server: fork failed");
  if (pid_ == 0) {
    if (opts_.die_with_parent) {
      // Its own process group: a Ctrl-C meant for the engine must not stop Redis while the
      // engine still writes its last batches; the engine stops it when it is done.
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent)  // the parent died before prctl took effect
        _exit(1);
    }
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(opts_.start_timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (answers_ping(opts_))
      return;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis_server: redis-server exited at start; see " + opts_.dir +
                               "/redis.log");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop();
  throw std::runtime_error("redis_server: redis-server did not answer within " +
                           std::to_string(opts_.start_timeout_ms) + " ms");
}

bool redis_server::running() const {
  return pid_ > 0 && ::kill(pid_, 0) == 0;
}

void redis_server::signal(int sig) const {
  if (pid_ > 0)
    ::kill(pid_, sig);
}

void redis_server::stop() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGCONT);  // a paused server cannot handle SIGTERM
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 250; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void redis_server::restart() {
  if (pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == pid_)
    pid_ = -1;  // it died (e.g. SIGKILL in a test)
  stop();
  start();
}

uint16_t pick_free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace settle::persistence
