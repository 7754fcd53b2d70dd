// AVX-512BW lookup GEMM: one 64-byte load = 4 quads of one plane for 32 rows; vpshufb looks up
// 64 nibbles in the 4 quads' tables (one per 128-bit lane). Lookups are accumulated as whole
// 16-bit words of offset-binary bytes and split into rows only at the end of a run
// (docs/lut-format.md §4 has the overflow proof). Each weight load serves NB tokens.
// GCC 12 reports the _mm512_undefined_*() placeholders inside its own intrinsics (shuffle,
// extract, widening conversions) as maybe-uninitialized; the values are never read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include <algorithm>

#include "kernels/lutgemm/driver.h"
#include "kernels/lutgemm/variants.h"
#include "kernels/lutgemm/x86_avx512_rows.h"
#include "kernels/lutgemm/x86_prefetch.h"

namespace lutra::kernels::lutgemm {
namespace {

using packw::kTileRows;

// Quads per int16 run: (2^b − 1)·255·R ≤ 65535 (docs/lut-format.md §4).
template <int B>
constexpr size_t kRunQuads = B == 4 ? 16 : 32;

// Word sums of one table's lookups for the low-nibble rows (0..15) and the high-nibble rows.
struct Acc {
  __m512i a_lo, h_lo, a_hi, h_hi;
};

static inline void Zero(Acc& a) {
  a.a_lo = a.h_lo = a.a_hi = a.h_hi = _mm512_setzero_si512();
}

static inline void Add(Acc& a, __m512i r_lo, __m512i r_hi) {
  a.a_lo = _mm512_add_epi16(a.a_lo, r_lo);
  a.h_lo = _mm512_add_epi16(a.h_lo, _mm512_srli_epi16(r_lo, 8));
  a.a_hi = _mm512_add_epi16(a.a_hi, r_hi);
  a.h_hi = _mm512_add_epi16(a.h_hi, _mm512_srli_epi16(r_hi, 8));
}

static inline void Double(Acc& a) {
  a.a_lo = _mm512_add_epi16(a.a_lo, a.a_lo);
  a.h_lo = _mm512_add_epi16(a.h_lo, a.h_lo);
  a.a_hi = _mm512_add_epi16(a.a_hi, a.a_hi);
  a.h_hi = _mm512_add_epi16(a.h_hi, a.h_hi);
}

// Word sums A (all bytes) and H (odd bytes) over 4 lanes → per-row int32 sums of rows 0..15:
// even bytes are rows 0..7, odd bytes rows 8..15 (ρ in docs/lut-format.md).
static inline __m512i Fold(__m512i a, __m512i h) {
  const __m512i e = _mm512_sub_epi16(a, _mm512_slli_epi16(h, 8));
  const __m512i lo = _mm512_shuffle_i64x2(e, h, _MM_SHUFFLE(1, 0, 1, 0));
  const __m512i hi = _mm512_shuffle_i64x2(e, h, _MM_SHUFFLE(3, 2, 3, 2));
  __m512i s = _mm512_add_epi16(lo, hi);  // E0+E2, E1+E3, H0+H2, H1+H3
  s = _mm512_shuffle_i64x2(s, s, _MM_SHUFFLE(3, 1, 2, 0));
  const __m256i r = _mm256_add_epi16(_mm512_castsi512_si256(s), _mm512_extracti64x4_epi64(s, 1));
  return _mm512_cvtepu16_epi32(r);
}

// The microkernel of the shared driver (driver.h).
struct Avx512 {
  template <int B, bool Exact, int NB, size_t G>
  static void Block(const Weights& w, const Tables& tb, size_t t0, size_t tile, float* y,
                    size_t y_stride);
};

template <int B, bool Exact, int NB, size_t G>
void Avx512::Block(const Weights& w, const Tables& tb, size_t t0, size_t tile, float* y,
                   size_t y_stride) {
  const packw::Shape& s = w.shape;
  // G is a template parameter so the run loops have constant trip counts (fully unrolled).
  constexpr size_t quads = G / 4, run = std::min(quads, kRunQuads<B>), runs = quads / run;
  const size_t groups = packw::Groups(s);
  constexpr int kMaxCode = (1 << B) - 1;
  const __m512i nib = _mm512_set1_epi8(0x0F);
  // Offset binary: every run adds 128·(2^b − 1)·run to each row (lo tables in exact mode
  // carry no offset; the hi tables do).
  const __m512i offset = _mm512_set1_epi32(int(128 * kMaxCode * run));

  alignas(64) float yacc[NB][kTileRows] = {};
  alignas(64) int32_t iacc[NB][kTileRows] = {};
  const uint8_t* lut[NB];
  for (int t = 0; t < NB; ++t) lut[t] = tb.lut + (t0 + t) * tb.lut_stride;

  for (size_t g = 0; g < groups; ++g) {
    __m512i gsum[NB][2];
    for (int t = 0; t < NB; ++t) gsum[t][0] = gsum[t][1] = _mm512_setzero_si512();
    const uint8_t* group_bits = w.data.bits + (tile * groups + g) * B * quads * 16;

    for (size_t r = 0; r < runs; ++r) {
      Acc acc[NB], acc_hi[Exact ? NB : 1];
      for (int t = 0; t < NB; ++t) Zero(acc[t]);
      if constexpr (Exact) {
        for (int t = 0; t < NB; ++t) Zero(acc_hi[t]);
      }
      for (int slot = 0; slot < B; ++slot) {
        if (slot != 0) {
          for (int t = 0; t < NB; ++t) Double(acc[t]);
          if constexpr (Exact) {
            for (int t = 0; t < NB; ++t) Double(acc_hi[t]);
          }
        }
        const uint8_t* wp = group_bits + (slot * quads + r * run) * 16;
        const size_t table0 = (g * quads + r * run) * 16;
#pragma GCC unroll 2
        for (size_t c = 0; c < run; c += 4) {
          if constexpr (Exact) {
            x86::PrefetchWeightsToL2<12288>(wp + c * 16);
          } else {
            x86::PrefetchWeightsToL1(wp + c * 16);
          }
          const __m512i wv = _mm512_loadu_si512(wp + c * 16);
          const __m512i i_lo = _mm512_and_si512(wv, nib);
          const __m512i i_hi = _mm512_and_si512(_mm512_srli_epi16(wv, 4), nib);
          for (int t = 0; t < NB; ++t) {
            const uint8_t* tp = lut[t] + table0 + c * 16;
            const __m512i tab = _mm512_loadu_si512(tp);
            Add(acc[t], _mm512_shuffle_epi8(tab, i_lo), _mm512_shuffle_epi8(tab, i_hi));
            if constexpr (Exact) {
              const __m512i tab_hi = _mm512_loadu_si512(tp + tb.hi_offset);
              Add(acc_hi[t], _mm512_shuffle_epi8(tab_hi, i_lo), _mm512_shuffle_epi8(tab_hi, i_hi));
            }
          }
        }
      }
      for (int t = 0; t < NB; ++t) {
        __m512i lo = Fold(acc[t].a_lo, acc[t].h_lo), hi = Fold(acc[t].a_hi, acc[t].h_hi);
        if constexpr (Exact) {
          const __m512i h0 = _mm512_sub_epi32(Fold(acc_hi[t].a_lo, acc_hi[t].h_lo), offset);
          const __m512i h1 = _mm512_sub_epi32(Fold(acc_hi[t].a_hi, acc_hi[t].h_hi), offset);
          lo = _mm512_add_epi32(lo, _mm512_slli_epi32(h0, 8));
          hi = _mm512_add_epi32(hi, _mm512_slli_epi32(h1, 8));
        } else {
          lo = _mm512_sub_epi32(lo, offset);
          hi = _mm512_sub_epi32(hi, offset);
        }
        gsum[t][0] = _mm512_add_epi32(gsum[t][0], lo);
        gsum[t][1] = _mm512_add_epi32(gsum[t][1], hi);
      }
    }
    const size_t si = (tile * groups + g) * kTileRows;
    for (int t = 0; t < NB; ++t) {
      const size_t bi = (t0 + t) * tb.block_stride + g;
      for (int h = 0; h < 2; ++h) {
        avx512_rows::AddGroup<B, Exact>(w, si, h, gsum[t][h], tb.scale[bi], tb.sum[bi], yacc[t],
                                        iacc[t]);
      }
    }
  }

  const size_t row0 = tile * kTileRows;
  const size_t rows = std::min(kTileRows, s.m - row0);
  for (int t = 0; t < NB; ++t) {
    avx512_rows::StoreTile<Exact>(w, tile, tb.scale[(t0 + t) * tb.block_stride], yacc[t], iacc[t],
                                  rows, y + (t0 + t) * y_stride + row0);
  }
}

}  // namespace

LUTRA_LUTGEMM_DEFINE(w1_32x4g4__avx512, Gemm<Avx512, 1, false, 4>)
LUTRA_LUTGEMM_DEFINE(w1a8_32x2g4__avx512, Gemm<Avx512, 1, true, 2>)
LUTRA_LUTGEMM_DEFINE(w2_32x4g4__avx512, Gemm<Avx512, 2, false, 4>)
LUTRA_LUTGEMM_DEFINE(w2a8_32x2g4__avx512, Gemm<Avx512, 2, true, 2>)
LUTRA_LUTGEMM_DEFINE(w3_32x4g4__avx512, Gemm<Avx512, 3, false, 4>)
LUTRA_LUTGEMM_DEFINE(w3a8_32x2g4__avx512, Gemm<Avx512, 3, true, 2>)
LUTRA_LUTGEMM_DEFINE(w4_32x4g4__avx512, Gemm<Avx512, 4, false, 4>)
LUTRA_LUTGEMM_DEFINE(w4a8_32x2g4__avx512, Gemm<Avx512, 4, true, 2>)

}  // namespace lutra::kernels::lutgemm
