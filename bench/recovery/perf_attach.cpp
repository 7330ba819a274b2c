#include "bench/recovery/perf_attach.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <vector>

namespace settle::bench::recovery {

perf_attach::perf_attach(pid_t target, const std::string& output) {
  // DWARF call graphs: the engine is built without frame pointers, so -g (fp) stacks would
  // stop after a frame or two.
  std::vector<std::string> args{"perf", "record", "-q", "-F", "499", "--call-graph",
                                "dwarf,16384", "-o", output, "-p", std::to_string(target)};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    execvp(argv[0], argv.data());
    _exit(127);
  }
  if (pid_ < 0)
    throw std::runtime_error("cannot fork perf");
}

perf_attach::~perf_attach() {
  finish();
}

void perf_attach::interrupt() {
  if (pid_ > 0 && !interrupted_)
    ::kill(pid_, SIGINT);
  interrupted_ = true;
}

void perf_attach::finish() {
  if (pid_ <= 0)
    return;
  interrupt();
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace settle::bench::recovery
