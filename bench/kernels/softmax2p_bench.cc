// Softmax over one row of n floats: every two-pass, three-pass and stored three-pass
// (attention's in-cache form) registry variant and
// XNNPACK's softmax_nc_f32 (1 thread), at 1K, 64K, 1M and 16M floats, in cache (one row,
// warm) and out of cache (rotating copies larger than 4× the last-level cache).
//
// Bytes/s convention: 8 bytes per element (read x once + write y once), for every variant,
// so the numbers compare time directly and against memory/triad (also read + write bytes).
// Compare in one invocation, e.g.
//   --benchmark_filter='(softmax|xnn_softmax).*/out_of_cache/16777216|memory/triad/threads/1$'
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/common/bench_util.h"
#include "engine/src/linear/xnn_dense.h"
#include "kernels/softmax2p/softmax2p.h"

namespace lutra::bench {
namespace {

using namespace lutra::kernels;
using namespace lutra::kernels::softmax2p;

const std::vector<int64_t> kSizes = {1 << 10, 1 << 16, 1 << 20, 1 << 24};

// x copies (rotated when out of cache) and one y per copy, from the heap like the runtime's
// score rows (only weights and the KV cache live in huge pages); memory/triad is measured in
// huge pages, so the fraction of bandwidth is a conservative one.
struct Rows {
  Rows(size_t n, bool out_of_cache) : n(n) {
    copies = out_of_cache ? RotationCopies(n * 2 * sizeof(float)) : 1;
    x.resize(n * copies);
    y.assign(n * copies, 0.0f);
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(int(i * 7919 % 2001) - 1000) * 0.01f;
  }
  size_t n, copies;
  std::vector<float> x, y;
};

void Finish(benchmark::State& state, size_t n) {
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n * 2 * sizeof(float)));
}

void RegisterTable(std::span<const Kernel<SoftmaxFn>> table) {
  for (const Kernel<SoftmaxFn>& k : table) {
    if (!Runnable(k.name, k.isa)) continue;
    RegisterCacheVariants(k.name, kSizes, [k](benchmark::State& state) {
      const size_t n = static_cast<size_t>(state.range(0));
      Rows r(n, state.range(1) != 0);
      size_t c = 0;
      for (auto _ : state) {
        k.fn(n, r.x.data() + c * n, nullptr, 0.125f, r.y.data() + c * n);
        benchmark::ClobberMemory();
        c = c + 1 == r.copies ? 0 : c + 1;
      }
      Finish(state, n);
    });
  }
}

void RunXnn(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  engine::linear::XnnSoftmaxF32 op;
  Status st = engine::linear::XnnInitialize();
  if (st.ok()) st = op.Create(n);
  if (!st.ok()) {
    state.SkipWithError(st.error().c_str());
    return;
  }
  Rows r(n, state.range(1) != 0);
  size_t c = 0;
  for (auto _ : state) {
    // XNNPACK has no fused scale; the row is fed as is (our kernels do the extra multiply).
    if (Status s = op.Run(1, r.x.data() + c * n, r.y.data() + c * n, nullptr); !s.ok()) {
      state.SkipWithError(s.error().c_str());
      return;
    }
    benchmark::ClobberMemory();
    c = c + 1 == r.copies ? 0 : c + 1;
  }
  Finish(state, n);
}

const bool registered = [] {
  RegisterTable(TwoPassKernels());
  RegisterTable(ThreePassKernels());
  RegisterTable(StoredThreePassKernels());
  RegisterCacheVariants("xnn_softmax_nc_f32", kSizes, RunXnn);
  return true;
}();

}  // namespace
}  // namespace lutra::bench
