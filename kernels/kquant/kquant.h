// kquant: GEMM on the k-quant super-blocks exactly as GGUF files store them (Q4_K, Q6_K), so a
// matrix of those types is neither repacked nor copied: the kernels stream the file's own bytes,
// 4.5 and 6.56 bits per weight, where a repack to int8 codes (q8block) or to bit planes with
// fp32 scales (lutgemm) streams and keeps 6 to 10.
//
// Weights (kquant_formats.h has the block layouts): row r is k / 256 consecutive blocks at
// data + r·row_bytes. Per super-block of 256 weights:
//   Q4_K  w = d·sc_j·q − dmin·m_j, q ∈ [0, 16), 8 sub-blocks j of 32 with 6-bit sc_j, m_j
//   Q6_K  w = d·sc_b·(q − 32),     q ∈ [0, 64), 16 sub-blocks b of 16 with int8 sc_b
// Activations of token t, per super-block of 256 values x: amax = max |x|, s = amax / 127,
// a = round(x / s) ∈ [−127, 127] (all zero when amax = 0), and the sum of the codes a of every
// 16 values (bsum). Then, with integer dots D = Σ q·a over a sub-block,
//   Q4_K  y += (d·s)·Σ_j sc_j·D_j − (dmin·s)·Σ_j m_j·(bsum_2j + bsum_2j+1)
//   Q6_K  y += (d·s)·Σ_b sc_b·(D_b − 32·bsum_b)
// Both integer sums are exact in int32 (|Σ| ≤ 256·63·127·128 < 2^30); each super-block's two
// products round to fp32 and accumulate in fp32 in an order each kernel chooses. One scale per
// 256 activations (not per 32 as q8block) is what lets the sub-block scales stay integers; the
// error against exact activations is the activations' rounding, |x − s·a| ≤ s/2 per value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "arch/isa.h"

namespace lutra::kernels::kquant {

inline constexpr size_t kSuperBlock = 256;  // weights (and activations) per super-block
inline constexpr size_t kSumGroup = 16;     // activations per bsum

enum class Format : uint8_t { kQ4K, kQ6K };

inline constexpr size_t BlockBytes(Format f) {
  return f == Format::kQ4K ? 144 : 210;
}

struct Weights {
  size_t m = 0, k = 0;            // k a multiple of kSuperBlock
  const uint8_t* data = nullptr;  // any alignment (GGUF aligns tensors to 32 bytes at most)
  size_t row_bytes = 0;           // k / kSuperBlock · BlockBytes
};

// n tokens' activations, quantized by Quantize below.
// The same activations token-interleaved, for the many-token kernels that keep one token per
// 32-bit lane: tiles of kTileTokens tokens (the last one padded with zero codes, scales and
// sums), per tile the codes of every k-quad (4 consecutive k) of the 16 tokens, token after
// token, then the scales per super-block and the code sums per group of the format's
// TileSumGroup() (Q4_K 32: its sub-blocks; Q6_K 16) as int32, both token after token.
inline constexpr size_t kTileTokens = 16;
inline constexpr size_t TileSumGroup(Format f) {
  return f == Format::kQ4K ? 32 : 16;
}
struct TokenTiles {
  const int8_t* q = nullptr;     // tiles·k·16: [tile][k / 4][token][4]
  const float* scale = nullptr;  // tiles·(k / kSuperBlock)·16: [tile][super-block][token]
  const int32_t* sum = nullptr;  // tiles·(k / TileSumGroup)·16: [tile][group][token]
};
inline size_t TileCount(size_t n) {
  return (n + kTileTokens - 1) / kTileTokens;
}

struct Activations {
  size_t k = 0, n = 0;
  const int8_t* q = nullptr;      // n·k
  const float* scale = nullptr;   // n·(k / kSuperBlock)
  const int16_t* bsum = nullptr;  // n·(k / kSumGroup)
  // Optional (null q: absent): the interleaved copy for the format (Interleave below). Kernels
  // that have a many-token path use it from kMinTiledTokens tokens on; the others ignore it.
  TokenTiles tiles;
};
inline constexpr size_t kMinTiledTokens = 12;

// Writes the interleaved copy of `a` (its token-major arrays) for `format` into tiles of the
// sizes above.
void Interleave(Format format, const Activations& a, int8_t* q, float* scale, int32_t* sum);

// Quantizes one token's k activations (k a multiple of kSuperBlock) as described above.
// Non-finite inputs give non-finite scales (codes 0), so they reach the outputs.
void Quantize(size_t k, const float* x, int8_t* q, float* scale, int16_t* bsum);

// y[t·y_stride + r] for rows [row_begin, row_end) and every token of `a`.
using GemmFn = void (*)(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y, size_t y_stride);

struct Kernels {
  const char* name;  // lutra_kquant_<format>_gemm__<level>, format q4k or q6k
  arch::IsaSet isa;
  Format format;
  GemmFn gemm;
};

// Every variant, best first within each format (scalar last).
std::span<const Kernels> AllKernels();
// The best variant of `format` for `features` (never null: scalar).
const Kernels* Select(arch::IsaSet features, Format format);

}  // namespace lutra::kernels::kquant
