#include "tools/bench/bandwidth.h"

#include <sys/mman.h>
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

// The runtime keeps weights and KV cache in transparent huge pages (engine/src/memory); the
// roofline is measured the same way, else it would understate what decode can reach.
class HugePageWords {
 public:
  explicit HugePageWords(size_t words)
      : bytes_((words * sizeof(uint64_t) + kHuge - 1) / kHuge * kHuge) {
    void* p =
        mmap(nullptr, bytes_ + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;  // valid() is false: no figure rather than a crash
    map_ = static_cast<uint8_t*>(p);
    words_ =
        reinterpret_cast<uint64_t*>((reinterpret_cast<uintptr_t>(p) + kHuge - 1) / kHuge * kHuge);
#ifdef MADV_HUGEPAGE
    (void)madvise(words_, bytes_, MADV_HUGEPAGE);  // advice: ordinary pages without THP
#endif
  }
  ~HugePageWords() {
    if (map_ != nullptr) munmap(map_, bytes_ + kHuge);
  }
  bool valid() const {
    return map_ != nullptr;
  }
  HugePageWords(const HugePageWords&) = delete;
  HugePageWords& operator=(const HugePageWords&) = delete;
  uint64_t& operator[](size_t i) {
    return words_[i];
  }
  const uint64_t* data() const {
    return words_;
  }

 private:
  static constexpr size_t kHuge = size_t{2} << 20;
  size_t bytes_;
  uint8_t* map_ = nullptr;
  uint64_t* words_ = nullptr;
};

}  // namespace

double MeasureReadBandwidth(size_t threads, size_t buffer_bytes, int repetitions) {
  threads = std::max<size_t>(1, threads);
  const size_t words = buffer_bytes / sizeof(uint64_t);
  HugePageWords buffer(words);
  if (!buffer.valid()) return 0.0;  // the report prints "-" for an unknown roofline
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
