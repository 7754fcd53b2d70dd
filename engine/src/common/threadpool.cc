#include "engine/src/common/threadpool.h"

#include <linux/futex.h>
#include <pthread.h>
#include <pthreadpool.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "arch/detect.h"

// Why not pthreadpool for lutra's own loops: a pthreadpool call returns only after every worker
// has checked in, and the caller spins (up to a million iterations) while it waits. When the
// device is busy with anything else, a worker that is not scheduled holds up every parallel
// loop by a scheduler time slice even if the caller did all the work itself; a 2-thread decode
// on a 2-core machine with one other busy process ran hundreds of times slower than 1 thread.
// Here items are claimed one at a time from a shared ticket and a loop ends when its items are
// done: a worker that wakes late finds nothing left and goes back to sleep. Waiting spins for
// a few tens of microseconds (back-to-back loops of a decode step), then sleeps on a futex.
// Raw futexes rather than std::atomic::wait: GCC 12's implementation can lose a wake-up (a
// pool destructor hung joining a worker that slept through the last notify).

namespace lutra::engine {
namespace {

// Whether `threads` thread stacks (with guard pages) still fit in the address space: under a
// memory limit (RLIMIT_AS, a 32-bit address space) the pool runs with fewer threads instead of
// failing later.
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

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || (defined(__arm__) && __ARM_ARCH >= 7)
  asm volatile("yield");
#endif
}

// Spins before sleeping: about 20–60 µs on current cores.
constexpr int kSpinIterations = 4000;

using Body = void (*)(void*, size_t);

// Sleeps while *word == value (returns at once if it differs: the kernel checks atomically).
void FutexWait(std::atomic<uint32_t>& word, uint32_t value) {
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, value, nullptr,
          nullptr, 0);
}
void FutexWakeAll(std::atomic<uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr,
          nullptr, 0);
}

// Sleeps until `word` differs from `value`. `sleepers` counts the threads that may be asleep
// on it; with sequentially consistent accesses on both sides either the waker sees the count
// or the sleeper sees the new value (see Wake).
void SleepWhileEqual(std::atomic<uint32_t>& word, uint32_t value, std::atomic<uint32_t>& sleepers) {
  sleepers.fetch_add(1, std::memory_order_seq_cst);
  while (word.load(std::memory_order_seq_cst) == value) FutexWait(word, value);
  sleepers.fetch_sub(1, std::memory_order_seq_cst);
}
// After a seq_cst store to `word`: wakes its sleepers, with no system call when there are none.
void Wake(std::atomic<uint32_t>& word, std::atomic<uint32_t>& sleepers) {
  if (sleepers.load(std::memory_order_seq_cst) != 0) FutexWakeAll(word);
}

}  // namespace

