// The AVX-512 VNNI dot-product GEMM (DESIGN.md §4, "be honest about where lookup wins"), for
// either plane order: a tile's group is unpacked to byte codes in L1 (per 16-byte plane block
// of 32 rows × 4 k: one shuffle and a bit test per nibble half, the planes merged), once for up
// to 32 tokens; then vpdpbusd multiplies 16 rows × 4 k by one broadcast int8 quad of each of 8
// tokens at a time. The cost per token is about one vpdpbusd per 64 weights whatever b is.
// Exact W·A8 integers, the same contract and result as the a8 lookup kernels; with per-block
// activation scales (PerBlock, lutbuild q8b) the same integers are scaled per group instead.
//
// Included by x86_avx512vnni.cc (canonical order) and x86_avx512icl.cc (row quads, the partners
// of the row-quad lookup kernels); everything is static inline, so each file compiles it with
// its own flags.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/lutgemm/lutgemm.h"
#include "kernels/lutgemm/x86_prefetch.h"

namespace lutra::kernels::lutgemm {
namespace avx512_dot {

using packw::kTileRows;

// Byte u of dword r of a spread block is the byte holding rows r' and 16 + r' of one quad
// (canonical: r' = ρ(r), the block's byte r; row quads: r' = r, the chunk's byte 4r + j), so
// that the bit test of byte u picks k = 4·quad + u. Both are one in-lane vpshufb: a canonical
// block is broadcast to the 4 lanes, and lane L of a row-quad chunk already holds rows
// 4L..4L+3 (a masked load at byte j, to use one index for every j, was slower:
// docs/measurements.md).
struct SpreadIndex {
  alignas(64) uint8_t canonical[64];
  alignas(64) uint8_t row_quads[4][64];  // per quad j of the chunk
  constexpr SpreadIndex() : canonical(), row_quads() {
    for (int i = 0; i < 64; ++i) {
      canonical[i] = uint8_t(i / 4);
      for (int j = 0; j < 4; ++j) row_quads[j][i] = uint8_t(i % 16 / 4 * 4 + j);
    }
  }
};
inline constexpr SpreadIndex kSpread;

// The spread block of quad jj (j = jj % 4) of one plane; `blk` points at the quad's 16-byte
// block in canonical order, or (row quads) at the same offset, inside the chunk that starts
// 16·j bytes before it.
template <packw::PlaneOrder Order>
static inline __m512i Spread(const uint8_t* blk, size_t j, __m512i canonical_spread) {
  if constexpr (Order == packw::PlaneOrder::kCanonical) {
    return _mm512_shuffle_epi8(
        _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk))),
        canonical_spread);
  } else {
    return _mm512_shuffle_epi8(_mm512_loadu_si512(blk - 16 * j),
                               _mm512_load_si512(kSpread.row_quads[j]));
  }
}

// acc += u8 · s8 (vpdpbusd) in place. GCC 12 allocates an array of _mm512_dpbusd_epi32 chains
// badly: each vpdpbusd writes a fresh register that is then copied back (two moves per
// vpdpbusd, and spills around them); the "+v" operand keeps each accumulator in one register.
static inline __m512i DotAccumulate(__m512i acc, __m512i u8, __m512i s8) {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u8), "v"(s8));
  return acc;
}

// Tokens that share one unpack of a tile's weights: the unpack costs about as much as 8
// tokens' vpdpbusd, so sharing it by 32 tokens leaves a quarter of that per 8 tokens.
inline constexpr size_t kTokensPerUnpack = 32;

