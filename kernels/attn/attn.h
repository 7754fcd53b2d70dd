// attn: the two products of attention over one KV head of the cache
// (engine/src/attention/kv_cache.h), for a block of query rows that share that head (GQA
// group × query block):
//   qk: S[r, p] = Σ_t Q[r, t] · K(t, p)     (scores of every row over positions [0, n))
//   pv: O[r, t] = Σ_p P[r, p] · V(p, t)     (weighted values)
// Layouts, chosen so both products stream memory sequentially and keep their accumulators in
// registers: K is blocked dimension-major — blocks of kKeyBlock positions, each block d rows
// of kKeyBlock elements, K(t, p) at (p / kKeyBlock)·kKeyBlock·d + t·kKeyBlock + p % kKeyBlock
// — so a block of scores for all rows is built from one contiguous 2–4 KiB read; V is
// position-major, V(p, t) at p·d + t, so P·V is a sequence of row updates O[r] += P[r, p]·V(p).
// Each K/V element is loaded (fp16: converted) once per call and applied to every row.
//
// bf16 caches pair their elements so that one 32-bit lane holds two bf16 that a bf16 dot
// product (vdpbf16ps: lane += a.lo·b.lo + a.hi·b.hi) consumes together: keys pair adjacent
// dimensions, K(t, p) at (p / kKeyBlock)·kKeyBlock·d + (t / 2)·2·kKeyBlock + (p % kKeyBlock)·2
// + t % 2; values pair adjacent positions, V(p, t) at (p / 2)·2·d + 2·t + p % 2. d must be
// even. Kernels may round Q and P to bf16 (round to nearest even) before multiplying, as the
// dot-product instructions require: the products are then exact in fp32, and the error is
// that of rounding Q and P, the same as the cache's own rounding of K and V. For odd n, the
// second half of the last value pair is never used (it may hold anything, even NaN).
//
// Contract for every kernel: rows, d, n ≥ 1; Q, S, P, O row-major with the given strides (in
// elements). qk may read the whole last key block (storage holds ⌈n / kKeyBlock⌉ blocks) but
// writes only S[r, 0..n); pv reads V rows [0, n) and writes O[r, 0..d). fp32 accumulation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "arch/isa.h"
#include "kernels/common/kernel.h"

namespace lutra::kernels::attn {

constexpr size_t kKeyBlock = 32;

template <typename T>
using QkFn = void (*)(size_t rows, size_t d, size_t n, const float* q, size_t q_stride, const T* k,
                      float* s, size_t s_stride);
template <typename T>
using PvFn = void (*)(size_t rows, size_t d, size_t n, const float* p, size_t p_stride, const T* v,
                      float* o, size_t o_stride);

using QkF16Fn = QkFn<uint16_t>;
using QkF32Fn = QkFn<float>;
using PvF16Fn = PvFn<uint16_t>;
using PvF32Fn = PvFn<float>;
using QkBf16Fn = QkFn<uint16_t>;
using PvBf16Fn = PvFn<uint16_t>;

// Registries, best first; the last entry of each is the scalar kernel.
std::span<const Kernel<QkF16Fn>> QkF16Kernels();
std::span<const Kernel<QkF32Fn>> QkF32Kernels();
std::span<const Kernel<PvF16Fn>> PvF16Kernels();
std::span<const Kernel<PvF32Fn>> PvF32Kernels();
std::span<const Kernel<QkBf16Fn>> QkBf16Kernels();
std::span<const Kernel<PvBf16Fn>> PvBf16Kernels();

struct AttnOps {
  const Kernel<QkF16Fn>* qk_f16;
  const Kernel<QkF32Fn>* qk_f32;
  const Kernel<PvF16Fn>* pv_f16;
  const Kernel<PvF32Fn>* pv_f32;
  const Kernel<QkBf16Fn>* qk_bf16;
  const Kernel<PvBf16Fn>* pv_bf16;
};
AttnOps Select(arch::IsaSet features);

}  // namespace lutra::kernels::attn
