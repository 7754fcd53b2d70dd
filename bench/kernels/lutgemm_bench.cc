// LUT GEMV/GEMM through the threaded driver (linear::Multiply: table build + lookups), one
// registration per lutgemm variant, and the baselines measured in the same run:
//   lutgemm/<variant>/<weights>/<M>x<K>/n:<N>/t:<threads>/<in_cache|out_of_cache>
//   dequant_dot/<weights>/<M>x<K>/n:<N>/t:1/in_cache   (dequantize a group to fp32, then dot)
//   xnn_f32/<M>x<K>/n:<N>/t:<threads>/in_cache        (XNNPACK fully_connected_nc_f32)
//   xnn_qs8/<M>x<K>/n:<N>/t:<threads>/in_cache        (XNNPACK fully_connected_nc_qs8)
// <weights> is w1..w4 (G = 128, symmetric), w1g64..w4g64 (G = 64, symmetric: lutra-convert's
// default), q4_0 (4 bits, G = 32, one zero point: GGUF Q4_0
// as loaded), ternary (quantized tables) or ternary_exact (int8 activations, lossless; also run
// by the 1.67-bit lutra_ternary3_w158a8_* variants).
// Counters: bytes_per_second = packed weight bytes streamed per second; bw_frac = that over the
// single-thread read bandwidth (bench_util's ReadBytesPerSecond; compare memory/read_sum in the
// same run). The matrices and their rotation copies live in huge pages, as in a loaded model.
//
// The full matrix (10 shapes × 4 N × 1–3 weight kinds × 2 threads × 2 cache modes per variant)
// is large (and the scalar variants are slow); the headline rows are:
//   --benchmark_filter='^(lutgemm/.*__avx|dequant_dot|xnn).*/4096x4096/n:1/t:1/'
//   --benchmark_filter='^lutgemm/.*(__avx512|vnni)/.*/4096x4096/n:(1|32|128)/t:1/in_cache'
//   --benchmark_filter='^lutgemm/.*__avx512/.*/4096x4096/n:1/t:(1|2)/in_cache'
// Setup (quantizing and packing the matrix, cloning rotation copies) is outside the timed loop
// but makes each registration take a second or more.
#include <benchmark/benchmark.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LUTRA_BENCH_X86 1
#else
#define LUTRA_BENCH_X86 0
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/common/bench_util.h"
#include "bench/common/dequant_dot.h"
#include "engine/src/common/threadpool.h"
#include "engine/src/linear/lut_matrix.h"
#include "engine/src/linear/xnn_dense.h"
#include "engine/src/quantize/round_to_nearest.h"
#include "kernels/lutgemm/lutgemm.h"
#include "kernels/ternary3/ternary3.h"

