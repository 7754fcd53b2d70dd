#include "tools/bench/child_process.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tools/common/args.h"
#include "tools/common/temp_files.h"

namespace lutra::tools {

SharedMemory::SharedMemory(size_t bytes) : bytes_(bytes == 0 ? 1 : bytes) {
  void* p = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) Fail(std::string("cannot map shared memory: ") + std::strerror(errno));
  data_ = p;
}

SharedMemory::~SharedMemory() {
  ::munmap(data_, bytes_);
}

// The peak comes from wait4()'s rusage of that one child (ru_maxrss: the kernel's high-water
// mark of its resident set over its whole life, loading and freeing included), rather than
// from /proc/self/status VmHWM sent back by the child: it needs nothing from the child, holds
// even when the child dies, and getrusage(RUSAGE_CHILDREN) would give the largest of all
// children so far instead. It counts the pages the child shares with this parent at the fork
// (a few MiB of code and data), as a process started from scratch would count its own.
uint64_t RunInChild(const std::function<void()>& work) {
  std::fflush(stdout);  // nothing buffered may be written twice
  std::fflush(stderr);
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) Fail(std::string("cannot fork: ") + std::strerror(errno));
  if (child == 0) {
    // A parent killed outright (SIGKILL) cannot stop its child: the child stops itself.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    work();
    std::fflush(stderr);
    ::_exit(0);  // not exit(): the parent's atexit handlers and stdio are not the child's
  }
  // From here a signal or Fail() in the parent kills and reaps the child before removing the
  // temporary files it may be writing into.
  SetWritingChild(child);
  int status = 0;
  rusage ru{};
  pid_t got = 0;
  while ((got = ::wait4(child, &status, 0, &ru)) < 0 && errno == EINTR) {
  }
  SetWritingChild(0);
  if (got != child) Fail(std::string("cannot wait for the benchmark process: ") + strerror(errno));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return uint64_t(ru.ru_maxrss) * 1024;
  if (WIFEXITED(status)) std::exit(WEXITSTATUS(status));  // the child printed why
  const int sig = WTERMSIG(status);
  if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
    // Interrupted along with the child (Ctrl-C reaches the whole process group): end as the
    // child did, so the exit status still says which signal.
    RemoveTempFilesNow();
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
  Fail("the benchmark process was killed by signal " + std::to_string(sig) + " (" + strsignal(sig) +
       (sig == SIGKILL ? ": out of memory?" : "") + ")");
}

}  // namespace lutra::tools
