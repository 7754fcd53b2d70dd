// Load-time work split over the loading thread pool: repacking is a pass over every weight of
// the file, and on a board with four cores the first load should take a quarter of the time.
#pragma once

#include <algorithm>
#include <cstddef>

#include "engine/src/common/threadpool.h"

namespace lutra::engine::linear {

// Calls fn(begin, end) over [0, count) in slices of `per` items (the last may be shorter), on
// `pool` when given (slices in any order, from any thread), else in order on the caller.
template <typename Fn>
void ForEachSlice(ThreadPool* pool, size_t count, size_t per, Fn&& fn) {
  per = std::max<size_t>(per, 1);
  const size_t slices = (count + per - 1) / per;
  auto run = [&](size_t i) { fn(i * per, std::min(count, (i + 1) * per)); };
  if (pool == nullptr || slices < 2) {
    for (size_t i = 0; i < slices; ++i) run(i);
  } else {
    pool->ParallelFor(slices, run);
  }
}

}  // namespace lutra::engine::linear