namespace lutra::bench {
namespace {

using engine::ThreadPool;
using engine::linear::Activations;
using engine::linear::LutMatrix;
using engine::linear::LutScratch;
using engine::quantize::QuantizedMatrix;

struct ShapeMK {
  size_t m, k;
};
// The shapes, then the 1.1B TinyLlama-shaped model's decode GEMVs (d = 2048, GQA K/V
// 256×2048, FFN 5632, vocab 32000) that the runtime's tokens/s targets depend on.
const ShapeMK kShapes[] = {{4096, 4096}, {11008, 4096}, {4096, 11008}, {2048, 5632}, {5632, 2048},
                           {3200, 8640}, {8640, 3200},  {2048, 2048},  {256, 2048},  {32000, 2048}};
const size_t kTokens[] = {1, 8, 32, 128};
const size_t kThreads[] = {1, 2};

// kQ4_0: the layout a GGUF Q4_0 tensor repacks to (4 bits, G = 32, one zero point 8 for the
// whole matrix), which the G = 128 symmetric w4 case does not represent: its scale stream is
// four times denser, and prefetch choices measured on one did not carry over to the other.
// The G = 64 kinds are what lutra-convert writes by default. The VBMI kernel's tiles per table
// load went opposite ways on the two group sizes at 4 bits (four tiles faster than one at
// G = 128, slower at G = 64 and in TinyLlama q4 decode), so such choices are measured on both.
enum class Kind {
  kW1,
  kW2,
  kW3,
  kW4,
  kTernary,
  kTernaryExact,
  kQ4_0,
  kW1G64,
  kW2G64,
  kW3G64,
  kW4G64
};
const char* KindName(Kind k) {
  static const char* const kNames[] = {
      "w1",   "w2",    "w3",    "w4",    "ternary", "ternary_exact",
      "q4_0", "w1g64", "w2g64", "w3g64", "w4g64"};
  return kNames[int(k)];
}
uint32_t KindBits(Kind k) {
  if (k == Kind::kQ4_0) return 4;
  if (k >= Kind::kW1G64) return uint32_t(k) - uint32_t(Kind::kW1G64) + 1;
  return k <= Kind::kW4 ? uint32_t(k) + 1 : 2;
}
uint32_t KindGroup(Kind k) {
  if (k == Kind::kQ4_0) return 32;
  return k >= Kind::kW1G64 ? 64 : 128;
}

std::vector<float> Weights(size_t m, size_t k) {
  std::vector<float> w(m * k);
  uint32_t state = 12345;
  for (auto& v : w) {
    state = state * 1664525u + 1013904223u;
    v = (float(state >> 8) / float(1 << 24) - 0.5f) * 0.1f;
  }
  return w;
}

std::vector<float> Inputs(size_t n, size_t k) {
  std::vector<float> x(n * k);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(float(i) * 0.37f);
  return x;
}

QuantizedMatrix Quantize(Kind kind, size_t m, size_t k) {
  const auto w = Weights(m, k);
  QuantizedMatrix q;
  const bool ternary = kind == Kind::kTernary || kind == Kind::kTernaryExact;
  const uint32_t group = KindGroup(kind);
  const Status s =
      ternary ? engine::quantize::QuantizeTernary(w.data(), m, k, group, true, &q)
              : engine::quantize::QuantizeRtn(w.data(), m, k, KindBits(kind), group, false, &q);
  if (!s.ok()) {
    std::fprintf(stderr, "lutgemm_bench: %s\n", s.error().c_str());
    std::exit(1);
  }
  if (kind == Kind::kQ4_0) {
    // Codes 0..15 as quantized; the matrix's one zero point makes it Q4_0's s·(q − 8).
    q.shape.asymmetric = true;
    q.zero.assign(q.scale.size(), 8);
  }
  return q;
}

// Wall time of the timed loop, for bw_frac (Google Benchmark 1.7 rate counters divide by CPU
// time, which undercounts multi-threaded runs).
class LoopTimer {
 public:
  LoopTimer() : start_(std::chrono::steady_clock::now()) {}
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

void Report(benchmark::State& state, size_t bytes, const LoopTimer& timer) {
  const double seconds = timer.Seconds();
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes));
  if (seconds > 0) {
    state.counters["bw_frac"] =
        double(state.iterations()) * double(bytes) / seconds / ReadBytesPerSecond(1);
  }
}

// Times linear::Multiply on `base` (in cache) or on rotating clones of it (out of cache).
void TimeMultiply(benchmark::State& state, const LutMatrix& base, ShapeMK shape, size_t n,
                  size_t threads, bool out_of_cache) {
  engine::memory::HugePageArena arena;
  std::vector<LutMatrix> copies;
  const size_t count = out_of_cache ? RotationCopies(base.PackedBytes()) : 1;
  for (size_t i = 0; i < count; ++i) copies.push_back(base.Clone(&arena));
  const auto x = Inputs(n, shape.k);
  std::vector<float> y(n * shape.m);
  ThreadPool pool(threads);
  LutScratch scratch;
  size_t c = 0;
  const LoopTimer timer;
  for (auto _ : state) {
    engine::linear::Multiply(copies[c], n, x.data(), y.data(), pool, scratch);
    benchmark::ClobberMemory();
    c = c + 1 == count ? 0 : c + 1;
  }
  Report(state, base.StreamedBytes(), timer);
}

void RunLut(benchmark::State& state, const kernels::lutgemm::GemmKernel* k, Kind kind,
            ShapeMK shape, size_t n, size_t threads, bool out_of_cache) {
  LutMatrix base;
  if (Status s = LutMatrix::CreateWith(Quantize(kind, shape.m, shape.k),
                                       lutra::engine::KernelConfig::For(Features()), k, &base);
      !s.ok()) {
    state.SkipWithError(s.error().c_str());
    return;
  }
  TimeMultiply(state, base, shape, n, threads, out_of_cache);
}

// The 1.67-bit ternary layout (kernels/ternary3) for the same ternary_exact matrices.
void RunTernary3(benchmark::State& state, const kernels::ternary3::Kernels* v, ShapeMK shape,
                 size_t n, size_t threads, bool out_of_cache) {
  LutMatrix base;
  if (Status s = LutMatrix::CreateTernary3(Quantize(Kind::kTernaryExact, shape.m, shape.k),
                                           lutra::engine::KernelConfig::For(Features()), v, &base);
      !s.ok()) {
    state.SkipWithError(s.error().c_str());
    return;
  }
  TimeMultiply(state, base, shape, n, threads, out_of_cache);
}

// The "straightforward" baseline (bench/common/dequant_dot.h).
DequantMatrix MakeDequant(const QuantizedMatrix& q) {
  DequantMatrix d;
  d.m = q.shape.m;
  d.k = q.shape.k;
  d.bits = q.shape.bits == 3 ? 4 : q.shape.bits;
  d.stride = (d.k * d.bits + 7) / 8;
  d.codes.assign(d.m * d.stride + 4, 0);
  const size_t groups = (d.k + 127) / 128;
  d.scale.assign(d.m * groups, 0.0f);
  for (size_t r = 0; r < d.m; ++r) {
    for (size_t c = 0; c < d.k; ++c) {
      const size_t bit = c * d.bits;
      d.codes[r * d.stride + bit / 8] |= uint8_t(q.q[r * d.k + c] << (bit % 8));
    }
    for (size_t g = 0; g < groups; ++g) d.scale[r * groups + g] = q.scale[r * groups + g];
  }
  return d;
}

#if LUTRA_BENCH_X86
// Eight codes at a time: load their b bytes, shift each lane to its code, convert, scale,
// FMA with x (four accumulators so the FMA latency does not bound the loop).
template <size_t Bits>
__attribute__((target("avx2,fma"))) void DequantDotRows(const DequantMatrix& d, const float* x,
                                                        float* y, float zero) {
  const size_t groups = (d.k + 127) / 128;
  constexpr uint32_t kMask = (1u << Bits) - 1;
  const __m256i shifts =
      _mm256_setr_epi32(0, Bits, 2 * Bits, 3 * Bits, 4 * Bits, 5 * Bits, 6 * Bits, 7 * Bits);
  const __m256i mask = _mm256_set1_epi32(int(kMask));
  for (size_t r = 0; r < d.m; ++r) {
    const uint8_t* row = d.codes.data() + r * d.stride;
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                     _mm256_setzero_ps()};
    for (size_t g = 0; g < groups; ++g) {
      const size_t c0 = g * 128, len = std::min<size_t>(128, d.k - c0);
      const __m256 s = _mm256_set1_ps(d.scale[r * groups + g]);
      const __m256 sz = _mm256_set1_ps(d.scale[r * groups + g] * zero);
      size_t i = 0;
      for (; i + 8 <= len; i += 8) {
        uint32_t bits = 0;
        std::memcpy(&bits, row + (c0 + i) * Bits / 8, 4);  // codes are padded by 4 bytes
        const __m256i codes =
            _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(int(bits)), shifts), mask);
        const __m256 w = _mm256_fmsub_ps(s, _mm256_cvtepi32_ps(codes), sz);
        acc[(i / 8) & 3] = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + c0 + i), acc[(i / 8) & 3]);
      }
      float tail = 0.0f;
      for (; i < len; ++i) {
        const size_t bit = (c0 + i) * Bits;
        const float code = float((row[bit / 8] >> (bit % 8)) & kMask);
        tail += (d.scale[r * groups + g] * code - d.scale[r * groups + g] * zero) * x[c0 + i];
      }
      acc[0] = _mm256_add_ps(acc[0], _mm256_setr_ps(tail, 0, 0, 0, 0, 0, 0, 0));
    }
    const __m256 a = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    y[r] = _mm_cvtss_f32(h);
  }
}
#else
template <size_t Bits>
void DequantDotRows(const DequantMatrix& d, const float* x, float* y, float zero) {
  DequantDotRowsPortable<Bits>(d, x, y, zero);
}
#endif

