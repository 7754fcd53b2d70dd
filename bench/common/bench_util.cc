#include "bench/common/bench_util.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>

#include "arch/detect.h"
#include "arch/isa.h"
#include "engine/src/common/threadpool.h"
#include "engine/src/memory/huge_page_arena.h"

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

#if defined(__x86_64__) || defined(__i386__)
namespace {

// Twelve independent accumulators, more than FMA latency (4) × FMA issue width (2) on current
// x86 cores, so the loop measures throughput, not latency. Without reassociation the compiler
// must perform every multiply-add in order; `out` keeps the results alive.
__attribute__((target("avx512f"))) void FmaLoopAvx512(size_t iters, float* out) {
  __m512 a[12];
  for (int j = 0; j < 12; ++j) a[j] = _mm512_set1_ps(1.0f + float(j) * 1e-7f);
  const __m512 m = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
  for (size_t i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < 12; ++j) a[j] = _mm512_fmadd_ps(a[j], m, c);
  }
  for (int j = 1; j < 12; ++j) a[0] = _mm512_add_ps(a[0], a[j]);
  _mm512_storeu_ps(out, a[0]);
}

__attribute__((target("avx2,fma"))) void FmaLoopAvx2(size_t iters, float* out) {
  __m256 a[12];
  for (int j = 0; j < 12; ++j) a[j] = _mm256_set1_ps(1.0f + float(j) * 1e-7f);
  const __m256 m = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
  for (size_t i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < 12; ++j) a[j] = _mm256_fmadd_ps(a[j], m, c);
  }
  for (int j = 1; j < 12; ++j) a[0] = _mm256_add_ps(a[0], a[j]);
  _mm256_storeu_ps(out, a[0]);
}

}  // namespace
#endif

double FmaLanesPerSecond() {
  static const double measured = [] {
#if defined(__x86_64__) || defined(__i386__)
    const arch::IsaSet f = Features();
    const bool avx512 = (f & arch::kAVX512F) != 0;
    if (!avx512 && (f & (arch::kAVX2 | arch::kFMA)) != (arch::kAVX2 | arch::kFMA)) return 0.0;
    const size_t lanes = avx512 ? 16 : 8, iters = size_t{20} << 20;
    alignas(64) float out[16];
    double best = 0.0;
    for (int rep = 0; rep < 3; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      avx512 ? FmaLoopAvx512(iters, out) : FmaLoopAvx2(iters, out);
      const double sec =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      benchmark::DoNotOptimize(out);
      best = std::max(best, double(iters) * 12 * double(lanes) / sec);
    }
    std::fprintf(stderr, "fp32 FMA throughput, 1 thread (%s): %.1f G multiply-adds/s\n",
                 avx512 ? "AVX-512" : "AVX2", best * 1e-9);
    return best;
#else
    return 0.0;
#endif
  }();
  return measured;
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
