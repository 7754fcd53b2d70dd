// lutbuild, one registration per registry variant and mode, for the activation lengths of a
// TinyLlama-1.1B layer (2048: attention and FFN inputs; 5632: the FFN down projection). The
// tables are built once per token and matrix input, so on the decode path this time adds to
// every GEMV. Items/s = activations per second.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/common/bench_util.h"
#include "kernels/lutbuild/lutbuild.h"

namespace lutra::bench {
namespace {

using namespace lutra::kernels::lutbuild;

constexpr size_t kBlock = 128;

std::vector<float> Activations(size_t n) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = float(int(i * 37 % 101) - 50) * 0.013f;
  return x;
}

template <typename Kernel, typename Run>
void Register(const Kernel& k, Run run) {
  if (!Runnable(k.name, k.isa)) return;
  for (int64_t n : {2048, 5632}) {
    benchmark::RegisterBenchmark((std::string(k.name) + "/" + std::to_string(n)).c_str(),
                                 [k, run, n](benchmark::State& state) {
                                   run(k, size_t(n), state);
                                   state.SetItemsProcessed(int64_t(state.iterations()) * n);
                                 });
  }
}

const bool registered = [] {
  for (const auto& k : BuildKernels()) {
    Register(k, [](const BuildKernel<BuildFn>& k, size_t n, benchmark::State& state) {
      const std::vector<float> x = Activations(n);
      std::vector<uint8_t> tables(n / 4 * kTableBytes);
      std::vector<float> scale(n / kBlock), sum(n / kBlock);
      for (auto _ : state) {
        k.fn(n, kBlock, x.data(), tables.data(), scale.data(), sum.data());
        benchmark::ClobberMemory();
      }
    });
  }
  for (const auto& k : BuildExactKernels()) {
    Register(k, [](const BuildKernel<BuildExactFn>& k, size_t n, benchmark::State& state) {
      const std::vector<float> x = Activations(n);
      std::vector<uint8_t> lo(n / 4 * kTableBytes), hi(n / 4 * kTableBytes);
      std::vector<float> scale(n / kBlock), sum(n / kBlock);
      for (auto _ : state) {
        k.fn(n, kBlock, x.data(), 127.0f / 0.65f, 0.65f / 127.0f, lo.data(), hi.data(),
             scale.data(), sum.data());
        benchmark::ClobberMemory();
      }
    });
  }
  for (const auto& k : BuildInt8Kernels()) {
    Register(k, [](const BuildKernel<BuildInt8Fn>& k, size_t n, benchmark::State& state) {
      const std::vector<float> x = Activations(n);
      std::vector<int8_t> xq(n);
      std::vector<float> scale(n / kBlock), sum(n / kBlock);
      for (auto _ : state) {
        k.fn(n, kBlock, x.data(), 127.0f / 0.65f, 0.65f / 127.0f, xq.data(), scale.data(),
             sum.data());
        benchmark::ClobberMemory();
      }
    });
  }
  for (const auto& k : BuildInt8BlocksKernels()) {
    Register(k, [](const BuildKernel<BuildInt8BlocksFn>& k, size_t n, benchmark::State& state) {
      const std::vector<float> x = Activations(n);
      std::vector<int8_t> xq(n);
      std::vector<float> scale(n / kBlock), sum(n / kBlock);
      for (auto _ : state) {
        k.fn(n, kBlock, x.data(), xq.data(), scale.data(), sum.data());
        benchmark::ClobberMemory();
      }
    });
  }
  return true;
}();

}  // namespace
}  // namespace lutra::bench
