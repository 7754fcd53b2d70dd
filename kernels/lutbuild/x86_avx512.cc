// AVX-512 table builder: two quads per vector, lanes = entries 8..15 of each (the mirror
// T[15 − t] = −T[t] gives 7..0 with a byte shuffle and a sign flip). Pass 1 forms the 8
// entries of every quad of a block and their largest magnitude (= the largest Σ|x| of a quad),
// pass 2 quantizes them with the block's λ.
// GCC 12 reports the _mm512_undefined_*() placeholders inside its own intrinsics as
// maybe-uninitialized; the values are never read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include <algorithm>

#include "kernels/lutbuild/variants.h"

namespace lutra::kernels::lutbuild {
namespace {

// Entries 8..15 of two quads (lanes 0..7 from x[0..3], 8..15 from x[4..7]), x[i] = 0 for
// i ≥ valid.
static inline __m512 Entries(const float* x, size_t valid, __m512* sum) {
  const __mmask16 m = __mmask16(valid >= 8 ? 0xFF : ((1u << valid) - 1));
  const __m512 v = _mm512_maskz_loadu_ps(m, x);
  *sum = _mm512_add_ps(*sum, v);
  auto bcast = [&](int u) {
    const __m512i idx = _mm512_set_epi32(4 + u, 4 + u, 4 + u, 4 + u, 4 + u, 4 + u, 4 + u, 4 + u, u,
                                         u, u, u, u, u, u, u);
    return _mm512_permutexvar_ps(idx, v);
  };
  // Lane i (mod 8) is entry 8 + i: bit u of i set → +x_u, else −x_u; bit 3 (x3) always set.
  const __m512 s0 = _mm512_set_ps(1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1);
  const __m512 s1 = _mm512_set_ps(1, 1, -1, -1, 1, 1, -1, -1, 1, 1, -1, -1, 1, 1, -1, -1);
  const __m512 s2 = _mm512_set_ps(1, 1, 1, 1, -1, -1, -1, -1, 1, 1, 1, 1, -1, -1, -1, -1);
  __m512 t = bcast(3);
  t = _mm512_fmadd_ps(s0, bcast(0), t);
  t = _mm512_fmadd_ps(s1, bcast(1), t);
  t = _mm512_fmadd_ps(s2, bcast(2), t);
  return t;
}

}  // namespace

void f32_g4__avx512(size_t n, size_t block, const float* x, uint8_t* tables, float* scale,
                    float* sum) {
  const size_t blocks = (n + block - 1) / block, pairs = block / 8;
  // Byte k of a quad's table: entries 7..0 are the negated, reversed 8..15.
  const __m128i rev_a = _mm_setr_epi8(7, 6, 5, 4, 3, 2, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7);
  const __m128i rev_b = _mm_setr_epi8(15, 14, 13, 12, 11, 10, 9, 8, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m128i sign = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, 1, 1, 1, 1, 1, 1, 1, 1);
  const __m128i offset = _mm_set1_epi8(char(0x80));
  __m512 entries[16];  // a block's pairs (G ≤ 128: 16 pairs)
  for (size_t b = 0; b < blocks; ++b) {
    const size_t k0 = b * block;
    __m512 vsum = _mm512_setzero_ps(), vmax = _mm512_setzero_ps();
    for (size_t p = 0; p < pairs; ++p) {
      const size_t k = k0 + 8 * p;
      entries[p] = k < n ? Entries(x + k, n - k, &vsum) : _mm512_setzero_ps();
      vmax = _mm512_max_ps(vmax, _mm512_abs_ps(entries[p]));
    }
    const float maxsum = _mm512_reduce_max_ps(vmax);
    scale[b] = maxsum / 127.0f;
    sum[b] = _mm512_reduce_add_ps(vsum);
    const __m512 inv = _mm512_set1_ps(maxsum > 0.0f ? 127.0f / maxsum : 0.0f);
    for (size_t p = 0; p < pairs; ++p) {
      // Round to nearest even (MXCSR default), like nearbyint; |T·inv| ≤ 127 by the choice of λ.
      const __m128i q = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(entries[p], inv)));
      uint8_t* out = tables + (b * block / 4 + 2 * p) * 16;
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out),
                       _mm_xor_si128(_mm_sign_epi8(_mm_shuffle_epi8(q, rev_a), sign), offset));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16),
                       _mm_xor_si128(_mm_sign_epi8(_mm_shuffle_epi8(q, rev_b), sign), offset));
    }
  }
}

}  // namespace lutra::kernels::lutbuild
