// lutbuild: per-token activation tables for the lookup GEMM (docs/lut-format.md §Tables).
//
// For quad j (activations x[4j..4j+3]) the signed table is T_j[t] = Σ_u (2·bit_u(t) − 1)·x_{4j+u},
// t = 0..15; it is antisymmetric, T_j[15 − t] = −T_j[t], so only t = 8..15 are computed.
//
// Quantized mode (fp32 activations): per block of G activations (G = the weight group size,
// so one fp32 conversion per weight group in the GEMM) λ = max_j Σ_u |x_{4j+u}| / 127 and
// Q_j[t] = round(T_j[t] / λ) ∈ [−127, 127]. Stored as offset binary: byte = Q + 128.
// Outputs: tables[PaddedK/4][16], scale[b] = λ, sum[b] = Σ_{k∈b} x_k.
//
// Exact mode (int8 activations, W·A8 lossless): xq = clamp(nearbyint(x·inv_scale), ±127)
// (inv_scale = 127/max|x| of the token, computed by the caller), T_j exact in [−508, 508],
// stored as two byte tables per quad: lo = T & 0xFF and hi = (T >> 8) + 128, in two arrays
// (lo[PaddedK/4][16], hi[PaddedK/4][16]) so that consecutive quads' tables are contiguous for
// every vector width. Outputs: lo, hi, scale[b] = act_scale (same for all blocks), sum[b] = Σ xq.
//
// Contract: n ≥ 1 valid activations; the tables are padded with zero activations up to a
// multiple of `block` (32, 64 or 128); writes exactly RoundUp(n, block)/4 tables and
// RoundUp(n, block)/block scales and sums (exact: that many tables in each of lo and hi). Kernels
// never read x beyond n.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "arch/isa.h"

namespace lutra::kernels::lutbuild {

inline constexpr size_t kTableBytes = 16;       // quantized mode, per quad
inline constexpr size_t kExactTableBytes = 32;  // exact mode, per quad (lo and hi arrays)

using BuildFn = void (*)(size_t n, size_t block, const float* x, uint8_t* tables, float* scale,
                         float* sum);
using BuildExactFn = void (*)(size_t n, size_t block, const float* x, float inv_scale,
                              float act_scale, uint8_t* lo, uint8_t* hi, float* scale, float* sum);

// Int8 mode (dot-product GEMM kernels): xq as in exact mode, stored as int8 xq[RoundUp(n,
// block)] (zero padded), scale[b] = act_scale, sum[b] = Σ xq.
using BuildInt8Fn = void (*)(size_t n, size_t block, const float* x, float inv_scale,
                             float act_scale, int8_t* xq, float* scale, float* sum);

// Int8 per-block mode (dot-product kernels for fp32 activations): per block of G activations
// λ = max|x| / 127, xq = clamp(nearbyint(x·(127/max|x|)), ±127), int8 xq[RoundUp(n, block)]
// (zero padded), scale[b] = λ, sum[b] = Σ xq.
using BuildInt8BlocksFn = void (*)(size_t n, size_t block, const float* x, int8_t* xq, float* scale,
                                   float* sum);

template <typename Fn>
struct BuildKernel {
  const char* name;  // lutra_lutbuild_<f32|a8|q8|q8b>_g<g>__<level>
  arch::IsaSet isa;
  uint32_t g;  // activations per table
  Fn fn;
};

std::span<const BuildKernel<BuildFn>> BuildKernels();
std::span<const BuildKernel<BuildExactFn>> BuildExactKernels();
std::span<const BuildKernel<BuildInt8Fn>> BuildInt8Kernels();
std::span<const BuildKernel<BuildInt8BlocksFn>> BuildInt8BlocksKernels();

struct BuildOps {
  const BuildKernel<BuildFn>* quantized;
  const BuildKernel<BuildExactFn>* exact;
  const BuildKernel<BuildInt8Fn>* int8;
  const BuildKernel<BuildInt8BlocksFn>* int8_blocks;
};
BuildOps Select(arch::IsaSet features);

}  // namespace lutra::kernels::lutbuild
