#include "tools/common/temp_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "tools/common/args.h"

namespace lutra::tools {
namespace {

constexpr int kMaxFiles = 8;
constexpr size_t kMaxPath = 4096;
char g_paths[kMaxFiles][kMaxPath];
bool g_is_tree[kMaxFiles];
// Published after the path's bytes are written, so a handler never sees a half-copied name.
std::atomic<int> g_count{0};
// The process that registered the paths: the only one that removes them (see the header).
std::atomic<pid_t> g_owner{0};
std::atomic<pid_t> g_child{0};

void Register(const std::string& path, bool tree) {
  const int i = g_count.load();
  if (i >= kMaxFiles || path.size() >= kMaxPath) Fail(path + ": cannot register a temporary file");
  std::memcpy(g_paths[i], path.c_str(), path.size() + 1);
  g_is_tree[i] = tree;
  g_owner.store(::getpid());
  g_count.store(i + 1);
}

// Holds SIGINT, SIGTERM and SIGHUP back while a file is created and registered: a signal in
// between would find the file not yet registered and leave it behind. A signal that arrives
// meanwhile is delivered when the scope ends, and the handler then removes the file.
class TerminationSignalsHeld {
 public:
  TerminationSignalsHeld() {
    sigset_t held;
    sigemptyset(&held);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&held, sig);
    pthread_sigmask(SIG_BLOCK, &held, &previous_);
  }
  ~TerminationSignalsHeld() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  TerminationSignalsHeld(const TerminationSignalsHeld&) = delete;
  TerminationSignalsHeld& operator=(const TerminationSignalsHeld&) = delete;

 private:
  sigset_t previous_;
};

void AtExit() {
  RemoveTempFilesNow();
}

void RemoveAtExit() {
  static const bool registered = std::atexit(AtExit) == 0;
  (void)registered;
}

void OnSignal(int sig) {
  const int saved = errno;
  RemoveTempFilesNow();
  errno = saved;
  std::signal(sig, SIG_DFL);
  std::raise(sig);  // delivered when this handler returns: the default action ends the process
}

// Empties directory `dir` (an open descriptor) and, `depth` levels down, its subdirectories.
// getdents64 rather than readdir: readdir may allocate, which a signal handler must not. The
// directory is reread from its start until a pass removes nothing, as removing entries while
// reading them may make the kernel skip some.
void RemoveEntries(int dir, int depth) {
  // linux_dirent64: u64 inode, s64 offset, u16 record length, u8 type, then the name.
  constexpr size_t kReclen = 16, kType = 18, kName = 19;
  alignas(8) char buf[2048];
  for (bool removed = true; removed;) {
    removed = false;
    if (::lseek(dir, 0, SEEK_SET) != 0) return;
    for (;;) {
      const long n = ::syscall(SYS_getdents64, dir, buf, sizeof buf);
      if (n <= 0) break;
      for (long at = 0; at < n;) {
        uint16_t reclen = 0;
        std::memcpy(&reclen, buf + at + kReclen, sizeof reclen);
        const unsigned char type = static_cast<unsigned char>(buf[at + kType]);
        const char* name = buf + at + kName;
        at += reclen;
        if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
        if (type != DT_DIR && ::unlinkat(dir, name, 0) == 0) {
          removed = true;
          continue;
        }
        if (depth == 0) continue;
        const int sub = ::openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) continue;
        RemoveEntries(sub, depth - 1);
        ::close(sub);
        if (::unlinkat(dir, name, AT_REMOVEDIR) == 0) removed = true;
      }
    }
  }
}

// The repack cache nests a few levels at most; the bound keeps the handler's stack small.
constexpr int kMaxTreeDepth = 8;

void RemoveTree(const char* path) {
  const int dir = ::open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0) return;
  RemoveEntries(dir, kMaxTreeDepth);
  ::close(dir);
  ::rmdir(path);
}

}  // namespace

void RemoveTempFilesNow() {
  if (::getpid() != g_owner.load()) return;
  const pid_t child = g_child.exchange(0);
  if (child > 0) {
    ::kill(child, SIGKILL);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
  }
  const int n = g_count.load();
  for (int i = 0; i < n; ++i) {
    if (g_is_tree[i]) {
      RemoveTree(g_paths[i]);
    } else {
      ::unlink(g_paths[i]);
    }
  }
}

void SetWritingChild(pid_t child) {
  g_child.store(child);
}

void RemoveOnExit(const std::string& path) {
  RemoveAtExit();
  Register(path, false);
  Register(path + ".tmp." + std::to_string(::getpid()), false);
}

std::string CreateTempModelFile(const std::string& dir, const std::string& prefix) {
  std::string name = dir + "/" + prefix + "-XXXXXX.gguf";
  const TerminationSignalsHeld held;
  const int fd = ::mkstemps(name.data(), 5);
  if (fd < 0) Fail("cannot create a temporary file in " + dir + ": " + std::strerror(errno));
  ::close(fd);
  RemoveOnExit(name);
  return name;
}

std::string CreateTempDir(const std::string& dir, const std::string& prefix) {
  std::string name = dir + "/" + prefix + "-XXXXXX";
  const TerminationSignalsHeld held;
  if (::mkdtemp(name.data()) == nullptr) {
    Fail("cannot create a temporary directory in " + dir + ": " + std::strerror(errno));
  }
  RemoveAtExit();
  Register(name, true);
  return name;
}

void RemoveTempFilesOnSignals() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&sa.sa_mask, sig);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

}  // namespace lutra::tools
