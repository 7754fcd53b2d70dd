// The AVX-512 VNNI dot-product GEMM (DESIGN.md §4, "be honest about where lookup wins"), for
// either plane order: each 16-byte plane block (32 rows × 4 k) is unpacked to byte codes with
// one shuffle and a bit test per nibble half, the planes are merged, and vpdpbusd multiplies
// 16 rows × 4 k by one broadcast int8 quad of each of NB tokens. The unpack is paid once per NB
// tokens, so the cost per token is about one vpdpbusd per 64 weights whatever b is. Exact W·A8
// integers, the same contract and result as the a8 lookup kernels; with per-block activation
// scales (PerBlock, lutbuild q8b) the same integers are scaled per group instead.
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
// 4L..4L+3 (a masked load at byte j, to use one index for every j, is 1.8× slower on Zen 4).
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

template <packw::PlaneOrder Order, int B, bool PerBlock, int NB, size_t G>
static void Block(const Weights& w, const Tables& tb, size_t t0, size_t tile, float* y,
                  size_t y_stride) {
  const packw::Shape& s = w.shape;
  // Per-block activation scales (fp32 activations) rule out one integer per row.
  const bool uniform = w.uniform_scale && !PerBlock;
  constexpr size_t quads = G / 4;
  constexpr int kMaxCode = (1 << B) - 1;
  const size_t groups = packw::Groups(s);
  const __m512i spread = _mm512_load_si512(kSpread.canonical);
  const __m512i lo_bits = _mm512_set1_epi32(0x08040201);  // byte u tests bit u (k = 4j + u)
  const __m512i hi_bits = _mm512_set1_epi32(int(0x80402010u));
  // Canonical: dword p holds row ρ(p), so natural row r sits in dword ρ⁻¹(r). Row quads: rows
  // are in natural order already.
  const __m512i to_rows = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);

  alignas(64) float yacc[NB][kTileRows] = {};
  alignas(64) int32_t iacc[NB][kTileRows] = {};
  const uint8_t* xq[NB];
  for (int t = 0; t < NB; ++t) xq[t] = tb.lut + (t0 + t) * tb.lut_stride;

  for (size_t g = 0; g < groups; ++g) {
    __m512i d[NB][2];
    for (int t = 0; t < NB; ++t) d[t][0] = d[t][1] = _mm512_setzero_si512();
    const uint8_t* group_bits = w.data.bits + (tile * groups + g) * B * quads * 16;
    // Unrolled over a chunk's 4 quads: the row-quad chunk is loaded once per plane and its 4
    // spread indices are constants (without: 1.2× slower at 2 bits).
#pragma GCC unroll 4
    for (size_t jj = 0; jj < quads; ++jj) {
      __m512i q_lo = _mm512_setzero_si512(), q_hi = _mm512_setzero_si512();
      for (int slot = 0; slot < B; ++slot) {
        const uint8_t* blk = group_bits + (slot * quads + jj) * 16;
        x86::PrefetchWeights<false>(blk);
        const __m512i v = Spread<Order>(blk, jj % 4, spread);
        const __m512i weight = _mm512_set1_epi8(char(1 << (B - 1 - slot)));
        q_lo = _mm512_mask_add_epi8(q_lo, _mm512_test_epi8_mask(v, lo_bits), q_lo, weight);
        q_hi = _mm512_mask_add_epi8(q_hi, _mm512_test_epi8_mask(v, hi_bits), q_hi, weight);
      }
      for (int t = 0; t < NB; ++t) {
        int32_t quad;
        std::memcpy(&quad, xq[t] + (g * quads + jj) * 4, 4);
        const __m512i xb = _mm512_set1_epi32(quad);
        d[t][0] = _mm512_dpbusd_epi32(d[t][0], q_lo, xb);
        d[t][1] = _mm512_dpbusd_epi32(d[t][1], q_hi, xb);
      }
    }
    // I2 = 2·Σ q·xq − 2z·S (z = (2^b − 1)/2 when symmetric), as in the a8 lookup kernels.
    const size_t si = (tile * groups + g) * kTileRows;
    for (int t = 0; t < NB; ++t) {
      const size_t bi = (t0 + t) * tb.block_stride + g;
      const float tscale = tb.scale[bi];
      const __m512i sum = _mm512_set1_epi32(int(tb.sum[bi]));
      for (int h = 0; h < 2; ++h) {
        const __m512i dot = Order == packw::PlaneOrder::kCanonical
                                ? _mm512_permutexvar_epi32(to_rows, d[t][h])
                                : d[t][h];
        __m512i two_z = _mm512_set1_epi32(kMaxCode);
        if (s.asymmetric && w.zero_point >= 0) {
          two_z = _mm512_set1_epi32(2 * w.zero_point);
        } else if (s.asymmetric) {
          const __m512i z = _mm512_cvtepu8_epi32(
              _mm_loadu_si128(reinterpret_cast<const __m128i*>(w.data.zero + si + 16 * h)));
          two_z = _mm512_add_epi32(z, z);
        }
        const __m512i i2 =
            _mm512_sub_epi32(_mm512_add_epi32(dot, dot), _mm512_mullo_epi32(two_z, sum));
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

  const size_t row0 = tile * kTileRows;
  const size_t rows = std::min(kTileRows, s.m - row0);
  for (int t = 0; t < NB; ++t) {
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

template <packw::PlaneOrder Order, int B, bool PerBlock, int NB, size_t G>
static void Tiles(const Weights& w, const Tables& tb, size_t n, size_t tile_begin, size_t tile_end,
                  float* y, size_t y_stride) {
  for (size_t tile = tile_begin; tile < tile_end; ++tile) {
    size_t t = 0;
    for (; t + NB <= n; t += NB) Block<Order, B, PerBlock, NB, G>(w, tb, t, tile, y, y_stride);
    for (; t + 4 <= n; t += 4) Block<Order, B, PerBlock, 4, G>(w, tb, t, tile, y, y_stride);
    for (; t < n; ++t) Block<Order, B, PerBlock, 1, G>(w, tb, t, tile, y, y_stride);
  }
}

template <packw::PlaneOrder Order, int B, bool PerBlock>
static void Gemm(const Weights& w, const Tables& tb, size_t n, size_t tile_begin, size_t tile_end,
                 float* y, size_t y_stride) {
  switch (w.shape.group) {
    case 32:
      return Tiles<Order, B, PerBlock, 8, 32>(w, tb, n, tile_begin, tile_end, y, y_stride);
    case 64:
      return Tiles<Order, B, PerBlock, 8, 64>(w, tb, n, tile_begin, tile_end, y, y_stride);
    default:
      return Tiles<Order, B, PerBlock, 8, 128>(w, tb, n, tile_begin, tile_end, y, y_stride);
  }
}

}  // namespace avx512_dot
}  // namespace lutra::kernels::lutgemm