void RunDequant(benchmark::State& state, Kind kind, ShapeMK shape, size_t n) {
  const QuantizedMatrix q = Quantize(kind, shape.m, shape.k);
  const DequantMatrix d = MakeDequant(q);
  const auto x = Inputs(n, shape.k);
  std::vector<float> y(n * shape.m);
  const float zero = kind >= Kind::kTernary ? 1.0f : 0.5f * float((1 << q.shape.bits) - 1);
  const LoopTimer timer;
  for (auto _ : state) {
    for (size_t t = 0; t < n; ++t) {
      const float* xt = x.data() + t * shape.k;
      float* yt = y.data() + t * shape.m;
      switch (d.bits) {
        case 1:
          DequantDotRows<1>(d, xt, yt, zero);
          break;
        case 2:
          DequantDotRows<2>(d, xt, yt, zero);
          break;
        default:
          DequantDotRows<4>(d, xt, yt, zero);
          break;
      }
    }
    benchmark::ClobberMemory();
  }
  Report(state, d.codes.size() + d.scale.size() * sizeof(float), timer);
}

void RunXnnF32(benchmark::State& state, ShapeMK shape, size_t n, size_t threads) {
  if (Status st = engine::linear::XnnInitialize(); !st.ok()) {
    state.SkipWithError(st.error().c_str());
    return;
  }
  const auto w = Weights(shape.m, shape.k);
  engine::linear::XnnFullyConnectedF32 op;
  if (Status st = op.Create(shape.k, shape.m, w.data(), nullptr); !st.ok()) {
    state.SkipWithError(st.error().c_str());
    return;
  }
  const auto x = Inputs(n, shape.k);
  std::vector<float> y(n * shape.m);
  ThreadPool pool(threads);
  const LoopTimer timer;
  for (auto _ : state) {
    if (Status st = op.Run(n, x.data(), y.data(), pool.handle()); !st.ok()) {
      state.SkipWithError(st.error().c_str());
      return;
    }
    benchmark::ClobberMemory();
  }
  Report(state, w.size() * sizeof(float), timer);
}

