// Shared pieces of the kernel benchmarks: ISA gating, cache-sized working sets, rotation.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "arch/isa.h"

namespace lutra::bench {

// Features the benchmarks may use: the host's, capped by LUTRA_ISA.
arch::IsaSet Features();

// True when a variant needing `isa` can run here; otherwise prints one line naming what is
// missing (once per variant) so skipped variants are visible in the output.
bool Runnable(const char* variant, arch::IsaSet isa);

// Size of the last-level cache in bytes (L3, else L2, else 8 MiB when unknown).
size_t LastLevelCacheBytes();

// How many copies of a working set of `bytes` make a rotation larger than 4× the last-level
// cache, so every pass reads from memory. At least 2.
size_t RotationCopies(size_t bytes);

// Memory for data a benchmark streams, backed by transparent huge pages like the model's
// weights and KV cache (engine/src/memory), so kernel and bandwidth figures compare alike.
std::shared_ptr<uint8_t> HugePageBuffer(size_t bytes);

// Sum of words[begin, end): the streaming read both bandwidth figures time. Four independent
// sums keep the loop load-bound rather than add-latency-bound, and integer adds vectorise at
// the baseline ISA without reassociation concerns.
uint64_t SumWords(const uint64_t* words, size_t begin, size_t end);

// Streaming read bandwidth in bytes/s with `threads` workers: an integer sum over a huge-page
// buffer of 8× the last-level cache (at least 256 MiB), best of 3, measured once per thread
// count per process. The denominator of every "fraction of bandwidth" counter; memory/
// read_sum measures the same as a separate benchmark.
double ReadBytesPerSecond(size_t threads);

// fp32 multiply-adds per second (vector lanes × FMA instructions) one core sustains with the
// widest FMA this process may use (AVX-512F, else AVX2+FMA), best of 3, measured once per
// process: the compute floor of kernels made of fp32 FMAs (attention). 0 where not measured
// (non-x86 targets, or no FMA allowed), and callers then omit what depends on it.
double FmaLanesPerSecond();

// Registers `fn` twice: "<name>/<size>/in_cache" (one buffer, warm) and "<name>/<size>/
// out_of_cache" (rotating copies); the benchmark reads state.range(1) (0 or 1) to know which.
template <typename F>
void RegisterCacheVariants(const std::string& name, const std::vector<int64_t>& sizes, F fn) {
  for (int64_t size : sizes) {
    for (int64_t out_of_cache : {0, 1}) {
      benchmark::RegisterBenchmark((name + (out_of_cache ? "/out_of_cache" : "/in_cache")).c_str(),
                                   fn)
          ->Args({size, out_of_cache})
          ->UseRealTime();
    }
  }
}

}  // namespace lutra::bench
