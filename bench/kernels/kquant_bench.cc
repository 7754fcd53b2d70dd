// kquant GEMV/GEMM on GGUF blocks as files store them (Q4_K, Q5_K, Q6_K, Q3_K, Q2_K, Q8_0, Q5_0,
// IQ4_NL, IQ4_XS and the lattice i-quants IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M;
// activations quantized per 256 or 32 inside the timed loop, as the engine does), one
// registration per registry variant:
//   kquant/<variant>/<M>x<K>/n:<N>/t:<threads>/<in_cache|out_of_cache>
// Counters as in q8block_bench: bytes_per_second = the blocks streamed per second, bw_frac =
// that over the single-thread read bandwidth. The same binary's q8block b16 (Q6_K before
// kquant; and Q8_0, Q5_K, Q5_0, Q3_K, Q2_K, which the engine still repacks to it) and lutgemm w4
// (Q4_K before kquant) runs on these shapes are the comparison:
//   --benchmark_filter='^(kquant|q8block/.*/b16|lutgemm/.*w4_).*/4096x4096/n:1/t:1/'
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/common/bench_util.h"
#include "engine/src/common/threadpool.h"
#include "kernels/f16/convert.h"
#include "kernels/kquant/kquant.h"

namespace lutra::bench {
namespace {

namespace kq = kernels::kquant;

struct Shape {
  size_t m, k;
};
constexpr Shape kShapes[] = {{4096, 4096}, {2048, 5632}, {32000, 2048}};
constexpr size_t kTokens[] = {1, 8, 16, 32, 64};
constexpr size_t kThreads[] = {1, 2};

// Byte offset of the fp16 d of a block and the number of fp16 fields from there (d, dmin).
std::pair<size_t, size_t> HalfFields(kq::Format f) {
  switch (f) {
    case kq::Format::kQ4K:
    case kq::Format::kQ5K:
      return {0, 2};
    case kq::Format::kQ6K:
      return {208, 1};
    case kq::Format::kQ3K:
      return {108, 1};
    case kq::Format::kQ2K:
      return {80, 2};
    case kq::Format::kQ8_0:
    case kq::Format::kQ5_0:
    case kq::Format::kIQ4NL:
    case kq::Format::kIQ4XS:
      return {0, 1};
    case kq::Format::kIQ1M:
      return {0, 0};  // d in the top nibbles of the scale words: Matrix sets them
    default:
      return {0, 1};  // the other i-quants: d first
  }
}

// Valid blocks: arbitrary codes and scales, small finite fp16 d (and dmin).
struct Matrix {
  Matrix(kq::Format f, size_t m, size_t k)
      : bytes(m * k / kq::BlockWeights(f) * kq::BlockBytes(f)), storage(HugePageBuffer(bytes)) {
    uint8_t* p = storage.get();
    for (size_t i = 0; i < bytes; ++i) p[i] = uint8_t(i * 37 % 251);
    const uint16_t d = kernels::f16::FloatToHalf(0.001f);
    const auto [at, count] = HalfFields(f);
    for (size_t b = 0; b < bytes / kq::BlockBytes(f); ++b) {
      uint8_t* blk = p + b * kq::BlockBytes(f);
      for (size_t i = 0; i < count; ++i) std::memcpy(blk + at + 2 * i, &d, 2);
      if (f == kq::Format::kIQ1M) {  // nibble i of d in the top of scale word i (bytes 48..55)
        for (int i = 0; i < 4; ++i) {
          blk[48 + 2 * i + 1] = uint8_t((blk[48 + 2 * i + 1] & 0x0f) | ((d >> (4 * i)) & 15) << 4);
        }
      }
    }
    w = {m, k, p, k / kq::BlockWeights(f) * kq::BlockBytes(f)};
  }
  size_t bytes;
  std::shared_ptr<uint8_t> storage;
  kq::Weights w;
};

void Run(benchmark::State& state, const kq::Kernels* kernel, Shape shape, size_t n, size_t threads,
         bool out_of_cache) {
  const kq::Format format = kernel->format;
  const kq::Quantizer* quantizer = kq::SelectQuantizer(kernel->isa);  // as the engine
  const size_t bytes = shape.m * shape.k / kq::BlockWeights(format) * kq::BlockBytes(format);
  std::vector<std::unique_ptr<Matrix>> copies;
  const size_t count = out_of_cache ? RotationCopies(bytes) : 1;
  for (size_t i = 0; i < count; ++i)
    copies.push_back(std::make_unique<Matrix>(kernel->format, shape.m, shape.k));
  std::vector<float> x(n * shape.k);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(int(i * 13 % 255) - 127) * 0.01f;
  const size_t nb = shape.k / kq::ScaleGroup(format), ns = shape.k / kq::kSumGroup;
  std::vector<int8_t> aq(n * shape.k);
  std::vector<float> as(n * nb);
  std::vector<int16_t> bsum(n * ns);
  const size_t tiles = kq::TileCount(n);
  std::vector<int8_t> tq(tiles * shape.k * kq::kTileTokens);
  std::vector<float> tscale(tiles * nb * kq::kTileTokens);
  std::vector<int32_t> tsum(tiles * shape.k / kq::TileSumGroup(format) * kq::kTileTokens);
  std::vector<float> y(n * shape.m);
  engine::ThreadPool pool(threads);
  constexpr size_t kRowsPerTask = 16;  // as the engine's driver
  const size_t tasks = (shape.m + kRowsPerTask - 1) / kRowsPerTask;
  size_t c = 0;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    for (size_t t = 0; t < n; ++t) {
      quantizer->quantize(format, shape.k, x.data() + t * shape.k, aq.data() + t * shape.k,
                          as.data() + t * nb, bsum.data() + t * ns);
    }
    kq::Activations a{shape.k, n, aq.data(), as.data(), bsum.data(), {}};
    if (n >= kq::kMinTiledTokens) {  // as the engine does
      kq::Interleave(format, a, tq.data(), tscale.data(), tsum.data());
      a.tiles = {tq.data(), tscale.data(), tsum.data()};
    }
    const kq::Weights& w = copies[c]->w;
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
  for (const kq::Kernels& k : kq::AllKernels()) {
    if (!Runnable(k.name, k.isa)) continue;
    for (Shape shape : kShapes) {
      for (size_t n : kTokens) {
        for (size_t threads : kThreads) {
          for (bool ooc : {false, true}) {
            const std::string name = "kquant/" + std::string(k.name) + "/" +
                                     std::to_string(shape.m) + "x" + std::to_string(shape.k) +
                                     "/n:" + std::to_string(n) + "/t:" + std::to_string(threads) +
                                     (ooc ? "/out_of_cache" : "/in_cache");
            const kq::Kernels* kp = &k;
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
