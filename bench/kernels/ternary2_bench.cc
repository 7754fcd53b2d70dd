// ternary2 GEMV/GEMM (ternary weights at 2 bits, four rows interleaved for sdot; activations
// quantized to int8 per token with their sums inside the timed loop, as the engine will), one
// registration per registry variant and scale mode:
//   ternary2/<variant>/<uniform|blocks>/<M>x<K>/n:<N>/t:<threads>/<in_cache|out_of_cache>
// Counters as in lutgemm_bench: bytes_per_second = codes + scales streamed per second (0.25 +
// 4/k or 2/256 bytes per weight), bw_frac = that over the single-thread read bandwidth. The
// same binary's lutgemm w2a8 variants run ternary matrices through the bit-plane lookups:
//   --benchmark_filter='^(ternary2|lutgemm/.*w2a8).*/4096x4096/n:1/t:1/'
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "bench/common/bench_util.h"
#include "engine/src/common/threadpool.h"
#include "kernels/ternary2/ternary2.h"

namespace lutra::bench {
namespace {

namespace t2 = kernels::ternary2;

struct Shape {
  size_t m, k;
};
constexpr Shape kShapes[] = {{4096, 4096}, {2048, 5632}, {5632, 2048}, {32000, 2048}};
constexpr size_t kTokens[] = {1, 8, 32};
constexpr size_t kThreads[] = {1, 2};

size_t MatrixBytes(Shape s, bool blocks) {
  return t2::CodeBytes(s.m, s.k) +
         (blocks ? 2 * t2::BlockScaleCount(s.m, s.k) : 4 * t2::RowScaleCount(s.m));
}

// One packed matrix (codes and scales) in one huge-page buffer, a loaded model's layout, from
// synthetic codes with finite scales.
struct Matrix {
  Matrix(Shape s, bool blocks) : bytes(MatrixBytes(s, blocks)) {
    std::vector<uint8_t> q(s.m * s.k);
    for (size_t i = 0; i < q.size(); ++i) q[i] = uint8_t(i * 37 % 251 % 3);
    storage = HugePageBuffer(bytes);
    uint8_t* codes = storage.get();
    t2::Pack(s.m, s.k, q.data(), codes);
    w = {s.m, s.k, codes, nullptr, nullptr};
    uint8_t* scales = codes + t2::CodeBytes(s.m, s.k);  // a multiple of 64 bytes: aligned
    if (blocks) {
      std::vector<uint16_t> d(s.m * t2::Blocks(s.k));
      for (size_t i = 0; i < d.size(); ++i) d[i] = uint16_t(0x1000 + i % 997);  // ~1e-3
      auto* out = reinterpret_cast<uint16_t*>(scales);
      t2::PackBlockScales(s.m, s.k, d.data(), out);
      w.block_scale = out;
    } else {
      std::vector<float> d(s.m, 0.01f);
      auto* out = reinterpret_cast<float*>(scales);
      t2::PackRowScales(s.m, d.data(), out);
      w.row_scale = out;
    }
  }
  size_t bytes;
  std::shared_ptr<uint8_t> storage;
  t2::Weights w;
};

void Run(benchmark::State& state, const t2::Kernels* kernel, Shape shape, bool blocks, size_t n,
         size_t threads, bool out_of_cache) {
  std::vector<std::unique_ptr<Matrix>> copies;
  const size_t bytes = MatrixBytes(shape, blocks);
  const size_t count = out_of_cache ? RotationCopies(bytes) : 1;
  for (size_t i = 0; i < count; ++i) copies.push_back(std::make_unique<Matrix>(shape, blocks));
  std::vector<float> x(n * shape.k);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(int(i * 13 % 255) - 127) * 0.01f;
  const size_t sums = t2::SumCount(shape.k);
  std::vector<int8_t> aq(n * shape.k);
  std::vector<float> as(n);
  std::vector<int32_t> asum(n * sums);
  std::vector<float> y(n * shape.m);
  engine::ThreadPool pool(threads);
  constexpr size_t kRowsPerTask = 16;  // as the engine's driver (a multiple of t2::kRows)
  const size_t tasks = (shape.m + kRowsPerTask - 1) / kRowsPerTask;
  size_t c = 0;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    for (size_t t = 0; t < n; ++t) {
      t2::Quantize(shape.k, x.data() + t * shape.k, aq.data() + t * shape.k, as.data() + t,
                   asum.data() + t * sums);
    }
    const t2::Activations a{shape.k, n, aq.data(), as.data(), asum.data()};
    const t2::Weights& w = copies[c]->w;
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
  for (const t2::Kernels& k : t2::AllKernels()) {
    if (!Runnable(k.name, k.isa)) continue;
    for (bool blocks : {false, true}) {
      for (Shape shape : kShapes) {
        for (size_t n : kTokens) {
          for (size_t threads : kThreads) {
            for (bool ooc : {false, true}) {
              const std::string name = "ternary2/" + std::string(k.name) +
                                       (blocks ? "/blocks/" : "/uniform/") +
                                       std::to_string(shape.m) + "x" + std::to_string(shape.k) +
                                       "/n:" + std::to_string(n) + "/t:" + std::to_string(threads) +
                                       (ooc ? "/out_of_cache" : "/in_cache");
              const t2::Kernels* kp = &k;
              benchmark::RegisterBenchmark(
                  name.c_str(),
                  [=](benchmark::State& st) { Run(st, kp, shape, blocks, n, threads, ooc); })
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
