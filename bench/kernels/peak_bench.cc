// The int8 multiply-add ceiling of this core, per peak variant (kernels/peak): register-only
// dot-product chains. items/s = int8 MACs per second, the denominator of lutra-bench's int8
// roofline and of the GEMM kernels' prefill figures.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "bench/common/bench_util.h"
#include "kernels/peak/peak.h"

namespace lutra::bench {
namespace {

using namespace lutra::kernels;
using namespace lutra::kernels::peak;

const bool registered = [] {
  for (const Kernel<Int8DotFn>& k : Int8DotKernels()) {
    if (!Runnable(k.name, k.isa)) continue;
    benchmark::RegisterBenchmark((std::string("peak/") + k.name).c_str(), [k](benchmark::State&
                                                                                  state) {
      int8_t a[64], b[64];
      for (int i = 0; i < 64; ++i) a[i] = b[i] = 1;
      constexpr uint64_t kIterations = 1 << 16;
      for (auto _ : state) benchmark::DoNotOptimize(k.fn(a, b, kIterations));
      state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(kIterations) *
                              int64_t(k.unroll));
    })->UseRealTime();
  }
  return true;
}();

}  // namespace
}  // namespace lutra::bench
