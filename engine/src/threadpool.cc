#include "engine/src/threadpool.h"

#include <pthreadpool.h>

#include "arch/detect.h"

namespace lutra::engine {

ThreadPool::ThreadPool(size_t threads) {
  if (threads == 0) threads = arch::Host().performance_cores;
  if (threads > 1) pool_ = pthreadpool_create(threads);
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
  pthreadpool_parallelize_1d(pool_, body, context, n, 0);
}

}  // namespace lutra::engine
