// Attention decode over the KV cache (issue 4 target: 2048 cached tokens, head dim 64, 32
// heads / 4 KV heads, fp16 and fp32 caches, 1 and 2 threads), out of cache: the cache holds
// enough layers to exceed 4× the LLC and each iteration attends over the next layer. Reports
// µs per token (one layer's attention), GB/s of K+V read and its fraction of the streaming read
// bandwidth measured in the same process, and how close it comes to the fp32 FMA floor
// (fma_floor_frac: the multiply-adds' time at this core's measured FMA throughput, per thread,
// over the time taken; 1.0 means compute-bound at peak); also prefill blocks of 16/64 query rows
// ending at position 2048 and an in-cache decode (one layer, the compute cost). Also the f16
// kernels' bytes/s (in and out of cache), and Gemma's attention in cache: a sliding-window
// layer's decode over its ring (window 512, prefill chunks of 64: 576 slots, read as one or two
// ranges with window masks) next to plain decode over 512 positions, and decode with and
// without a soft-cap on the scores.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/common/bench_util.h"
#include "engine/src/attention/attention.h"
#include "kernels/f16/f16.h"

namespace lutra::bench {
namespace {

using engine::attention::Attention;
using engine::attention::KvCache;
using engine::attention::KvType;

constexpr size_t kSeq = 2048, kDim = 64, kHeads = 32, kKvHeads = 4;

// One Run over positions [kSeq - n, kSeq) (n = 1: decode; n > 1: a prefill block), each
// iteration on the next layer (out of cache) or always layer 0 (in_cache: the compute cost).
// us_per_token is per query position; kv_GBps counts the K+V bytes of the 2048 positions once
// per Run (what a block must read); bw_fraction divides it by this process's read bandwidth.
void BM_Attention(benchmark::State& state, KvType type, size_t threads, size_t n, bool in_cache) {
  const size_t elem = type == KvType::kF32 ? 4 : 2;
  const size_t layer_bytes = 2 * kKvHeads * kSeq * kDim * elem;
  const size_t layers = in_cache ? 1 : RotationCopies(layer_bytes);
  KvCache cache;
  Attention att;
  Status st = KvCache::Create({layers, kKvHeads, kSeq, kDim, type},
                              lutra::engine::KernelConfig::For(Features()), &cache);
  if (st.ok())
    st = Attention::Create({kHeads, kKvHeads, kDim, kSeq, n},
                           lutra::engine::KernelConfig::For(Features()), threads, &att);
  if (!st.ok()) {
    state.SkipWithError(st.error().c_str());
    return;
  }
  std::vector<float> kv(kSeq * kKvHeads * kDim);
  for (size_t i = 0; i < kv.size(); ++i) kv[i] = float(int(i % 61) - 30) * 0.03f;
  for (size_t l = 0; l < layers; ++l) (void)cache.Write(l, kSeq, kv.data(), kv.data());
  (void)cache.Advance(kSeq);
  std::vector<float> q(n * kHeads * kDim, 0.01f), out(q.size());
  const double read_bw = ReadBytesPerSecond(threads);
  engine::ThreadPool pool(threads);
  size_t layer = 0;
  for (auto _ : state) {
    (void)att.Run(cache, layer, kSeq - n, n, q.data(), out.data(), pool);
    benchmark::DoNotOptimize(out.data());
    layer = layer + 1 == layers ? 0 : layer + 1;
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(layer_bytes));
  state.counters["us_per_token"] =
      benchmark::Counter(double(state.iterations() * n) * 1e-6,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["kv_GBps"] = benchmark::Counter(double(state.iterations()) * layer_bytes * 1e-9,
                                                 benchmark::Counter::kIsRate);
  state.counters["bw_fraction"] = benchmark::Counter(
      double(state.iterations()) * layer_bytes / read_bw, benchmark::Counter::kIsRate);
  state.counters["read_GBps"] = read_bw * 1e-9;
  // Q·Kᵀ and P·V are one fp32 multiply-add per (query row, head, position, dimension) each:
  // the time those take at this machine's FMA throughput is a floor no KV format read with
  // fp32 arithmetic can beat, whatever the bandwidth. bf16 dot products (two multiply-adds per
  // lane) can pass it: a bf16 line above 1.0 is faster than fp32 arithmetic could be.
  if (const double fma = FmaLanesPerSecond(); fma > 0.0) {
    double positions = 0.0;  // causal: query i of the block sees kSeq − n + i + 1 positions
    for (size_t i = 0; i < n; ++i) positions += double(kSeq - n + i + 1);
    const double floor_seconds = 2.0 * double(kHeads * kDim) * positions / (fma * double(threads));
    state.counters["fma_floor_frac"] =
        benchmark::Counter(double(state.iterations()) * floor_seconds, benchmark::Counter::kIsRate);
  }
}

// Decode in cache at position `len` (d 256, Gemma's head size): window > 0 makes the layer a
// ring of window + 63 positions written in chunks of 64 (so at `len` it has wrapped), softcap
// > 0 caps the scores. us_per_token as above.
void BM_GemmaDecode(benchmark::State& state, KvType type, size_t heads, size_t kv_heads, size_t len,
                    size_t window, float softcap) {
  constexpr size_t kD = 256, kChunk = 64;
  KvCache cache;
  Attention att;
  const auto& config = lutra::engine::KernelConfig::For(Features());
  std::vector<size_t> windows;
  if (window > 0) windows.push_back(window);
  Status st = KvCache::Create({1, kv_heads, len, kD, type, windows, kChunk}, config, &cache);
  if (st.ok()) st = Attention::Create({heads, kv_heads, kD, len, kChunk}, config, 1, &att);
  if (!st.ok()) {
    state.SkipWithError(st.error().c_str());
    return;
  }
  std::vector<float> kv(kChunk * kv_heads * kD);
  for (size_t i = 0; i < kv.size(); ++i) kv[i] = float(int(i % 61) - 30) * 0.03f;
  for (size_t p = 0; p < len; p += kChunk) {
    const size_t n = std::min(kChunk, len - p);
    (void)cache.Write(0, n, kv.data(), kv.data());
    (void)cache.Advance(n);
  }
  std::vector<float> q(heads * kD, 0.01f), out(q.size());
  engine::ThreadPool pool(1);
  for (auto _ : state) {
    (void)att.Run(cache, 0, len - 1, 1, q.data(), out.data(), pool, {0.0f, softcap});
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["us_per_token"] = benchmark::Counter(
      double(state.iterations()) * 1e-6, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

template <typename Fn, typename Call>
void RegisterF16(std::span<const kernels::Kernel<Fn>> table, size_t bytes_per_element, Call call) {
  for (const auto& k : table) {
    if (!Runnable(k.name, k.isa)) continue;
    RegisterCacheVariants(
        k.name, {4096, 1 << 20}, [k, bytes_per_element, call](benchmark::State& state) {
          const size_t n = size_t(state.range(0));
          const size_t copies = state.range(1) != 0 ? RotationCopies(n * 6) : 1;
          std::vector<uint16_t> h(n * copies, 0x3c00);
          std::vector<float> f(n * copies, 0.5f);
          size_t c = 0;
          for (auto _ : state) {
            call(k.fn, n, h.data() + c * n, f.data() + c * n);
            c = c + 1 == copies ? 0 : c + 1;
          }
          state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n * bytes_per_element));
        });
  }
}

const bool registered = [] {
  for (size_t n : {size_t{1}, size_t{16}, size_t{64}}) {
    for (bool in_cache : {false, true}) {
      if (in_cache && n != 1) continue;
      for (size_t threads : {size_t{1}, size_t{2}}) {
        for (KvType type : {KvType::kF16, KvType::kF32, KvType::kBf16}) {
          std::string name = "attention/";
          name += n == 1 ? "decode" : "prefill" + std::to_string(n);
          name += "_2048_d64_h32_kv4/";
          name += type == KvType::kF16 ? "f16" : type == KvType::kF32 ? "f32" : "bf16";
          name += in_cache ? "/in_cache" : "";
          name += "/threads:" + std::to_string(threads);
          benchmark::RegisterBenchmark(name.c_str(), BM_Attention, type, threads, n, in_cache)
              ->UseRealTime();
        }
      }
    }
  }
  for (KvType type : {KvType::kF16, KvType::kF32}) {
    const std::string t = type == KvType::kF16 ? "/f16" : "/f32";
    // Gemma 3 1B: 4 heads, 1 KV head; a sliding layer at position 2048 against 512 positions.
    benchmark::RegisterBenchmark(("attention/gemma_sliding_w512_at2048_d256_h4_kv1" + t).c_str(),
                                 BM_GemmaDecode, type, 4, 1, 2048, 512, 0.0f)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("attention/gemma_full_512_d256_h4_kv1" + t).c_str(),
                                 BM_GemmaDecode, type, 4, 1, 512, 0, 0.0f)
        ->UseRealTime();
    // Gemma 2 2B: 8 heads, 4 KV heads, scores capped at 50.
    benchmark::RegisterBenchmark(("attention/gemma_softcap50_2048_d256_h8_kv4" + t).c_str(),
                                 BM_GemmaDecode, type, 8, 4, 2048, 0, 50.0f)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("attention/gemma_nocap_2048_d256_h8_kv4" + t).c_str(),
                                 BM_GemmaDecode, type, 8, 4, 2048, 0, 0.0f)
        ->UseRealTime();
  }
  namespace f16 = kernels::f16;
  RegisterF16(f16::ToF32Kernels(), 6, [](f16::ToF32Fn fn, size_t n, uint16_t* h, float* f) {
    fn(n, h, f);
    benchmark::ClobberMemory();
  });
  RegisterF16(f16::FromF32Kernels(), 6, [](f16::FromF32Fn fn, size_t n, uint16_t* h, float* f) {
    fn(n, f, h);
    benchmark::ClobberMemory();
  });
  RegisterF16(f16::DotKernels(), 6, [](f16::DotFn fn, size_t n, uint16_t* h, float* f) {
    benchmark::DoNotOptimize(fn(n, h, f));
  });
  RegisterF16(f16::AxpyKernels(), 10, [](f16::AxpyFn fn, size_t n, uint16_t* h, float* f) {
    fn(n, 1e-3f, h, f);
    benchmark::ClobberMemory();
  });
  return true;
}();

}  // namespace
}  // namespace lutra::bench
