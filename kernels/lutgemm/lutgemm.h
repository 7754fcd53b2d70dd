// lutgemm: y[n, m] = x[n, k] · W[m, k]ᵀ by table lookup on packed low-bit weights
// (docs/lut-format.md, DESIGN.md §4). N = 1 is the decode GEMV; N > 1 reuses each weight load
// for `nr` tokens' tables.
//
// Per row m and group g, with A = Σ_i 2^i Σ_j Q_j[nibble(m, i, j)] (the lookups):
//   quantized: y_m += scale[m,g]·(λ_g/2)·A + bias[m,g]·S_g
//   exact:     I2 = A + (2^b − 1 − 2z)·S_g (an exact integer, z = (2^b − 1)/2 if symmetric)
//              y_m = (float)ΣI2 · (scale·act_scale) · 0.5 when uniform_scale (one scale per
//              row for all groups, e.g. BitNet per-tensor), else Σ_g
//              (float)I2_g·(scale_g·act_scale)·0.5.
//
// Contract: tiles [tile_begin, tile_end) of the packed matrix; rows ≥ m are not written;
// y[t·y_stride + row] for t < n. n ≥ 1. No allocation, single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "arch/isa.h"
#include "kernels/packw/packw.h"

namespace lutra::kernels::lutgemm {

// A packed matrix as the kernels see it (see packw.h for the arrays).
struct Weights {
  packw::Shape shape;
  packw::Packed data;
  bool uniform_scale = false;  // every group of a row has the same scale (exact kernels use it)
  // ≥ 0 (asymmetric shapes only): every group's zero point is this value, so the kernels read
  // neither data.zero nor data.bias (either may be null) and take bias = scale·((2^b−1)/2 − z).
  // Q4_0 repacks (z = 8) and ternary weights (z = 1) save the bytes per group: decode is
  // bandwidth-bound, and those arrays were a sixth of a Q4_0 matrix's stream.
  int32_t zero_point = -1;
  // The byte order of data.bits; a kernel reads only the order its descriptor names.
  packw::PlaneOrder order = packw::PlaneOrder::kCanonical;
};

// n tokens' tables, as lutbuild writes them, one token after another.
struct Tables {
  const uint8_t* lut;   // token t at lut + t·lut_stride
  size_t lut_stride;    // bytes: PaddedK/4 · 16 (quantized) or · 32 (exact)
  size_t hi_offset;     // exact: bytes from a token's lo tables to its hi tables (PaddedK/4·16)
  const float* scale;   // token t at scale + t·block_stride (λ per block, or act scale)
  const float* sum;     // token t at sum + t·block_stride
  size_t block_stride;  // floats: Groups(shape)
};

using GemmFn = void (*)(const Weights& w, const Tables& t, size_t n, size_t tile_begin,
                        size_t tile_end, float* y, size_t y_stride);

// What a kernel reads as its per-token input (Tables::lut).
enum class Input : uint8_t {
  kTables,       // int8 offset-binary tables (lutbuild f32)
  kExactTables,  // exact int16 tables split into lo / hi bytes (lutbuild a8)
  kInt8,         // the int8 activations themselves, xq[PaddedK] (lutbuild q8): dot-product
                 // kernels that unpack the bit-planes to bytes (same result as kExactTables)
  kInt8Blocks,   // int8 activations with a scale per block of G (lutbuild q8b): dot-product
                 // kernels for fp32 activations (exact = false)
};

struct GemmKernel {
  const char* name;  // lutra_lutgemm_w<bits>[a8]_<mr>x<nr>g<g>__<level>
  arch::IsaSet isa;
  uint32_t bits;  // b
  uint32_t mr;    // rows per tile (always packw::kTileRows)
  uint32_t nr;    // tokens sharing one weight load
  uint32_t g;     // activations per table (dot-product kernels: k per int32 lane)
  bool exact;     // exact W·A8 integer result (int8 per-token activations)
  Input input;
  uint32_t min_n;  // Select() prefers this variant only from this many tokens on
  GemmFn fn;
  packw::PlaneOrder order = packw::PlaneOrder::kCanonical;  // of the bits it reads (name: "rq")
};

// Every variant, best first within each (bits, exact); scalar variants last.
std::span<const GemmKernel> GemmKernels();

// The best variant for `features`, bit width, mode and token count (never null for bits 1..4),
// of any plane order, or of the given one (a matrix already in that order, or the many-token
// variant that must read the same bits as the one-token variant).
const GemmKernel* Select(arch::IsaSet features, uint32_t bits, bool exact, size_t n = 1);
const GemmKernel* Select(arch::IsaSet features, uint32_t bits, bool exact, size_t n,
                         packw::PlaneOrder order);
// The best table-lookup variant (Input::kTables), of the given order or, with no order, any.
// The dot-product variants take the zero points as integers from data.zero and never read
// data.bias, so a matrix whose bias is not s·((2^b − 1)/2 − z) (per-group float mins: Q4_1,
// Q4_K) must use these.
const GemmKernel* SelectLookup(arch::IsaSet features, uint32_t bits, size_t n);
const GemmKernel* SelectLookup(arch::IsaSet features, uint32_t bits, size_t n,
                               packw::PlaneOrder order);

}  // namespace lutra::kernels::lutgemm