void RunXnnQs8(benchmark::State& state, ShapeMK shape, size_t n, size_t threads) {
  if (Status st = engine::linear::XnnInitialize(); !st.ok()) {
    state.SkipWithError(st.error().c_str());
    return;
  }
  std::vector<int8_t> w(shape.m * shape.k);
  for (size_t i = 0; i < w.size(); ++i) w[i] = int8_t(int(i * 7 % 255) - 127);
  engine::linear::XnnFullyConnectedQS8 op;
  if (Status st = op.Create(shape.k, shape.m, w.data(), 0.05f, 0.01f, 1.0f); !st.ok()) {
    state.SkipWithError(st.error().c_str());
    return;
  }
  std::vector<int8_t> x(n * shape.k), y(n * shape.m);
  for (size_t i = 0; i < x.size(); ++i) x[i] = int8_t(int(i * 13 % 255) - 127);
  ThreadPool pool(threads);
  const LoopTimer timer;
  for (auto _ : state) {
    if (Status st = op.Run(n, x.data(), y.data(), pool.handle()); !st.ok()) {
      state.SkipWithError(st.error().c_str());
      return;
    }
    benchmark::ClobberMemory();
  }
  Report(state, w.size(), timer);
}

std::string ShapeName(ShapeMK s) {
  return std::to_string(s.m) + "x" + std::to_string(s.k);
}
std::string Tail(size_t n, size_t threads, bool out_of_cache) {
  return "/n:" + std::to_string(n) + "/t:" + std::to_string(threads) +
         (out_of_cache ? "/out_of_cache" : "/in_cache");
}

