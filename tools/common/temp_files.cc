#include "tools/common/temp_files.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "tools/common/args.h"

namespace lutra::tools {
namespace {

constexpr int kMaxFiles = 8;
constexpr size_t kMaxPath = 4096;
char g_paths[kMaxFiles][kMaxPath];
// Published after the path's bytes are written, so a handler never sees a half-copied name.
std::atomic<int> g_count{0};

void Register(const std::string& path) {
  const int i = g_count.load();
  if (i >= kMaxFiles || path.size() >= kMaxPath) Fail(path + ": cannot register a temporary file");
  std::memcpy(g_paths[i], path.c_str(), path.size() + 1);
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

void OnSignal(int sig) {
  const int saved = errno;
  RemoveTempFilesNow();
  errno = saved;
  std::signal(sig, SIG_DFL);
  std::raise(sig);  // delivered when this handler returns: the default action ends the process
}

}  // namespace

void RemoveTempFilesNow() {
  const int n = g_count.load();
  for (int i = 0; i < n; ++i) ::unlink(g_paths[i]);
}

void RemoveOnExit(const std::string& path) {
  static const bool registered = std::atexit(AtExit) == 0;
  (void)registered;
  Register(path);
  Register(path + ".tmp." + std::to_string(::getpid()));
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

void RemoveTempFilesOnSignals() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&sa.sa_mask, sig);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

}  // namespace lutra::tools
