// Memory bandwidth of this machine: a read-only sum and a STREAM-style triad over arrays far
// larger than the last-level cache, on 1..N threads. Kernel targets ("85% of bandwidth") are
// stated as fractions of these figures, measured in the same run. The arrays live in huge
// pages, as the model's weights and KV cache do; memory/read_sum_4k repeats the read with
// ordinary 4 KiB pages to show what the huge pages are worth.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <thread>

#include "arch/detect.h"
#include "bench/common/bench_util.h"
#include "engine/src/common/threadpool.h"

namespace lutra::bench {
namespace {

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

enum class Pages { kHuge, kSmall };

template <typename T>
std::shared_ptr<T> AllocateTouched(size_t n, Pages pages = Pages::kHuge) {
  const size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
  std::shared_ptr<T> p =
      pages == Pages::kHuge
          ? std::reinterpret_pointer_cast<T>(HugePageBuffer(bytes))
          : std::shared_ptr<T>(static_cast<T*>(std::aligned_alloc(64, bytes)), FreeDeleter{});
  for (size_t i = 0; i < n; ++i) p.get()[i] = static_cast<T>(i & 7);  // fault in every page
  return p;
}

size_t ArrayBytes() {
  return std::max<size_t>(8 * LastLevelCacheBytes(), size_t{256} << 20);
}

// Splits [0, n) into one contiguous chunk per thread: each thread streams its own range.
template <typename F>
void PerThreadChunks(engine::ThreadPool& pool, size_t n, F&& body) {
  const size_t parts = pool.threads();
  pool.ParallelFor(parts, [&](size_t t) {
    const size_t begin = n * t / parts, end = n * (t + 1) / parts;
    body(t, begin, end);
  });
}

void ReadSum(benchmark::State& state, Pages pages) {
  const size_t threads = static_cast<size_t>(state.range(0));
  const size_t n = ArrayBytes() / sizeof(uint64_t);
  auto a = AllocateTouched<uint64_t>(n, pages);
  engine::ThreadPool pool(threads);
  std::vector<uint64_t> partial(threads * 8);  // 64 bytes apart: no false sharing
  for (auto _ : state) {
    PerThreadChunks(pool, n, [&](size_t t, size_t begin, size_t end) {
      partial[t * 8] = SumWords(a.get(), begin, end);
    });
    benchmark::DoNotOptimize(partial.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n * sizeof(uint64_t)));
  state.counters["threads"] = double(pool.threads());
}

void BM_ReadSum(benchmark::State& state) {
  ReadSum(state, Pages::kHuge);
}
void BM_ReadSum4k(benchmark::State& state) {
  ReadSum(state, Pages::kSmall);
}

void BM_Triad(benchmark::State& state) {
  const size_t threads = static_cast<size_t>(state.range(0));
  const size_t n = ArrayBytes() / 2 / sizeof(float);
  auto a = AllocateTouched<float>(n);
  auto b = AllocateTouched<float>(n);
  auto c = AllocateTouched<float>(n);
  engine::ThreadPool pool(threads);
  const float s = 1.5f;
  for (auto _ : state) {
    PerThreadChunks(pool, n, [&](size_t, size_t begin, size_t end) {
      float* __restrict pa = a.get();
      const float* __restrict pb = b.get();
      const float* __restrict pc = c.get();
      for (size_t i = begin; i < end; ++i) pa[i] = pb[i] + s * pc[i];
    });
    benchmark::DoNotOptimize(a.get());
    benchmark::ClobberMemory();
  }
  // STREAM convention: 2 reads + 1 write per element (write-allocate traffic not counted).
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(3 * n * sizeof(float)));
  state.counters["threads"] = double(pool.threads());
}

void ThreadCounts(benchmark::internal::Benchmark* b) {
  const int64_t max_threads = std::max<int64_t>(
      1, std::max<unsigned>(arch::Host().cores, std::thread::hardware_concurrency()));
  for (int64_t t = 1; t <= max_threads; t *= 2) b->Arg(t);
  if ((max_threads & (max_threads - 1)) != 0) b->Arg(max_threads);
}

BENCHMARK(BM_ReadSum)
    ->Name("memory/read_sum/threads")
    ->Apply(ThreadCounts)
    ->UseRealTime()
    ->MinTime(0.5);
BENCHMARK(BM_ReadSum4k)
    ->Name("memory/read_sum_4k/threads")
    ->Apply(ThreadCounts)
    ->UseRealTime()
    ->MinTime(0.5);
BENCHMARK(BM_Triad)->Name("memory/triad/threads")->Apply(ThreadCounts)->UseRealTime()->MinTime(0.5);

}  // namespace
}  // namespace lutra::bench
