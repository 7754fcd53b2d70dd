// vec kernels, one registration per registry variant: 4K floats (L1) and 1M floats (L2/L3),
// warm and rotating through copies larger than the last-level cache. Reports bytes/s of the
// data each op touches.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/common/bench_util.h"
#include "kernels/vec/vec.h"

namespace lutra::bench {
namespace {

using namespace lutra::kernels;
using namespace lutra::kernels::vec;

const std::vector<int64_t> kSizes = {4096, 1 << 20};

// Buffers: `arrays` float arrays of n elements, replicated for rotation when out of cache.
struct Operands {
  Operands(size_t n, size_t arrays, bool out_of_cache) : n(n), arrays(arrays) {
    copies = out_of_cache ? RotationCopies(n * arrays * sizeof(float)) : 1;
    data.assign(n * arrays * copies, 0.5f);
    for (size_t i = 0; i < data.size(); ++i) data[i] = float(int(i % 97) - 48) * 0.01f;
  }
  float* get(size_t copy, size_t array) { return data.data() + (copy * arrays + array) * n; }
  size_t n, arrays, copies;
  std::vector<float> data;
};

template <typename Fn, typename Call>
void RegisterOp(std::span<const Kernel<Fn>> table, size_t arrays, size_t bytes_per_element,
                Call call) {
  for (const Kernel<Fn>& k : table) {
    if (!Runnable(k.name, k.isa)) continue;
    RegisterCacheVariants(
        k.name, kSizes, [k, arrays, bytes_per_element, call](benchmark::State& state) {
          const size_t n = static_cast<size_t>(state.range(0));
          Operands ops(n, arrays, state.range(1) != 0);
          size_t copy = 0;
          for (auto _ : state) {
            call(k.fn, n, ops, copy);
            copy = copy + 1 == ops.copies ? 0 : copy + 1;
          }
          state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n * bytes_per_element));
        });
  }
}

const bool registered = [] {
  RegisterOp(DotKernels(), 2, 8, [](vec::DotFn fn, size_t n, Operands& o, size_t c) {
    benchmark::DoNotOptimize(fn(n, o.get(c, 0), o.get(c, 1)));
  });
  RegisterOp(AxpyKernels(), 2, 12, [](vec::AxpyFn fn, size_t n, Operands& o, size_t c) {
    fn(n, 1e-3f, o.get(c, 0), o.get(c, 1));
    benchmark::ClobberMemory();
  });
  RegisterOp(ScaleKernels(), 1, 8, [](vec::ScaleFn fn, size_t n, Operands& o, size_t c) {
    fn(n, 0.999f, o.get(c, 0), o.get(c, 0));
    benchmark::ClobberMemory();
  });
  RegisterOp(AddKernels(), 3, 12, [](vec::BinaryFn fn, size_t n, Operands& o, size_t c) {
    fn(n, o.get(c, 0), o.get(c, 1), o.get(c, 2));
    benchmark::ClobberMemory();
  });
  RegisterOp(MulKernels(), 3, 12, [](vec::BinaryFn fn, size_t n, Operands& o, size_t c) {
    fn(n, o.get(c, 0), o.get(c, 1), o.get(c, 2));
    benchmark::ClobberMemory();
  });
  RegisterOp(SiluKernels(), 2, 8, [](vec::UnaryFn fn, size_t n, Operands& o, size_t c) {
    fn(n, o.get(c, 0), o.get(c, 1));
    benchmark::ClobberMemory();
  });
  RegisterOp(GeluKernels(), 2, 8, [](vec::UnaryFn fn, size_t n, Operands& o, size_t c) {
    fn(n, o.get(c, 0), o.get(c, 1));
    benchmark::ClobberMemory();
  });
  // In place, as attention's score rows and the logits are capped.
  RegisterOp(SoftcapKernels(), 1, 8, [](vec::SoftcapFn fn, size_t n, Operands& o, size_t c) {
    fn(n, 0.0625f, 50.0f, o.get(c, 0), o.get(c, 0));
    benchmark::ClobberMemory();
  });
  return true;
}();

}  // namespace
}  // namespace lutra::bench
