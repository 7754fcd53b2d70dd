// AVX-512 VNNI kquant GEMMs. Few tokens: the AVX-512 scheme (x86_avx512_impl.h) with vpdpwssd
// summing the scaled pairs. From kMinTiledTokens tokens on, the token-interleaved activations
// (kquant.h TokenTiles): one token per int32 lane, so a super-block's codes are unpacked once
// to bytes on the stack and each k-quad of them is broadcast to all lanes for one vpdpbusd
// (64 multiply-adds: 4 codes × 16 tokens). The super-block formats (Q4_K, Q5_K, Q6_K, Q3_K,
// Q2_K) do this register-blocked over rows and tiles (x86_avx512vnni_blocked.h); Q8_0 / Q5_0
// here, one row at a time over up to kTileGroup tiles, per block of 32 with an fp32 product
// per block.
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 flags the _mm512_undefined_*() placeholders inside its intrinsics; never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include "kernels/kquant/variants.h"
#include "kernels/kquant/x86_avx512_impl.h"
#include "kernels/kquant/x86_avx512vnni_blocked.h"

namespace lutra::kernels::kquant {
namespace {

using avx512::Half;
using avx512::Load32;
using avx512::Load64;

// The accumulator arrays must live in registers: every loop over them fully unrolled.
#if defined(__clang__)
#define LUTRA_UNROLL _Pragma("clang loop unroll(full)")
#else
#define LUTRA_UNROLL _Pragma("GCC unroll 16")
#endif

constexpr size_t kTileGroup = 4;  // tiles (of 16 tokens) per pass over a row
constexpr int kChains = 8;        // independent vpdpbusd accumulators (sub-blocks × tiles)
// kRowBlock rows pass over the super-blocks together, so the activations of a super-block
// (4 KiB per tile) are read from L1 by every row of the block rather than streamed again from
// L2 for each row.
constexpr size_t kRowBlock = 8;

// After the codes are stored: without it GCC forwards the stored vectors and extracts each
// k-quad with shuffles (two per vpdpbusd, on the one shuffle port) instead of broadcasting it
// from memory (a load).
inline void ReloadFromMemory() {
  asm volatile("" ::: "memory");
}

inline __m512i Broadcast4(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return _mm512_set1_epi32(int(v));
}

// y for rows r0..r0+rows−1 and the tiles' real tokens (lanes past n are padding). y is
// token-major, a token's rows adjacent: transposed through the stack, each token's outputs go
// out as one contiguous store (scalar stores of one row for every token, the whole row count
// apart, filled the store buffer with L1 misses: a fifth of the many-token time).
template <size_t G>
inline void StoreRows(const __m512 (&f)[kRowBlock][G], size_t r0, size_t rows, size_t g0, size_t n,
                      float* y, size_t y_stride) {
  for (size_t g = 0; g < G; ++g) {
    alignas(64) float lanes[kRowBlock][kTileTokens];
    for (size_t i = 0; i < rows; ++i) _mm512_store_ps(lanes[i], f[i][g]);
    const size_t t0 = (g0 + g) * kTileTokens;
    for (size_t j = 0; j < kTileTokens && t0 + j < n; ++j) {
      float out[kRowBlock];
      for (size_t i = 0; i < kRowBlock; ++i) out[i] = lanes[i][j];
      std::memcpy(y + (t0 + j) * y_stride + r0, out, rows * sizeof(float));
    }
  }
}

template <template <size_t> class Kind>
void Tiled(const Weights& w, const Activations& a, size_t row_begin, size_t row_end, float* y,
           size_t y_stride) {
  const size_t tiles = TileCount(a.n);
  for (size_t r0 = row_begin; r0 < row_end; r0 += kRowBlock) {
    const size_t rows = std::min(kRowBlock, row_end - r0);
    for (size_t g = 0; g < tiles; g += kTileGroup) {
      switch (std::min(kTileGroup, tiles - g)) {
        case 1:
          Kind<1>::Pass(w, a, r0, rows, g, y, y_stride);
          break;
        case 2:
          Kind<2>::Pass(w, a, r0, rows, g, y, y_stride);
          break;
        case 3:
          Kind<3>::Pass(w, a, r0, rows, g, y, y_stride);
          break;
        default:
          Kind<4>::Pass(w, a, r0, rows, g, y, y_stride);
          break;
      }
    }
  }
}

// Q8_0 and Q5_0, blocks b0..b0+count−1 (count ≤ 8) of row r against tiles g0..g0+G−1, added
// to f. vpdpbusd wants unsigned weights: the signed codes are stored plus 128 (Q8_0: the sign
// bit flipped) or 16 (Q5_0: its codes as stored), and that offset times Σa of the block comes
// off each token's dot. Each block then has its own fp32 product (d times the 16 tokens'
// activation scales of the block).
template <size_t G, bool kFull, Format F>
inline void Block32TiledBlocks(const Weights& w, const Activations& a, size_t r, size_t b0,
                               size_t count, size_t g0, __m512* f) {
  constexpr size_t kBytes = BlockBytes(F);
  constexpr int kOffsetShift = F == Format::kQ8_0 ? 7 : 4;
  const size_t blocks = w.k / 32;  // also the scale and sum groups
  if constexpr (kFull) count = 8;
  const TokenTiles& tt = a.tiles;
  alignas(64) uint8_t codes[kSuperBlock];
  float d[8];
  const uint8_t* row = w.data + r * w.row_bytes;
  const __m256i offset = _mm256_set1_epi8(char(1 << kOffsetShift));
  for (size_t j = 0; j < count; ++j) {
    const uint8_t* blk = row + (b0 + j) * kBytes;
    _mm256_store_si256(reinterpret_cast<__m256i*>(codes + 32 * j),
                       _mm256_add_epi8(x86::Codes32<F>(blk), offset));
    d[j] = Half(blk);
  }
  ReloadFromMemory();
  constexpr int kJ = kChains / int(G);
  for (int j0 = 0; j0 < 8 && size_t(j0) < count; j0 += kJ) {
    __m512i acc[kJ][G];
    for (int j = 0; j < kJ; ++j) {
      for (size_t g = 0; g < G; ++g) acc[j][g] = _mm512_setzero_si512();
    }
    LUTRA_UNROLL
    for (int q = 0; q < 8; ++q) {
      LUTRA_UNROLL
      for (int j = 0; j < kJ; ++j) {
        if (!kFull && size_t(j0 + j) >= count) continue;
        const size_t quad = 8 * (b0 + j0 + j) + q;
        const __m512i wq = Broadcast4(codes + 32 * (j0 + j) + 4 * q);
        for (size_t g = 0; g < G; ++g) {
          const int8_t* aq = tt.q + (g0 + g) * w.k * kTileTokens + quad * 64;
          acc[j][g] = _mm512_dpbusd_epi32(acc[j][g], wq, Load64(aq));
        }
      }
    }
    for (int j = 0; j < kJ; ++j) {
      if (!kFull && size_t(j0 + j) >= count) continue;
      const size_t b = b0 + j0 + j;
      const __m512 dj = _mm512_set1_ps(d[j0 + j]);
      for (size_t g = 0; g < G; ++g) {
        const size_t at = ((g0 + g) * blocks + b) * kTileTokens;
        const __m512i dot = _mm512_sub_epi32(
            acc[j][g], _mm512_slli_epi32(_mm512_loadu_si512(tt.sum + at), kOffsetShift));
        f[g] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot),
                               _mm512_mul_ps(dj, _mm512_loadu_ps(tt.scale + at)), f[g]);
      }
    }
  }
}

