// lutra-bench runs each model configuration (load, tests) in a forked child process: the
// child's peak resident memory is then that configuration's alone, not the maximum of
// everything the tool did before (earlier configurations, the bandwidth buffers, writing a
// synthetic model).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace lutra::tools {

// Zero-filled memory that a parent and the children it forks afterwards share (an anonymous
// MAP_SHARED mapping): the child writes its measurements here, the parent reads them once the
// child has exited. Fail() when it cannot be mapped.
class SharedMemory {
 public:
  explicit SharedMemory(size_t bytes);
  ~SharedMemory();
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;
  void* data() const { return data_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

// Runs `work` in a forked child and waits for it; returns the child's peak resident set size
// in bytes. A child that fails has printed its message (Fail()): the parent then exits with
// the child's status, or dies of the child's SIGINT/SIGTERM/SIGHUP, after removing the
// temporary files. Only call it while this process runs a single thread.
uint64_t RunInChild(const std::function<void()>& work);

}  // namespace lutra::tools
