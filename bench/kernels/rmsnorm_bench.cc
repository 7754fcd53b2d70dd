// rmsnorm, one registration per registry variant: a 4K-float row (a typical hidden size, in
// L1) and 1M floats, warm and rotating out of cache. Bytes/s counts x read twice (Σx², then
// the scaling pass), w read once and y written once: 16 bytes per element.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench/common/bench_util.h"
#include "kernels/rmsnorm/rmsnorm.h"

namespace lutra::bench {
namespace {

using namespace lutra::kernels;
using namespace lutra::kernels::rmsnorm;

const std::vector<int64_t> kSizes = {4096, 1 << 20};

const bool registered = [] {
  for (const Kernel<RmsNormFn>& k : RmsNormKernels()) {
    if (!Runnable(k.name, k.isa)) continue;
    RegisterCacheVariants(k.name, kSizes, [k](benchmark::State& state) {
      const size_t n = static_cast<size_t>(state.range(0));
      const size_t copies = state.range(1) != 0 ? RotationCopies(n * 3 * sizeof(float)) : 1;
      std::vector<float> x(n * copies), w(n * copies), y(n * copies);
      for (size_t i = 0; i < x.size(); ++i) {
        x[i] = float(int(i % 97) - 48) * 0.01f;
        w[i] = 1.0f + float(i % 7) * 0.01f;
      }
      size_t c = 0;
      for (auto _ : state) {
        k.fn(n, x.data() + c * n, w.data() + c * n, 1e-6f, y.data() + c * n);
        benchmark::ClobberMemory();
        c = c + 1 == copies ? 0 : c + 1;
      }
      state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n * 16));
    });
  }
  return true;
}();

}  // namespace
}  // namespace lutra::bench
