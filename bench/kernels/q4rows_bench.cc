// q4rows GEMV/GEMM (GGUF Q4_0 repacked four rows at a time for sdot, fp16 scales kept;
// activations quantized to int8 per 256 inside the timed loop, as the engine will), one
// registration per registry variant:
//   q4rows/<variant>/<M>x<K>/n:<N>/t:<threads>/<in_cache|out_of_cache>
// Counters as in lutgemm_bench: bytes_per_second = packed bytes (the file's 18 per 32 weights)
// streamed per second, bw_frac = that over the single-thread read bandwidth. The same binary's
// lutgemm w4 variants run the same Q4_0 matrices through the lookup kernels:
//   --benchmark_filter='^(q4rows|lutgemm/.*w4).*/4096x4096/n:1/t:1/'
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/common/bench_util.h"
#include "engine/src/common/threadpool.h"
#include "kernels/q4rows/q4rows.h"

namespace lutra::bench {
namespace {

namespace q4 = kernels::q4rows;

struct Shape {
  size_t m, k;
};
constexpr Shape kShapes[] = {{4096, 4096}, {2048, 5632}, {5632, 2048}, {32000, 2048}};
constexpr size_t kTokens[] = {1, 8, 32};
constexpr size_t kThreads[] = {1, 2};

// One packed matrix in one huge-page buffer (a loaded model's layout), from synthetic Q4_0
// blocks with finite fp16 scales.
struct Matrix {
  Matrix(size_t m, size_t k) : bytes(q4::PackedBytes(m, k)) {
    const size_t blocks = m * k / q4::kBlock;
    std::vector<uint8_t> file(blocks * q4::kQ4_0BlockBytes);
    for (size_t i = 0; i < file.size(); ++i) file[i] = uint8_t(i * 37 % 255);
    for (size_t b = 0; b < blocks; ++b) {
      const uint16_t h = uint16_t(0x1000 + b % 997);  // ~1e-3, finite
      std::memcpy(file.data() + b * q4::kQ4_0BlockBytes, &h, 2);
    }
    storage = HugePageBuffer(bytes);
    q4::Pack(m, k, file.data(), storage.get());
    w = {m, k, storage.get()};
  }
  size_t bytes;
  std::shared_ptr<uint8_t> storage;
  q4::Weights w;
};

void Run(benchmark::State& state, const q4::Kernels* kernel, Shape shape, size_t n, size_t threads,
         bool out_of_cache) {
  std::vector<std::unique_ptr<Matrix>> copies;
  const size_t bytes = q4::PackedBytes(shape.m, shape.k);
  const size_t count = out_of_cache ? RotationCopies(bytes) : 1;
  for (size_t i = 0; i < count; ++i) copies.push_back(std::make_unique<Matrix>(shape.m, shape.k));
  std::vector<float> x(n * shape.k);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(int(i * 13 % 255) - 127) * 0.01f;
  const size_t spans = q4::Spans(shape.k);
  std::vector<int8_t> aq(n * shape.k);
  std::vector<float> as(n * spans);
  std::vector<float> y(n * shape.m);
  engine::ThreadPool pool(threads);
  constexpr size_t kRowsPerTask = 16;  // as the engine's driver (a multiple of q4::kRows)
  const size_t tasks = (shape.m + kRowsPerTask - 1) / kRowsPerTask;
  size_t c = 0;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    for (size_t t = 0; t < n; ++t) {
      q4::Quantize(shape.k, x.data() + t * shape.k, aq.data() + t * shape.k, as.data() + t * spans);
    }
    const q4::Activations a{shape.k, n, aq.data(), as.data()};
    const q4::Weights& w = copies[c]->w;
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
  for (const q4::Kernels& k : q4::AllKernels()) {
    if (!Runnable(k.name, k.isa)) continue;
    for (Shape shape : kShapes) {
      for (size_t n : kTokens) {
        for (size_t threads : kThreads) {
          for (bool ooc : {false, true}) {
            const std::string name = "q4rows/" + std::string(k.name) + "/" +
                                     std::to_string(shape.m) + "x" + std::to_string(shape.k) +
                                     "/n:" + std::to_string(n) + "/t:" + std::to_string(threads) +
                                     (ooc ? "/out_of_cache" : "/in_cache");
            const q4::Kernels* kp = &k;
            benchmark::RegisterBenchmark(
                name.c_str(), [=](benchmark::State& st) { Run(st, kp, shape, n, threads, ooc); })
                ->UseRealTime()
                ->Unit(benchmark::kMicrosecond);
          }
        }
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace lutra::bench
