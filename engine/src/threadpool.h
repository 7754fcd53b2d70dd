// The engine's only threads: one pthreadpool, shared by lutra's parallel loops and XNNPACK.
#pragma once

#include <cstddef>
#include <type_traits>

struct pthreadpool;

namespace lutra::engine {

class ThreadPool {
 public:
  // threads == 0 means the number of performance cores. threads == 1 creates no threads:
  // parallel loops then run inline on the caller.
  explicit ThreadPool(size_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t threads() const { return threads_; }
  // For XNNPACK calls; nullptr when single-threaded (XNNPACK then runs on the caller).
  pthreadpool* handle() const { return pool_; }

  // Runs body(context, i) for i in [0, n), split across the pool; returns when all are done.
  void ParallelFor(size_t n, void (*body)(void* context, size_t i), void* context);

  // Convenience for lambdas: ParallelFor(n, [&](size_t i) { ... }).
  template <typename F>
  void ParallelFor(size_t n, F&& f) {
    using Body = std::remove_reference_t<F>;
    ParallelFor(
        n, [](void* c, size_t i) { (*static_cast<Body*>(c))(i); }, &f);
  }

 private:
  pthreadpool* pool_ = nullptr;
  size_t threads_ = 1;
};

}  // namespace lutra::engine
