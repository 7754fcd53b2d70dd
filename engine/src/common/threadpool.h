// The engine's threads: lutra's parallel loops run on the pool's own workers; XNNPACK
// operators get a pthreadpool of the same size, created only when one is first needed.
#pragma once

#include <cstddef>
#include <memory>
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
  // For XNNPACK calls: a pthreadpool with threads() threads, created on first use (models
  // without dense layers never start one); nullptr when single-threaded or when it cannot be
  // created (XNNPACK then runs on the caller).
  pthreadpool* handle() const;

  // Runs body(context, i) for i in [0, n) on the caller and the workers; returns when all are
  // done. Calls on one pool are serialized; body must not call ParallelFor on the same pool.
  void ParallelFor(size_t n, void (*body)(void* context, size_t i), void* context);

  // Convenience for lambdas: ParallelFor(n, [&](size_t i) { ... }).
  template <typename F>
  void ParallelFor(size_t n, F&& f) {
    using Body = std::remove_reference_t<F>;
    ParallelFor(
        n, [](void* c, size_t i) { (*static_cast<Body*>(c))(i); }, &f);
  }

 private:
  struct Shared;
  std::unique_ptr<Shared> shared_;
  size_t threads_ = 1;
};

}  // namespace lutra::engine