// The 32-weight formats: kRowBlock rows pass over chunks of up to eight blocks together.
template <size_t G,
          void (*Full)(const Weights&, const Activations&, size_t, size_t, size_t, size_t, __m512*),
          void (*Part)(const Weights&, const Activations&, size_t, size_t, size_t, size_t, __m512*)>
void PassChunks(const Weights& w, const Activations& a, size_t r0, size_t rows, size_t g0, float* y,
                size_t y_stride) {
  __m512 f[kRowBlock][G];
  for (size_t i = 0; i < rows; ++i) {
    for (size_t g = 0; g < G; ++g) f[i][g] = _mm512_setzero_ps();
  }
  const size_t blocks = w.k / 32;
  for (size_t b = 0; b < blocks; b += 8) {
    const size_t count = std::min<size_t>(8, blocks - b);
    for (size_t i = 0; i < rows; ++i) {
      if (count == 8) {
        Full(w, a, r0 + i, b, count, g0, f[i]);
      } else {
        Part(w, a, r0 + i, b, count, g0, f[i]);
      }
    }
  }
  StoreRows<G>(f, r0, rows, g0, a.n, y, y_stride);
}

template <size_t G>
struct Q8_0Tiled {
  static void Pass(const Weights& w, const Activations& a, size_t r0, size_t rows, size_t g0,
                   float* y, size_t y_stride) {
    PassChunks<G, Block32TiledBlocks<G, true, Format::kQ8_0>,
               Block32TiledBlocks<G, false, Format::kQ8_0>>(w, a, r0, rows, g0, y, y_stride);
  }
};
template <size_t G>
struct Q5_0Tiled {
  static void Pass(const Weights& w, const Activations& a, size_t r0, size_t rows, size_t g0,
                   float* y, size_t y_stride) {
    PassChunks<G, Block32TiledBlocks<G, true, Format::kQ5_0>,
               Block32TiledBlocks<G, false, Format::kQ5_0>>(w, a, r0, rows, g0, y, y_stride);
  }
};

}  // namespace

