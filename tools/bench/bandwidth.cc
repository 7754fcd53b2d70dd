#include "tools/bench/bandwidth.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace lutra::tools {
namespace {

// Several independent sums so the loop is load-bound, not add-latency-bound; the compiler
// vectorizes it.
uint64_t SumWords(const uint64_t* p, size_t n) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += p[i];
    s1 += p[i + 1];
    s2 += p[i + 2];
    s3 += p[i + 3];
  }
  for (; i < n; ++i) s0 += p[i];
  return s0 + s1 + s2 + s3;
}

}  // namespace

double MeasureReadBandwidth(size_t threads, size_t buffer_bytes, int repetitions) {
  threads = std::max<size_t>(1, threads);
  const size_t words = buffer_bytes / sizeof(uint64_t);
  std::vector<uint64_t> buffer(words);
  for (size_t i = 0; i < words; ++i) buffer[i] = i;  // touch every page
  double best = 0.0;
  volatile uint64_t sink = 0;
  for (int r = 0; r < repetitions; ++r) {
    std::vector<uint64_t> sums(threads);
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    const size_t share = words / threads;
    for (size_t t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] { sums[t] = SumWords(buffer.data() + t * share, share); });
    }
    for (std::thread& th : pool) th.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (uint64_t v : sums) sink = sink + v;
    best = std::max(best, double(share * threads * sizeof(uint64_t)) / s);
  }
  return best;
}

}  // namespace lutra::tools
