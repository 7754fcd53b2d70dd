#include "engine/src/threadpool.h"

#include <pthread.h>
#include <pthreadpool.h>
#include <sys/mman.h>

#include <cstdint>

#include "arch/detect.h"

// ThreadSanitizer cannot see the synchronization inside pthreadpool (a system library built
// without -fsanitize=thread: its atomics and futex waits are invisible), so it would report
// every hand-over of data between the caller and the workers as a race. The pool's real
// guarantee is stated to TSan instead: everything before pthreadpool_parallelize_1d happens
// before each task, and each task happens before its return.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LUTRA_TSAN 1
#endif
#endif
#if !defined(LUTRA_TSAN) && defined(__SANITIZE_THREAD__)
#define LUTRA_TSAN 1
#endif
#ifdef LUTRA_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace lutra::engine {
namespace {

#ifdef LUTRA_TSAN
struct Annotated {
  void (*body)(void*, size_t);
  void* context;
  char start, done;  // addresses standing for the two hand-overs
};

void AnnotatedTask(void* c, size_t i) {
  auto* a = static_cast<Annotated*>(c);
  __tsan_acquire(&a->start);
  a->body(a->context, i);
  __tsan_release(&a->done);
}
#endif

// Whether `threads` thread stacks (with guard pages) still fit in the address space.
// pthreadpool_create waits for every thread it starts and does not check pthread_create, so
// under a memory limit (RLIMIT_AS, a 32-bit address space) it would wait forever; reserving
// the stacks' worth of address space first (and giving it back) tells whether they can be made.
bool StacksFit(size_t threads) {
  size_t stack = size_t(8) << 20;
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) == 0) {
    (void)pthread_attr_getstacksize(&attr, &stack);
    pthread_attr_destroy(&attr);
  }
  const uint64_t want = uint64_t(threads) * (uint64_t(stack) + (uint64_t(1) << 20));
  if (want > SIZE_MAX / 2) return false;  // more than a 32-bit address space could hold
  const size_t bytes = size_t(want);
  void* p = mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return false;
  munmap(p, bytes);
  return true;
}

}  // namespace

ThreadPool::ThreadPool(size_t threads) {
  if (threads == 0) threads = arch::Host().performance_cores;
  if (threads > 1 && StacksFit(threads)) pool_ = pthreadpool_create(threads);
  // pthreadpool_create fails only when threads cannot be created; run inline then.
  threads_ = pool_ != nullptr ? pthreadpool_get_threads_count(pool_) : 1;
}

ThreadPool::~ThreadPool() {
  if (pool_ != nullptr) pthreadpool_destroy(pool_);
}

void ThreadPool::ParallelFor(size_t n, void (*body)(void*, size_t), void* context) {
  if (pool_ == nullptr) {
    for (size_t i = 0; i < n; ++i) body(context, i);
    return;
  }
#ifdef LUTRA_TSAN
  Annotated a{body, context, 0, 0};
  __tsan_release(&a.start);
  pthreadpool_parallelize_1d(pool_, AnnotatedTask, &a, n, 0);
  __tsan_acquire(&a.done);
#else
  pthreadpool_parallelize_1d(pool_, body, context, n, 0);
#endif
}

}  // namespace lutra::engine
