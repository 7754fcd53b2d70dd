// Attention decode over the KV cache (issue 4 target: 2048 cached tokens, head dim 64, 32
// heads / 4 KV heads, fp16 and fp32 caches, 1 and 2 threads), out of cache: the cache holds
// enough layers to exceed 4× the LLC and each iteration attends over the next layer. Reports
// bytes/s of K+V read and µs per token (one layer's attention); compare with memory/read_sum.
// Also the f16 kernels' bytes/s (in and out of cache).
#include <benchmark/benchmark.h>

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

void BM_AttentionDecode(benchmark::State& state, KvType type, size_t threads) {
  const size_t elem = type == KvType::kF16 ? 2 : 4;
  const size_t layer_bytes = 2 * kKvHeads * kSeq * kDim * elem;
  const size_t layers = RotationCopies(layer_bytes);
  KvCache cache;
  Attention att;
  std::string err;
  if (!KvCache::Create({layers, kKvHeads, kSeq, kDim, type}, Features(), &cache, &err) ||
      !Attention::Create({kHeads, kKvHeads, kDim, kSeq, 1}, Features(), threads, &att, &err)) {
    state.SkipWithError(err.c_str());
    return;
  }
  std::vector<float> kv(kSeq * kKvHeads * kDim);
  for (size_t i = 0; i < kv.size(); ++i) kv[i] = float(int(i % 61) - 30) * 0.03f;
  for (size_t l = 0; l < layers; ++l) cache.Write(l, kSeq, kv.data(), kv.data(), &err);
  cache.Advance(kSeq, &err);
  std::vector<float> q(kHeads * kDim, 0.01f), out(q.size());
  engine::ThreadPool pool(threads);
  size_t layer = 0;
  for (auto _ : state) {
    att.Run(cache, layer, kSeq - 1, 1, q.data(), out.data(), pool, &err);
    benchmark::DoNotOptimize(out.data());
    layer = layer + 1 == layers ? 0 : layer + 1;
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(layer_bytes));
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
  for (size_t threads : {size_t{1}, size_t{2}}) {
    for (KvType type : {KvType::kF16, KvType::kF32}) {
      const std::string name = std::string("attention/decode_2048_d64_h32_kv4/") +
                               (type == KvType::kF16 ? "f16" : "f32") +
                               "/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(name.c_str(), BM_AttentionDecode, type, threads)->UseRealTime();
    }
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
