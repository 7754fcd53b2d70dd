// kquant: GEMM on GGUF blocks exactly as the files store them (Q4_K, Q5_K, Q6_K, Q3_K, Q2_K,
// Q8_0, Q5_0, Q4_0; the non-linear IQ4_NL, IQ4_XS; llama.cpp's lattice i-quants IQ2_XXS, IQ2_XS,
// IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M), so a matrix of those types is neither repacked nor
// copied: the kernels stream the file's own bytes (4.5, 5.5, 6.56, 3.44, 2.63, 8.5, 5.5 and 4.5
// bits per weight; 4.5 and 4.25; 2.06, 2.31, 2.56, 3.06, 3.44, 1.56 and 1.75), where a repack to
// int8 codes (q8block: 9 bits) or to bit planes with fp32 scales (lutgemm) streams and keeps more.
//
// Weights (engine/src/formats/kquant_formats.h and tensor_formats.h have the block layouts, and
// iq_fields.h the i-quants'): row r is k / BlockWeights consecutive blocks at data +
// r·row_bytes. Per block:
//   Q4_K  256: w = d·sc_j·q − dmin·m_j, q ∈ [0, 16), 8 sub-blocks j of 32, 6-bit sc_j, m_j
//   Q5_K  256: as Q4_K with q ∈ [0, 32) (a fifth bit per weight in qh)
//   Q6_K  256: w = d·sc_b·(q − 32), q ∈ [0, 64), 16 sub-blocks b of 16 with int8 sc_b
//   Q3_K  256: w = d·sc_b·(q − 4), q ∈ [0, 8), 16 sub-blocks of 16, sc_b = 6-bit − 32
//   Q2_K  256: w = d·sc_b·q − dmin·m_b, q ∈ [0, 4), 16 sub-blocks of 16, 4-bit sc_b, m_b
//   Q8_0   32: w = d·q, q ∈ [−128, 128)
//   Q5_0   32: w = d·(q − 16), q ∈ [0, 32)
//   Q4_0   32: w = d·(q − 8), q ∈ [0, 16)
//   IQ4_NL 32: w = d·v[q], q ∈ [0, 16), v the 16 int8 values of kIQ4Values (block_fields.h)
//   IQ4_XS 256: w = d·sc_j·v[q], 8 sub-blocks j of 32, sc_j = 6-bit − 32
//   IQ*   256: w = f·sc_b·q, q a signed code |q| ≤ 62 from a grid point (8 or 4 weights per
//              index into a fixed table, iq_grids.h) and its signs (IQ1: 8·g ± 1, g ∈ {−1, 0,
//              1}), sc_b = 2s + 1 per 16 or 32 weights, f = d times 1/8, 1/4 or 1
// Activations of token t, per group of ScaleGroup(format) values x (the super-block of 256
// for the k-quants, IQ4_XS and the lattice i-quants, the block of 32 for Q8_0, Q5_0, Q4_0 and
// IQ4_NL): amax = max |x|, s = amax / 127, a = round(x / s) ∈ [−127, 127] (all zero when amax = 0),
// and the sum of the codes a of every 16 values (bsum). Then, with integer dots D = Σ q·a over a
// sub-block or block,
//   Q4_K, Q5_K  y += (d·s)·Σ_j sc_j·D_j − (dmin·s)·Σ_j m_j·(bsum_2j + bsum_2j+1)
//   Q6_K, Q3_K  y += (d·s)·Σ_b sc_b·(D_b − o·bsum_b)   (o = 32, 4)
//   Q2_K        y += (d·s)·Σ_b sc_b·D_b − (dmin·s)·Σ_b m_b·bsum_b
//   Q8_0        y += (d·s)·D
//   Q5_0        y += (d·s)·(D − 16·(bsum_0 + bsum_1))
//   Q4_0        y += (d·s)·(D − 8·(bsum_0 + bsum_1))
//   IQ4_NL      y += (d·s)·D          (D = Σ v[q]·a: the codebook is decoded in registers)
//   IQ4_XS      y += (d·s)·Σ_j sc_j·D_j
//   IQ*         y += (f·s)·Σ_b sc_b·D_b   (llama.cpp's ±1/8 shift of IQ1 is in its codes)
// Every integer sum is exact in int32 (|Σ| ≤ 256·63·127·128 < 2^30); each block's one or two
// products round to fp32 and accumulate in fp32 in an order each kernel chooses. One scale per
// 256 activations (not per 32 as q8block) is what lets the sub-block scales of the k-quants, IQ4_XS
// and the lattice i-quants stay integers; Q8_0, Q5_0, Q4_0 and IQ4_NL carry an fp16 scale per 32
// weights anyway, so their activations take one per 32 too (as finely as the weights, and rows
// whose k is a multiple of 32 only, which is where GGUF files use these types next to k-quants).
// The error against exact activations is the activations' rounding, |x − s·a| ≤ s/2 per value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "arch/isa.h"

