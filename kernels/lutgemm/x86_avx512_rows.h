// The part of the AVX-512 lookup kernels (x86_avx512.cc, x86_avx512icl.cc) that comes after
// the lookups: a group's per-row integer sums become the tile's outputs (docs/lut-format.md §5).
// Included by ISA files only; everything is static inline, so each file compiles it with its
// own flags (AVX-512F/BW/DQ at least).
#pragma once

#include <immintrin.h>

#include <algorithm>

#include "kernels/lutgemm/lutgemm.h"

namespace lutra::kernels::lutgemm {
namespace avx512_rows {

// Adds group g's sums of 16 rows (half h of the tile: rows 16h..16h+15 in natural order) for
// one token. Quantized: y += s·(λ/2)·A + bias·S. Exact: I2 = A + (2^b − 1 − 2z)·S, added as an
// integer when the row has one scale, else as (float)I2·(s·act)/2.
template <int B, bool Exact>
static inline void AddGroup(const Weights& w, size_t si, int h, __m512i sums, float tscale,
                            float tsum, float* yacc, int32_t* iacc) {
  constexpr int kMaxCode = (1 << B) - 1;
  const bool asym = w.shape.asymmetric;
  // Loaded only where used: rows with one scale never read the per-group scales.
  auto scale = [&] { return _mm512_loadu_ps(w.data.scale + si + 16 * h); };
  if constexpr (Exact) {
    __m512i i2 = sums;
    if (asym && w.zero_point >= 0) {
      i2 = _mm512_add_epi32(i2, _mm512_set1_epi32((kMaxCode - 2 * w.zero_point) * int(tsum)));
    } else if (asym) {
      const __m512i z = _mm512_cvtepu8_epi32(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(w.data.zero + si + 16 * h)));
      const __m512i coef = _mm512_sub_epi32(_mm512_set1_epi32(kMaxCode), _mm512_add_epi32(z, z));
      i2 = _mm512_add_epi32(i2, _mm512_mullo_epi32(coef, _mm512_set1_epi32(int(tsum))));
    }
    if (w.uniform_scale) {
      _mm512_store_si512(iacc + 16 * h, _mm512_add_epi32(_mm512_load_si512(iacc + 16 * h), i2));
    } else {
      const __m512 term = _mm512_mul_ps(
          _mm512_mul_ps(_mm512_cvtepi32_ps(i2), _mm512_mul_ps(scale(), _mm512_set1_ps(tscale))),
          _mm512_set1_ps(0.5f));
      _mm512_store_ps(yacc + 16 * h, _mm512_add_ps(_mm512_load_ps(yacc + 16 * h), term));
    }
  } else {
    const __m512 sc = scale();
    __m512 acc = _mm512_load_ps(yacc + 16 * h);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums),
                          _mm512_mul_ps(sc, _mm512_set1_ps(0.5f * tscale)), acc);
    if (asym && w.zero_point >= 0) {
      // bias = s·((2^b − 1)/2 − z) with the matrix's one zero point: no bias array is read.
      const float const_bias = 0.5f * float(kMaxCode) - float(w.zero_point);
      acc = _mm512_fmadd_ps(sc, _mm512_set1_ps(const_bias * tsum), acc);
    } else if (asym) {
      acc = _mm512_fmadd_ps(_mm512_loadu_ps(w.data.bias + si + 16 * h), _mm512_set1_ps(tsum), acc);
    }
    _mm512_store_ps(yacc + 16 * h, acc);
  }
}

// Writes the tile's first `rows` outputs of one token (act: the token's activation scale, used
// when the exact sums were kept as integers).
template <bool Exact>
static inline void StoreTile(const Weights& w, size_t tile, float act, const float* yacc,
                             const int32_t* iacc, size_t rows, float* yt) {
  const size_t groups = packw::Groups(w.shape);
  for (int h = 0; h < 2; ++h) {
    if (rows <= size_t(16 * h)) break;
    const size_t cnt = std::min<size_t>(16, rows - 16 * h);
    const __mmask16 mask = __mmask16((uint32_t{1} << cnt) - 1);
    __m512 v = _mm512_load_ps(yacc + 16 * h);
    if (Exact && w.uniform_scale) {
      const size_t si0 = tile * groups * packw::kTileRows + 16 * h;
      v = _mm512_mul_ps(
          _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_load_si512(iacc + 16 * h)),
                        _mm512_mul_ps(_mm512_loadu_ps(w.data.scale + si0), _mm512_set1_ps(act))),
          _mm512_set1_ps(0.5f));
    }
    _mm512_mask_storeu_ps(yt + 16 * h, mask, v);
  }
}

}  // namespace avx512_rows
}  // namespace lutra::kernels::lutgemm