void q4k_gemm__avx512vnni(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                          float* y, size_t y_stride) {
  using namespace avx512;
  if (a.tiles.q != nullptr && a.n >= kMinTiledTokens) {
    vnni_blocked::TiledGemm<Format::kQ4K>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  Gemm<Q4KTile<true, 1>, Q4KTile<true, kTokenTile>>(w, a, row_begin, row_end, y, y_stride);
}

void q5k_gemm__avx512vnni(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                          float* y, size_t y_stride) {
  using namespace avx512;
  if (a.tiles.q != nullptr && a.n >= kMinTiledTokens) {
    vnni_blocked::TiledGemm<Format::kQ5K>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  Gemm<Q4KTile<true, 1, true>, Q4KTile<true, kTokenTile, true>>(w, a, row_begin, row_end, y,
                                                                y_stride);
}

void q6k_gemm__avx512vnni(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                          float* y, size_t y_stride) {
  using namespace avx512;
  if (a.tiles.q != nullptr && a.n >= kMinTiledTokens) {
    vnni_blocked::TiledGemm<Format::kQ6K>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  Gemm<Q6KTile<true, 1>, Q6KTile<true, kTokenTile>>(w, a, row_begin, row_end, y, y_stride);
}

void q3k_gemm__avx512vnni(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                          float* y, size_t y_stride) {
  using namespace avx512;
  if (a.tiles.q != nullptr && a.n >= kMinTiledTokens) {
    vnni_blocked::TiledGemm<Format::kQ3K>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  Gemm<Q32KTile<true, 1, Format::kQ3K>, Q32KTile<true, kTokenTile, Format::kQ3K>>(
      w, a, row_begin, row_end, y, y_stride);
}

void q2k_gemm__avx512vnni(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                          float* y, size_t y_stride) {
  using namespace avx512;
  if (a.tiles.q != nullptr && a.n >= kMinTiledTokens) {
    vnni_blocked::TiledGemm<Format::kQ2K>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  Gemm<Q32KTile<true, 1, Format::kQ2K>, Q32KTile<true, kTokenTile, Format::kQ2K>>(
      w, a, row_begin, row_end, y, y_stride);
}

void q8_0_gemm__avx512vnni(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                           float* y, size_t y_stride) {
  using namespace avx512;
  if (a.tiles.q != nullptr && a.n >= kMinTiledTokens) {
    Tiled<Q8_0Tiled>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  Gemm<Block32Tile<true, 1, Format::kQ8_0>, Block32Tile<true, kTokenTile, Format::kQ8_0>>(
      w, a, row_begin, row_end, y, y_stride);
}

void q5_0_gemm__avx512vnni(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                           float* y, size_t y_stride) {
  using namespace avx512;
  if (a.tiles.q != nullptr && a.n >= kMinTiledTokens) {
    Tiled<Q5_0Tiled>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  Gemm<Block32Tile<true, 1, Format::kQ5_0>, Block32Tile<true, kTokenTile, Format::kQ5_0>>(
      w, a, row_begin, row_end, y, y_stride);
}

}  // namespace lutra::kernels::kquant