// Unpacks one group of one tile to byte codes: quad jj's rows 16h..16h+15 at codes + (2·jj + h)·64,
// dword r = row 16h + r, byte u = k 4·jj + u (natural row order, whatever the plane order).
template <packw::PlaneOrder Order, int B, size_t G>
static inline void UnpackGroup(const uint8_t* group_bits, uint8_t* codes) {
  constexpr size_t quads = G / 4;
  const __m512i spread = _mm512_load_si512(kSpread.canonical);
  const __m512i lo_bits = _mm512_set1_epi32(0x08040201);  // byte u tests bit u (k = 4j + u)
  const __m512i hi_bits = _mm512_set1_epi32(int(0x80402010u));
  // Canonical: dword p holds row ρ(p), so natural row r sits in dword ρ⁻¹(r).
  const __m512i to_rows = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
  // Unrolled over a chunk's 4 quads: the row-quad chunk is loaded once per plane and its 4
  // spread indices are constants.
#pragma GCC unroll 4
  for (size_t jj = 0; jj < quads; ++jj) {
    __m512i q_lo = _mm512_setzero_si512(), q_hi = _mm512_setzero_si512();
    for (int slot = 0; slot < B; ++slot) {
      const uint8_t* blk = group_bits + (slot * quads + jj) * 16;
      x86::PrefetchWeightsToL1(blk);
      const __m512i v = Spread<Order>(blk, jj % 4, spread);
      const __m512i weight = _mm512_set1_epi8(char(1 << (B - 1 - slot)));
      q_lo = _mm512_mask_add_epi8(q_lo, _mm512_test_epi8_mask(v, lo_bits), q_lo, weight);
      q_hi = _mm512_mask_add_epi8(q_hi, _mm512_test_epi8_mask(v, hi_bits), q_hi, weight);
    }
    if constexpr (Order == packw::PlaneOrder::kCanonical) {
      q_lo = _mm512_permutexvar_epi32(to_rows, q_lo);
      q_hi = _mm512_permutexvar_epi32(to_rows, q_hi);
    }
    _mm512_store_si512(codes + jj * 128, q_lo);
    _mm512_store_si512(codes + jj * 128 + 64, q_hi);
  }
}

// Group g of tokens t0..t0+NB−1 against the group's unpacked codes, added to their rows of
// yacc (or iacc, when a row has one scale). I2 = 2·Σ q·xq − 2z·S (z = (2^b − 1)/2 when
// symmetric), as in the a8 lookup kernels.
template <int B, bool PerBlock, int NB, size_t G>
static inline void AddGroupTokens(const Weights& w, const Tables& tb, const uint8_t* codes,
                                  size_t t0, size_t tile, size_t g, float (*yacc)[kTileRows],
                                  int32_t (*iacc)[kTileRows]) {
  const packw::Shape& s = w.shape;
  const bool uniform = w.uniform_scale && !PerBlock;
  constexpr size_t quads = G / 4;
  constexpr int kMaxCode = (1 << B) - 1;
  const uint8_t* xq[NB];
  for (int t = 0; t < NB; ++t) xq[t] = tb.lut + (t0 + t) * tb.lut_stride + g * G;
  __m512i d[NB][2];
  for (int t = 0; t < NB; ++t) d[t][0] = d[t][1] = _mm512_setzero_si512();
  for (size_t jj = 0; jj < quads; ++jj) {
    const __m512i q_lo = _mm512_load_si512(codes + jj * 128);
    const __m512i q_hi = _mm512_load_si512(codes + jj * 128 + 64);
    for (int t = 0; t < NB; ++t) {
      int32_t quad;
      std::memcpy(&quad, xq[t] + jj * 4, 4);
      const __m512i xb = _mm512_set1_epi32(quad);
      d[t][0] = DotAccumulate(d[t][0], q_lo, xb);
      d[t][1] = DotAccumulate(d[t][1], q_hi, xb);
    }
  }
  const size_t si = (tile * packw::Groups(s) + g) * kTileRows;
  for (int t = 0; t < NB; ++t) {
    const size_t bi = (t0 + t) * tb.block_stride + g;
    const float tscale = tb.scale[bi];
    const __m512i sum = _mm512_set1_epi32(int(tb.sum[bi]));
    for (int h = 0; h < 2; ++h) {
      __m512i two_z = _mm512_set1_epi32(kMaxCode);
      if (s.asymmetric && w.zero_point >= 0) {
        two_z = _mm512_set1_epi32(2 * w.zero_point);
      } else if (s.asymmetric) {
        const __m512i z = _mm512_cvtepu8_epi32(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(w.data.zero + si + 16 * h)));
        two_z = _mm512_add_epi32(z, z);
      }
      const __m512i i2 =
          _mm512_sub_epi32(_mm512_add_epi32(d[t][h], d[t][h]), _mm512_mullo_epi32(two_z, sum));
      if (uniform) {
        _mm512_store_si512(iacc[t] + 16 * h,
                           _mm512_add_epi32(_mm512_load_si512(iacc[t] + 16 * h), i2));
      } else {
        const __m512 sc = _mm512_loadu_ps(w.data.scale + si + 16 * h);
        const __m512 term = _mm512_mul_ps(
            _mm512_mul_ps(_mm512_cvtepi32_ps(i2), _mm512_mul_ps(sc, _mm512_set1_ps(tscale))),
            _mm512_set1_ps(0.5f));
        _mm512_store_ps(yacc[t] + 16 * h, _mm512_add_ps(_mm512_load_ps(yacc[t] + 16 * h), term));
      }
    }
  }
}

