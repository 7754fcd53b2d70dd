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

constexpr size_t kMiB = size_t{1} << 20;
constexpr size_t kPage = 4096;

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

// The roofline fraction should mean "this share of the speed at which this machine can read
// what one decode step reads", on every machine. A fixed buffer cannot say that: a buffer far
// larger than the cache measures DRAM, and a small model whose step stays in a big L3 then
// decodes at "more than 100%" of it; a fixed buffer that a huge L3 (hundreds of MiB) holds
// measures the cache while a large model streams from DRAM. Reading a buffer of the step's own
// size puts the reference in the same level of the memory hierarchy as the step: in L2 or L3
// when the step fits there, in DRAM when it does not. So there is no lower bound on the size
// (a floor of tens of MiB would bring the >100% back for every model smaller than the floor);
// small buffers are instead read many times per timing (MeasureReadBandwidth). Above 8x the
// last-level cache (at least 256 MiB, as bench/common's ReadBytesPerSecond) a buffer reads
// from DRAM almost entirely and a larger one measures nothing new, so the size stops there:
// the reference of a 16 GB model then costs 256 MiB of memory and a fraction of a second,
// not a second copy of the model.
size_t ReferenceBufferBytes(uint64_t step_bytes, uint64_t llc_bytes) {
  const uint64_t cap = std::max<uint64_t>(8 * llc_bytes, 256 * kMiB);
  const uint64_t bytes = std::min(std::max<uint64_t>(step_bytes, kPage), cap);
  return size_t((bytes + kPage - 1) / kPage * kPage);
}

double MeasureReadBandwidth(size_t threads, size_t buffer_bytes, int repetitions) {
  threads = std::max<size_t>(1, threads);
  const size_t words = std::max(buffer_bytes / sizeof(uint64_t), threads);
  HugePageWords buffer(words);
  if (!buffer.valid()) return 0.0;  // the report prints "-" for an unknown roofline
  for (size_t i = 0; i < words; ++i) buffer[i] = i;  // touch every page
  // Each timing reads at least 256 MiB (the whole buffer at least once): starting and joining
  // the threads (tens of microseconds) is then noise even for a buffer that sits in L2.
  const size_t passes = std::max<size_t>(1, (256 * kMiB) / (words * sizeof(uint64_t)));
  const size_t share = words / threads;
  double best = 0.0, spent = 0.0;
  volatile uint64_t sink = 0;
  // The best timing is the machine's; a slower one is another process's traffic (a shared
  // machine, a build running beside). Timing on for 0.1 s after the first `repetitions` finds
  // a quiet moment more often, at little cost: a DRAM-sized pass takes about 10 ms.
  for (int r = 0; r < repetitions || (spent < 0.1 && r < 50); ++r) {
    std::vector<uint64_t> sums(threads);
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (size_t t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        // Read through a volatile pointer: the compiler cannot see that every pass sums the
        // same words, so it cannot compute the sum once and multiply it.
        const uint64_t* volatile start = buffer.data() + t * share;
        uint64_t s = 0;
        for (size_t p = 0; p < passes; ++p) s += SumWords(start, share);
        sums[t] = s;
      });
    }
    for (std::thread& th : pool) th.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    spent += s;
    for (uint64_t v : sums) sink = sink + v;
    best = std::max(best, double(passes * share * threads * sizeof(uint64_t)) / s);
  }
  return best;
}

}  // namespace lutra::tools
