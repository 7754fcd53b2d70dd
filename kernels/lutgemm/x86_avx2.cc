// AVX2 lookup GEMM: one 32-byte load = 2 quads of one plane for 32 rows; vpshufb looks up 32
// nibbles in the 2 quads' tables (one per 128-bit lane). Same accumulation scheme as the
// AVX-512 variant: 16-bit words of offset-binary bytes, split into rows at the end of a run
// (docs/lut-format.md §4 has the overflow proof). Each weight load serves NB tokens.
#include <immintrin.h>

#include <algorithm>

#include "kernels/lutgemm/driver.h"
#include "kernels/lutgemm/variants.h"
#include "kernels/lutgemm/x86_prefetch.h"

namespace lutra::kernels::lutgemm {
namespace {

using packw::kTileRows;

// Quads per int16 run: (2^b − 1)·255·R ≤ 65535 (docs/lut-format.md §4).
template <int B>
constexpr size_t kRunQuads = B == 4 ? 16 : 32;

struct Acc {
  __m256i a_lo, h_lo, a_hi, h_hi;
};

static inline void Zero(Acc& a) {
  a.a_lo = a.h_lo = a.a_hi = a.h_hi = _mm256_setzero_si256();
}

static inline void Add(Acc& a, __m256i r_lo, __m256i r_hi) {
  a.a_lo = _mm256_add_epi16(a.a_lo, r_lo);
  a.h_lo = _mm256_add_epi16(a.h_lo, _mm256_srli_epi16(r_lo, 8));
  a.a_hi = _mm256_add_epi16(a.a_hi, r_hi);
  a.h_hi = _mm256_add_epi16(a.h_hi, _mm256_srli_epi16(r_hi, 8));
}

static inline void Double(Acc& a) {
  a.a_lo = _mm256_add_epi16(a.a_lo, a.a_lo);
  a.h_lo = _mm256_add_epi16(a.h_lo, a.h_lo);
  a.a_hi = _mm256_add_epi16(a.a_hi, a.a_hi);
  a.h_hi = _mm256_add_epi16(a.h_hi, a.h_hi);
}

// Word sums A (all bytes) and H (odd bytes) over 2 lanes → int32 sums of rows 0..7 (out[0])
// and 8..15 (out[1]): even bytes are rows 0..7, odd bytes rows 8..15.
static inline void Fold(__m256i a, __m256i h, __m256i out[2]) {
  const __m256i e = _mm256_sub_epi16(a, _mm256_slli_epi16(h, 8));
  const __m256i s = _mm256_add_epi16(_mm256_permute2x128_si256(e, h, 0x20),
                                     _mm256_permute2x128_si256(e, h, 0x31));
  out[0] = _mm256_cvtepu16_epi32(_mm256_castsi256_si128(s));
  out[1] = _mm256_cvtepu16_epi32(_mm256_extracti128_si256(s, 1));
}

// The microkernel of the shared driver (driver.h).
struct Avx2 {
  template <int B, bool Exact, int NB, size_t G>
  static void Block(const Weights& w, const Tables& tb, size_t t0, size_t tile, float* y,
                    size_t y_stride);
};

template <int B, bool Exact, int NB, size_t G>
void Avx2::Block(const Weights& w, const Tables& tb, size_t t0, size_t tile, float* y,
                 size_t y_stride) {
  const packw::Shape& s = w.shape;
  // G is a template parameter so the run loops have constant trip counts (fully unrolled).
  constexpr size_t quads = G / 4, run = std::min(quads, kRunQuads<B>), runs = quads / run;
  const size_t groups = packw::Groups(s);
  constexpr int kMaxCode = (1 << B) - 1;
  const float const_bias = 0.5f * float(kMaxCode) - float(w.zero_point);  // zero_point ≥ 0
  const __m256i nib = _mm256_set1_epi8(0x0F);
  // Offset binary: every run adds 128·(2^b − 1)·run to each row (exact mode: hi tables only).
  const __m256i offset = _mm256_set1_epi32(int(128 * kMaxCode * run));

  alignas(32) float yacc[NB][kTileRows] = {};
  alignas(32) int32_t iacc[NB][kTileRows] = {};
  const uint8_t* lut[NB];
  for (int t = 0; t < NB; ++t) lut[t] = tb.lut + (t0 + t) * tb.lut_stride;

  for (size_t g = 0; g < groups; ++g) {
    __m256i gsum[NB][4];
    for (int t = 0; t < NB; ++t) {
      for (int q = 0; q < 4; ++q) gsum[t][q] = _mm256_setzero_si256();
    }
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
        for (size_t c = 0; c < run; c += 2) {
          if constexpr (Exact) {
            x86::PrefetchWeightsToL2<12288>(wp + c * 16);
          } else {
            x86::PrefetchWeightsToL1(wp + c * 16);
          }
          const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp + c * 16));
          const __m256i i_lo = _mm256_and_si256(wv, nib);
          const __m256i i_hi = _mm256_and_si256(_mm256_srli_epi16(wv, 4), nib);
          for (int t = 0; t < NB; ++t) {
            const uint8_t* tp = lut[t] + table0 + c * 16;
            const __m256i tab = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tp));
            Add(acc[t], _mm256_shuffle_epi8(tab, i_lo), _mm256_shuffle_epi8(tab, i_hi));
            if constexpr (Exact) {
              const __m256i tab_hi =
                  _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tp + tb.hi_offset));
              Add(acc_hi[t], _mm256_shuffle_epi8(tab_hi, i_lo), _mm256_shuffle_epi8(tab_hi, i_hi));
            }
          }
        }
      }
      for (int t = 0; t < NB; ++t) {
        __m256i v[4];
        Fold(acc[t].a_lo, acc[t].h_lo, v);
        Fold(acc[t].a_hi, acc[t].h_hi, v + 2);
        if constexpr (Exact) {
          __m256i hv[4];
          Fold(acc_hi[t].a_lo, acc_hi[t].h_lo, hv);
          Fold(acc_hi[t].a_hi, acc_hi[t].h_hi, hv + 2);
          for (int q = 0; q < 4; ++q) {
            v[q] = _mm256_add_epi32(v[q], _mm256_slli_epi32(_mm256_sub_epi32(hv[q], offset), 8));
          }
        } else {
          for (int q = 0; q < 4; ++q) v[q] = _mm256_sub_epi32(v[q], offset);
        }
        for (int q = 0; q < 4; ++q) gsum[t][q] = _mm256_add_epi32(gsum[t][q], v[q]);
      }
    }
    const size_t si = (tile * groups + g) * kTileRows;
    for (int t = 0; t < NB; ++t) {
      const size_t bi = (t0 + t) * tb.block_stride + g;
      const float tscale = tb.scale[bi], tsum = tb.sum[bi];
      for (int q = 0; q < 4; ++q) {
        // Loaded only where used: rows with one scale never read the per-group scales.
        auto scale = [&] { return _mm256_loadu_ps(w.data.scale + si + 8 * q); };
        if constexpr (Exact) {
          __m256i i2 = gsum[t][q];
          if (s.asymmetric && w.zero_point >= 0) {
            i2 = _mm256_add_epi32(i2, _mm256_set1_epi32((kMaxCode - 2 * w.zero_point) * int(tsum)));
          } else if (s.asymmetric) {
            const __m256i z = _mm256_cvtepu8_epi32(
                _mm_loadl_epi64(reinterpret_cast<const __m128i*>(w.data.zero + si + 8 * q)));
            const __m256i coef =
                _mm256_sub_epi32(_mm256_set1_epi32(kMaxCode), _mm256_add_epi32(z, z));
            i2 = _mm256_add_epi32(i2, _mm256_mullo_epi32(coef, _mm256_set1_epi32(int(tsum))));
          }
          int32_t* ia = iacc[t] + 8 * q;
          float* ya = yacc[t] + 8 * q;
          if (w.uniform_scale) {
            _mm256_store_si256(
                reinterpret_cast<__m256i*>(ia),
                _mm256_add_epi32(_mm256_load_si256(reinterpret_cast<__m256i*>(ia)), i2));
          } else {
            const __m256 term =
                _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(i2),
                                            _mm256_mul_ps(scale(), _mm256_set1_ps(tscale))),
                              _mm256_set1_ps(0.5f));
            _mm256_store_ps(ya, _mm256_add_ps(_mm256_load_ps(ya), term));
          }
        } else {
          float* ya = yacc[t] + 8 * q;
          const __m256 sc = scale();
          __m256 acc = _mm256_load_ps(ya);
          acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(gsum[t][q]),
                                _mm256_mul_ps(sc, _mm256_set1_ps(0.5f * tscale)), acc);
          if (s.asymmetric && w.zero_point >= 0) {
            acc = _mm256_fmadd_ps(sc, _mm256_set1_ps(const_bias * tsum), acc);
          } else if (s.asymmetric) {
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(w.data.bias + si + 8 * q), _mm256_set1_ps(tsum),
                                  acc);
          }
          _mm256_store_ps(ya, acc);
        }
      }
    }
  }

  const size_t row0 = tile * kTileRows;
  const size_t rows = std::min(kTileRows, s.m - row0);
  for (int t = 0; t < NB; ++t) {
    float* yt = y + (t0 + t) * y_stride + row0;
    if (Exact && w.uniform_scale) {
      const size_t si0 = tile * groups * kTileRows;
      const __m256 act = _mm256_set1_ps(tb.scale[(t0 + t) * tb.block_stride]);
      for (int q = 0; q < 4; ++q) {
        const __m256i ia = _mm256_load_si256(reinterpret_cast<const __m256i*>(iacc[t] + 8 * q));
        _mm256_store_ps(
            yacc[t] + 8 * q,
            _mm256_mul_ps(
                _mm256_mul_ps(_mm256_cvtepi32_ps(ia),
                              _mm256_mul_ps(_mm256_loadu_ps(w.data.scale + si0 + 8 * q), act)),
                _mm256_set1_ps(0.5f)));
      }
    }
    std::copy(yacc[t], yacc[t] + rows, yt);
  }
}

}  // namespace

LUTRA_LUTGEMM_DEFINE(w1_32x2g4__avx2, Gemm<Avx2, 1, false, 2>)
LUTRA_LUTGEMM_DEFINE(w1a8_32x1g4__avx2, Gemm<Avx2, 1, true, 1>)
LUTRA_LUTGEMM_DEFINE(w2_32x2g4__avx2, Gemm<Avx2, 2, false, 2>)
LUTRA_LUTGEMM_DEFINE(w2a8_32x1g4__avx2, Gemm<Avx2, 2, true, 1>)
LUTRA_LUTGEMM_DEFINE(w3_32x2g4__avx2, Gemm<Avx2, 3, false, 2>)
LUTRA_LUTGEMM_DEFINE(w3a8_32x1g4__avx2, Gemm<Avx2, 3, true, 1>)
LUTRA_LUTGEMM_DEFINE(w4_32x2g4__avx2, Gemm<Avx2, 4, false, 2>)
LUTRA_LUTGEMM_DEFINE(w4a8_32x1g4__avx2, Gemm<Avx2, 4, true, 1>)

}  // namespace lutra::kernels::lutgemm