struct ThreadPool::Shared {
  // Loop `generation` (high 32 bits) and the number of items not yet claimed (low 32 bits): a
  // claim is one compare-exchange that fails once the loop has moved on, so a late worker never
  // runs an item of a loop that has ended. The count is in the ticket itself because a worker
  // that read the ticket of one loop can read `items` of the next (the caller starts the next
  // loop while the worker is between the two loads): judged by the next loop's size, an
  // exhausted loop looked unfinished, an item ran twice and `done` overshot its target, which
  // hung the caller (seen under qemu). `items` is read only after a claim succeeds; the loop
  // cannot end, nor the next one store its size, before the claimed item is done.
  std::atomic<uint64_t> ticket{0};
  std::atomic<uint32_t> generation{0};  // what sleeping workers wait on
  std::atomic<Body> body{nullptr};
  std::atomic<void*> context{nullptr};
  std::atomic<size_t> items{0};
  std::atomic<uint32_t> done{0};
  std::atomic<uint32_t> generation_sleepers{0}, done_sleepers{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  std::mutex call;  // serializes ParallelFor callers
  uint32_t last_generation = 0;

  size_t threads = 1;
  mutable std::once_flag xnn_once;
  mutable pthreadpool* xnn = nullptr;

  // Claims and runs items of loop `gen` until none is left or the loop has ended.
  void Work(uint32_t gen) {
    for (;;) {
      uint64_t t = ticket.load(std::memory_order_acquire);
      if (uint32_t(t >> 32) != gen) return;
      const size_t unclaimed = size_t(t & 0xFFFFFFFFu);
      if (unclaimed == 0) return;
      if (!ticket.compare_exchange_weak(t, t - 1, std::memory_order_acq_rel)) continue;
      // The loop cannot end before this item is done, so its size, body and context are
      // still the ones stored before its ticket.
      const size_t n = items.load(std::memory_order_relaxed);
      body.load(std::memory_order_relaxed)(context.load(std::memory_order_relaxed), n - unclaimed);
      if (done.fetch_add(1, std::memory_order_seq_cst) + 1 == n) Wake(done, done_sleepers);
    }
  }

  void WorkerLoop() {
    // From generation 0: a worker that starts after the first loop (or after the destructor's
    // increment) still sees a generation it has not handled and checks `stop`.
    uint32_t seen = 0;
    for (;;) {
      if (stop.load(std::memory_order_acquire)) return;
      uint32_t g = generation.load(std::memory_order_acquire);
      for (int i = 0; g == seen && i < kSpinIterations; ++i) {
        CpuRelax();
        g = generation.load(std::memory_order_acquire);
      }
      if (g == seen) {
        SleepWhileEqual(generation, seen, generation_sleepers);
        continue;
      }
      seen = g;
      Work(g);
    }
  }
};

ThreadPool::ThreadPool(size_t threads) : shared_(std::make_unique<Shared>()) {
  if (threads == 0) threads = arch::Host().performance_cores;
  if (threads > 1 && !StacksFit(threads)) threads = 1;
  for (size_t i = 1; i < threads; ++i) {
    try {
      shared_->workers.emplace_back([s = shared_.get()] { s->WorkerLoop(); });
    } catch (const std::exception&) {
      break;  // no more threads (process or memory limits): run with the ones there are
    }
  }
  threads_ = shared_->workers.size() + 1;
  shared_->threads = threads_;
}

ThreadPool::~ThreadPool() {
  shared_->stop.store(true, std::memory_order_release);
  shared_->generation.fetch_add(1, std::memory_order_seq_cst);
  Wake(shared_->generation, shared_->generation_sleepers);
  for (std::thread& t : shared_->workers) t.join();
  if (shared_->xnn != nullptr) pthreadpool_destroy(shared_->xnn);
}

pthreadpool* ThreadPool::handle() const {
  if (threads_ <= 1) return nullptr;
  // pthreadpool_create waits for every thread it starts without checking pthread_create: under
  // a memory limit it would wait forever, so the stacks are checked first (nullptr: XNNPACK
  // runs on the caller).
  std::call_once(shared_->xnn_once, [s = shared_.get()] {
    if (StacksFit(s->threads)) s->xnn = pthreadpool_create(s->threads);
  });
  return shared_->xnn;
}

void ThreadPool::ParallelFor(size_t n, Body body, void* context) {
  if (threads_ <= 1 || n <= 1 || n > 0xFFFFFFFFu) {
    for (size_t i = 0; i < n; ++i) body(context, i);
    return;
  }
  Shared& s = *shared_;
  std::lock_guard<std::mutex> lock(s.call);
  const uint32_t gen = ++s.last_generation;
  s.body.store(body, std::memory_order_relaxed);
  s.context.store(context, std::memory_order_relaxed);
  s.items.store(n, std::memory_order_relaxed);
  s.done.store(0, std::memory_order_relaxed);
  s.ticket.store(uint64_t(gen) << 32 | n, std::memory_order_release);
  s.generation.store(gen, std::memory_order_seq_cst);
  Wake(s.generation, s.generation_sleepers);
  s.Work(gen);
  // The items other threads hold: spin a little, then sleep until the last one is done.
  uint32_t d = s.done.load(std::memory_order_acquire);
  for (int i = 0; d != n && i < kSpinIterations; ++i) {
    CpuRelax();
    d = s.done.load(std::memory_order_acquire);
  }
  while (d != n) {
    SleepWhileEqual(s.done, d, s.done_sleepers);
    d = s.done.load(std::memory_order_acquire);
  }
}

}  // namespace lutra::engine