// Tokens t0..t0+nt−1 (nt ≤ kTokensPerUnpack) of one tile: each group is unpacked once, then
// multiplied by 8, 4 or 1 tokens at a time.
template <packw::PlaneOrder Order, int B, bool PerBlock, size_t G>
static void TileTokens(const Weights& w, const Tables& tb, size_t t0, size_t nt, size_t tile,
                       float* y, size_t y_stride) {
  const packw::Shape& s = w.shape;
  const bool uniform = w.uniform_scale && !PerBlock;
  constexpr size_t quads = G / 4;
  const size_t groups = packw::Groups(s);
  alignas(64) float yacc[kTokensPerUnpack][kTileRows];
  alignas(64) int32_t iacc[kTokensPerUnpack][kTileRows];
  alignas(64) uint8_t codes[quads * 128];
  std::memset(yacc, 0, nt * sizeof(yacc[0]));
  std::memset(iacc, 0, nt * sizeof(iacc[0]));

  for (size_t g = 0; g < groups; ++g) {
    UnpackGroup<Order, B, G>(w.data.bits + (tile * groups + g) * B * quads * 16, codes);
    size_t t = 0;
    for (; t + 8 <= nt; t += 8) {
      AddGroupTokens<B, PerBlock, 8, G>(w, tb, codes, t0 + t, tile, g, yacc + t, iacc + t);
    }
    for (; t + 4 <= nt; t += 4) {
      AddGroupTokens<B, PerBlock, 4, G>(w, tb, codes, t0 + t, tile, g, yacc + t, iacc + t);
    }
    for (; t < nt; ++t) {
      AddGroupTokens<B, PerBlock, 1, G>(w, tb, codes, t0 + t, tile, g, yacc + t, iacc + t);
    }
  }

  const size_t row0 = tile * kTileRows;
  const size_t rows = std::min(kTileRows, s.m - row0);
  for (size_t t = 0; t < nt; ++t) {
    float* yt = y + (t0 + t) * y_stride + row0;
    for (int h = 0; h < 2; ++h) {
      if (rows <= size_t(16 * h)) break;
      const size_t cnt = std::min<size_t>(16, rows - 16 * h);
      const __mmask16 mask = __mmask16((uint32_t{1} << cnt) - 1);
      __m512 v = _mm512_load_ps(yacc[t] + 16 * h);
      if (uniform) {
        const size_t si0 = tile * groups * kTileRows + 16 * h;
        const float act = tb.scale[(t0 + t) * tb.block_stride];
        v = _mm512_mul_ps(
            _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_load_si512(iacc[t] + 16 * h)),
                          _mm512_mul_ps(_mm512_loadu_ps(w.data.scale + si0), _mm512_set1_ps(act))),
            _mm512_set1_ps(0.5f));
      }
      _mm512_mask_storeu_ps(yt + 16 * h, mask, v);
    }
  }
}

template <packw::PlaneOrder Order, int B, bool PerBlock, size_t G>
static void Tiles(const Weights& w, const Tables& tb, size_t n, size_t tile_begin, size_t tile_end,
                  float* y, size_t y_stride) {
  for (size_t tile = tile_begin; tile < tile_end; ++tile) {
    for (size_t t0 = 0; t0 < n; t0 += kTokensPerUnpack) {
      TileTokens<Order, B, PerBlock, G>(w, tb, t0, std::min(kTokensPerUnpack, n - t0), tile, y,
                                        y_stride);
    }
  }
}

template <packw::PlaneOrder Order, int B, bool PerBlock>
static void Gemm(const Weights& w, const Tables& tb, size_t n, size_t tile_begin, size_t tile_end,
                 float* y, size_t y_stride) {
  switch (w.shape.group) {
    case 32:
      return Tiles<Order, B, PerBlock, 32>(w, tb, n, tile_begin, tile_end, y, y_stride);
    case 64:
      return Tiles<Order, B, PerBlock, 64>(w, tb, n, tile_begin, tile_end, y, y_stride);
    default:
      return Tiles<Order, B, PerBlock, 128>(w, tb, n, tile_begin, tile_end, y, y_stride);
  }
}

}  // namespace avx512_dot
}  // namespace lutra::kernels::lutgemm