void Register(const std::string& name, std::function<void(benchmark::State&)> fn) {
  benchmark::RegisterBenchmark(name.c_str(), std::move(fn))
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

const bool registered = [] {
  for (const auto& k : kernels::lutgemm::GemmKernels()) {
    if (!Runnable(k.name, k.isa)) continue;
    std::vector<Kind> kinds;
    if (k.exact) {
      if (k.bits == 2) kinds = {Kind::kTernaryExact};
    } else {
      kinds = {Kind(k.bits - 1), Kind(int(Kind::kW1G64) + int(k.bits) - 1)};
      if (k.bits == 2) kinds.push_back(Kind::kTernary);
      if (k.bits == 4) kinds.push_back(Kind::kQ4_0);
    }
    for (Kind kind : kinds) {
      for (ShapeMK shape : kShapes) {
        for (size_t n : kTokens) {
          for (size_t threads : kThreads) {
            for (bool ooc : {false, true}) {
              const auto* kp = &k;
              Register("lutgemm/" + std::string(k.name) + "/" + KindName(kind) + "/" +
                           ShapeName(shape) + Tail(n, threads, ooc),
                       [=](benchmark::State& st) { RunLut(st, kp, kind, shape, n, threads, ooc); });
            }
          }
        }
      }
    }
  }
  for (const auto& v : kernels::ternary3::AllKernels()) {
    if (!Runnable(v.name, v.isa)) continue;
    for (ShapeMK shape : kShapes) {
      for (size_t n : kTokens) {
        for (size_t threads : kThreads) {
          for (bool ooc : {false, true}) {
            const auto* vp = &v;
            Register("lutgemm/" + std::string(v.name) + "/ternary_exact/" + ShapeName(shape) +
                         Tail(n, threads, ooc),
                     [=](benchmark::State& st) { RunTernary3(st, vp, shape, n, threads, ooc); });
          }
        }
      }
    }
  }
#if LUTRA_BENCH_X86
  const bool dequant = Runnable("dequant_dot (avx2 fma)", arch::kAVX2 | arch::kFMA);
#else
  const bool dequant = true;  // the portable form
#endif
  for (ShapeMK shape : kShapes) {
    for (size_t n : kTokens) {
      if (dequant) {
        for (Kind kind : {Kind::kW1, Kind::kW2, Kind::kW3, Kind::kW4, Kind::kTernary}) {
          Register("dequant_dot/" + std::string(KindName(kind)) + "/" + ShapeName(shape) +
                       Tail(n, 1, false),
                   [=](benchmark::State& st) { RunDequant(st, kind, shape, n); });
        }
      }
      for (size_t threads : kThreads) {
        Register("xnn_f32/" + ShapeName(shape) + Tail(n, threads, false),
                 [=](benchmark::State& st) { RunXnnF32(st, shape, n, threads); });
        Register("xnn_qs8/" + ShapeName(shape) + Tail(n, threads, false),
                 [=](benchmark::State& st) { RunXnnQs8(st, shape, n, threads); });
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace lutra::bench