namespace lutra::kernels::kquant {

inline constexpr size_t kSuperBlock = 256;  // weights (and activations) per super-block
inline constexpr size_t kSumGroup = 16;     // activations per bsum

enum class Format : uint8_t {
  kQ4K,
  kQ6K,
  kQ8_0,
  kQ5K,
  kQ3K,
  kQ2K,
  kQ5_0,
  // llama.cpp's non-linear 4-bit formats (a 16-value codebook).
  kIQ4NL,
  kIQ4XS,
  // The lattice i-quants (iq_grids.h).
  kIQ2XXS,
  kIQ2XS,
  kIQ2S,
  kIQ3XXS,
  kIQ3S,
  kIQ1S,
  kIQ1M,
  // llama.cpp's legacy 4-bit format, after the others so their values stay as they were.
  kQ4_0,
};
inline constexpr size_t kFormats = 17;  // the values of Format, 0 .. kFormats − 1

// The lattice i-quants: a 256-weight block of grid indices, signs and integer scales.
inline constexpr bool IsGridFormat(Format f) {
  return f >= Format::kIQ2XXS && f <= Format::kIQ1M;
}

// Weights per block: a super-block for the k-quants and IQ4_XS, 32 for Q8_0, Q5_0, Q4_0, IQ4_NL.
inline constexpr size_t BlockWeights(Format f) {
  return f == Format::kQ8_0 || f == Format::kQ5_0 || f == Format::kIQ4NL || f == Format::kQ4_0
             ? 32
             : kSuperBlock;
}

inline constexpr size_t BlockBytes(Format f) {
  switch (f) {
    case Format::kQ4K:
      return 144;
    case Format::kQ6K:
      return 210;
    case Format::kQ8_0:
      return 34;
    case Format::kQ5K:
      return 176;
    case Format::kQ3K:
      return 110;
    case Format::kQ2K:
      return 84;
    case Format::kQ5_0:
      return 22;
    case Format::kIQ4NL:
    case Format::kQ4_0:
      return 18;
    case Format::kIQ4XS:
      return 136;
    case Format::kIQ2XXS:
      return 66;
    case Format::kIQ2XS:
      return 74;
    case Format::kIQ2S:
      return 82;
    case Format::kIQ3XXS:
      return 98;
    case Format::kIQ3S:
      return 110;
    case Format::kIQ1S:
      return 50;
    case Format::kIQ1M:
      return 56;
  }
  return 0;
}

// Activations per scale: one scale per block of the weights.
inline constexpr size_t ScaleGroup(Format f) {
  return BlockWeights(f);
}

struct Weights {
  size_t m = 0, k = 0;            // k a multiple of BlockWeights
  const uint8_t* data = nullptr;  // any alignment (GGUF aligns tensors to 32 bytes at most)
  size_t row_bytes = 0;           // k / BlockWeights · BlockBytes
};

// n tokens' activations, quantized by Quantize below.
// The same activations token-interleaved, for the many-token kernels that keep one token per
// 32-bit lane: tiles of kTileTokens tokens (the last one padded with zero codes, scales and
// sums), per tile the codes of every k-quad (4 consecutive k) of the 16 tokens, token after
// token, then the scales per ScaleGroup and the code sums per group of the format's
// TileSumGroup() (its sub-blocks or blocks: 32 for Q4_K, Q5_K, Q8_0, Q5_0, Q4_0, IQ4_NL, IQ4_XS; 16
// for Q6_K, Q3_K, Q2_K and the lattice i-quants) as int32, both token after token.
inline constexpr size_t kTileTokens = 16;
inline constexpr size_t TileSumGroup(Format f) {
  return f == Format::kQ6K || f == Format::kQ3K || f == Format::kQ2K || IsGridFormat(f) ? 16 : 32;
}
struct TokenTiles {
  const int8_t* q = nullptr;     // tiles·k·16: [tile][k / 4][token][4]
  const float* scale = nullptr;  // tiles·(k / ScaleGroup)·16: [tile][scale group][token]
  const int32_t* sum = nullptr;  // tiles·(k / TileSumGroup)·16: [tile][group][token]
};
inline size_t TileCount(size_t n) {
  return (n + kTileTokens - 1) / kTileTokens;
}

struct Activations {
  size_t k = 0, n = 0;
  const int8_t* q = nullptr;      // n·k
  const float* scale = nullptr;   // n·(k / ScaleGroup of the weights' format)
  const int16_t* bsum = nullptr;  // n·(k / kSumGroup)
  // Optional (null q: absent): the interleaved copy for the format (Interleave below). Kernels
  // that have a many-token path use it from kMinTiledTokens tokens on; the others ignore it.
  TokenTiles tiles;
};
inline constexpr size_t kMinTiledTokens = 12;

// Writes the interleaved copy of `a` (its token-major arrays) for `format` into tiles of the
// sizes above.
void Interleave(Format format, const Activations& a, int8_t* q, float* scale, int32_t* sum);

// Quantizes one token's k activations for `format` (k a multiple of ScaleGroup(format); scale
// holds k / ScaleGroup entries, bsum k / kSumGroup) as described above. Non-finite inputs give
// non-finite scales (codes 0), so they reach the outputs.
void Quantize(Format format, size_t k, const float* x, int8_t* q, float* scale, int16_t* bsum);
// The same for the k-quants (one scale per kSuperBlock).
void Quantize(size_t k, const float* x, int8_t* q, float* scale, int16_t* bsum);

// Quantize(format, ...) above, vectorized: the same codes, scales and sums bit for bit (the
// same float operations in the same order per value; only the non-finite cases may differ in
// which non-finite scale they give). Chosen by the ISA of the GEMM variant a matrix uses
// (SelectQuantizer(kernel.isa)): the portable loop is branchy scalar code, and quantizing a
// prompt's activations took half as long as the many-token GEMM itself.
using QuantizeFn = void (*)(Format format, size_t k, const float* x, int8_t* q, float* scale,
                            int16_t* bsum);
struct Quantizer {
  const char* name;  // lutra_kquant_quantize__<level>
  arch::IsaSet isa;
  QuantizeFn quantize;
};
std::span<const Quantizer> AllQuantizers();               // best first, the portable one last
const Quantizer* SelectQuantizer(arch::IsaSet features);  // never null

// y[t·y_stride + r] for rows [row_begin, row_end) and every token of `a`.
using GemmFn = void (*)(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y, size_t y_stride);

struct Kernels {
  // lutra_kquant_<format>_gemm__<level>, format q4k, q5k, q6k, q3k, q2k, q8_0, q5_0, q4_0, iq4nl,
  // iq4xs, iq2xxs, iq2xs, iq2s, iq3xxs, iq3s, iq1s or iq1m
  const char* name;
  arch::IsaSet isa;
  Format format;
  GemmFn gemm;
};

// Every variant, best first within each format (scalar last).
std::span<const Kernels> AllKernels();
// The best variant of `format` for `features` (never null: scalar).
const Kernels* Select(arch::IsaSet features, Format format);

}  // namespace lutra::kernels::kquant
