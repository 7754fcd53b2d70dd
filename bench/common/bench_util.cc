#include "bench/common/bench_util.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>

#include "arch/detect.h"
#include "engine/src/memory/huge_page_arena.h"
#include "engine/src/threadpool.h"

namespace lutra::bench {

arch::IsaSet Features() {
  const arch::ProcessIsa& p = arch::Process();
  if (!p.error.empty()) {
    std::fprintf(stderr, "lutra-kernel-bench: %s\n", p.error.c_str());
    std::exit(2);
  }
  return p.features;
}

bool Runnable(const char* variant, arch::IsaSet isa) {
  const arch::IsaSet missing = isa & ~Features();
  if (missing == 0) return true;
  static std::mutex mu;
  static std::set<std::string> reported;
  std::lock_guard<std::mutex> lock(mu);
  if (reported.insert(variant).second) {
    std::fprintf(stderr, "skipped %s: needs %s\n", variant, arch::FeatureNames(missing).c_str());
  }
  return false;
}

size_t LastLevelCacheBytes() {
  const arch::HostCpu& host = arch::Host();
  if (host.l3_bytes != 0) return host.l3_bytes;
  if (host.l2_bytes != 0) return host.l2_bytes;
  return size_t{8} << 20;
}

size_t RotationCopies(size_t bytes) {
  const size_t target = 4 * LastLevelCacheBytes();
  const size_t copies = bytes == 0 ? 2 : (target + bytes - 1) / bytes;
  return copies < 2 ? 2 : copies;
}

std::shared_ptr<uint8_t> HugePageBuffer(size_t bytes) {
  auto p = engine::memory::AllocateHugePageBacked(bytes);
  if (p == nullptr) {
    std::fprintf(stderr, "lutra-kernel-bench: cannot allocate %zu bytes\n", bytes);
    std::exit(2);
  }
  return p;
}

uint64_t SumWords(const uint64_t* words, size_t begin, size_t end) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = begin;
  for (; i + 4 <= end; i += 4) {
    s0 += words[i];
    s1 += words[i + 1];
    s2 += words[i + 2];
    s3 += words[i + 3];
  }
  for (; i < end; ++i) s0 += words[i];
  return s0 + s1 + s2 + s3;
}

double ReadBytesPerSecond(size_t threads) {
  static std::mutex mu;
  static std::map<size_t, double> measured;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = measured.find(threads); it != measured.end()) return it->second;
  const size_t n = std::max<size_t>(8 * LastLevelCacheBytes(), size_t{256} << 20) / 8;
  auto buffer = HugePageBuffer(n * 8);
  auto* a = reinterpret_cast<uint64_t*>(buffer.get());
  for (size_t i = 0; i < n; ++i) a[i] = i & 7;  // fault every page in before timing
  engine::ThreadPool pool(threads);
  std::vector<uint64_t> sums(threads * 8);  // 64 bytes apart: no false sharing
  double best = 0.0;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    pool.ParallelFor(threads, [&](size_t t) {
      const size_t lo = n * t / threads, hi = n * (t + 1) / threads;
      sums[t * 8] = SumWords(a, lo, hi);
    });
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    benchmark::DoNotOptimize(sums.data());
    best = std::max(best, double(n * 8) / sec);
  }
  std::fprintf(stderr, "read bandwidth, %zu thread(s): %.1f GB/s\n", threads, best * 1e-9);
  return measured[threads] = best;
}

}  // namespace lutra::bench
