// Shared pieces of the kernel benchmarks: ISA gating, cache-sized working sets, rotation.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
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
