// q8block GEMV/GEMM (int8 codes with a scale, and optionally a min, per block of 16 or 32;
// activations quantized to int8 per block inside the timed loop, as the engine does), one
// registration per registry variant:
//   q8block/<variant>/<b16|b32|b32_min>/<M>x<K>/n:<N>/t:<threads>/<in_cache|out_of_cache>
// b16 is Q6_K/Q3_K as loaded, b32 Q8_0/Q5_0, b32_min Q5_1/Q5_K. Counters as in
// lutgemm_bench: bytes_per_second = code + scale (+ min) bytes streamed per second, bw_frac =
// that over the single-thread read bandwidth. The baselines the same binary runs on these
// shapes are lutgemm_bench's xnn_f32 (what these formats cost decoded to fp32) and xnn_qs8:
//   --benchmark_filter='^(q8block/.*(avx|scalar)|xnn).*/4096x4096/n:1/t:1/'
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/common/bench_util.h"
#include "engine/src/common/threadpool.h"
#include "kernels/q8block/q8block.h"

namespace lutra::bench {
namespace {

namespace q8 = kernels::q8block;

struct Shape {
  size_t m, k;
};
constexpr Shape kShapes[] = {{4096, 4096}, {2048, 5632}, {5632, 2048}, {32000, 2048}};
constexpr size_t kTokens[] = {1, 8, 32};
constexpr size_t kThreads[] = {1, 2};

// One matrix's codes, scales and mins in one huge-page buffer (a loaded model's layout).
struct Matrix {
  Matrix(size_t m, size_t k, size_t block, bool with_min)
      : blocks(m * k / block), bytes(m * k + blocks * sizeof(float) * (with_min ? 2 : 1)) {
    storage = HugePageBuffer(bytes);
    uint8_t* p = storage.get();
    for (size_t i = 0; i < m * k; ++i) p[i] = uint8_t(i * 37 % 255);
    auto* f = reinterpret_cast<float*>(p + m * k);
    for (size_t i = 0; i < blocks * (with_min ? 2 : 1); ++i) f[i] = 0.001f * float(i % 97 + 1);
    w = {m, k, block, reinterpret_cast<const int8_t*>(p), f, with_min ? f + blocks : nullptr};
  }
  size_t blocks, bytes;
  std::shared_ptr<uint8_t> storage;
  q8::Weights w;
};

void Run(benchmark::State& state, const q8::Kernels* kernel, Shape shape, size_t block,
         bool with_min, size_t n, size_t threads, bool out_of_cache) {
  std::vector<std::unique_ptr<Matrix>> copies;
  const size_t bytes = shape.m * shape.k + shape.m * shape.k / block * 4 * (with_min ? 2 : 1);
  const size_t count = out_of_cache ? RotationCopies(bytes) : 1;
  for (size_t i = 0; i < count; ++i)
    copies.push_back(std::make_unique<Matrix>(shape.m, shape.k, block, with_min));
  std::vector<float> x(n * shape.k);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(int(i * 13 % 255) - 127) * 0.01f;
  const size_t nb = shape.k / block;
  std::vector<int8_t> aq(n * shape.k);
  std::vector<float> as(n * nb), ax(n * nb);
  std::vector<int32_t> aqs(n * nb);
  std::vector<float> y(n * shape.m);
  engine::ThreadPool pool(threads);
  constexpr size_t kRowsPerTask = 16;  // as the engine's driver
  const size_t tasks = (shape.m + kRowsPerTask - 1) / kRowsPerTask;
  size_t c = 0;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    for (size_t t = 0; t < n; ++t) {
      q8::Quantize(shape.k, block, x.data() + t * shape.k, aq.data() + t * shape.k,
                   as.data() + t * nb, ax.data() + t * nb, aqs.data() + t * nb);
    }
    const q8::Activations a{shape.k, block, n, aq.data(), as.data(), ax.data(), aqs.data()};
    const q8::Weights& w = copies[c]->w;
    c = (c + 1) % copies.size();
    pool.ParallelFor(tasks, [&](size_t i) {
      kernel->gemm(w, a, i * kRowsPerTask, std::min(shape.m, (i + 1) * kRowsPerTask), y.data(),
                   shape.m);
    });
    benchmark::ClobberMemory();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes));
  if (seconds > 0) {
    state.counters["bw_frac"] =
        double(state.iterations()) * double(bytes) / seconds / ReadBytesPerSecond(1);
  }
}

const bool registered = [] {
  struct Kind {
    const char* name;
    size_t block;
    bool with_min;
  };
  constexpr Kind kKinds[] = {{"b16", 16, false}, {"b32", 32, false}, {"b32_min", 32, true}};
  for (const q8::Kernels& k : q8::AllKernels()) {
    if (!Runnable(k.name, k.isa)) continue;
    for (const Kind& kind : kKinds) {
      for (Shape shape : kShapes) {
        for (size_t n : kTokens) {
          for (size_t threads : kThreads) {
            for (bool ooc : {false, true}) {
              const std::string name = "q8block/" + std::string(k.name) + "/" + kind.name + "/" +
                                       std::to_string(shape.m) + "x" + std::to_string(shape.k) +
                                       "/n:" + std::to_string(n) + "/t:" + std::to_string(threads) +
                                       (ooc ? "/out_of_cache" : "/in_cache");
              const q8::Kernels* kp = &k;
              benchmark::RegisterBenchmark(name.c_str(),
                                           [=](benchmark::State& st) {
                                             Run(st, kp, shape, kind.block, kind.with_min, n,
                                                 threads, ooc);
                                           })
                  ->UseRealTime()
                  ->Unit(benchmark::kMicrosecond);
            }
          }
        }
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace lutra::bench
