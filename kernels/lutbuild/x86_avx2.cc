// AVX2 table builder: one quad per vector, lanes = entries 8..15 (the mirror T[15 − t] = −T[t]
// gives 7..0 with a byte shuffle and a sign flip). Pass 1 forms the 8 entries of every quad of
// a block and their largest magnitude (= the largest Σ|x| of a quad), pass 2 quantizes them.
#include <immintrin.h>

#include <algorithm>

#include "kernels/lutbuild/variants.h"

namespace lutra::kernels::lutbuild {
namespace {

static inline float HorizontalMax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

}  // namespace

void f32_g4__avx2(size_t n, size_t block, const float* x, uint8_t* tables, float* scale,
                  float* sum) {
  const size_t blocks = (n + block - 1) / block, quads = block / 4;
  const __m256 s0 = _mm256_setr_ps(-1, 1, -1, 1, -1, 1, -1, 1);
  const __m256 s1 = _mm256_setr_ps(-1, -1, 1, 1, -1, -1, 1, 1);
  const __m256 s2 = _mm256_setr_ps(-1, -1, -1, -1, 1, 1, 1, 1);
  const __m128i rev = _mm_setr_epi8(7, 6, 5, 4, 3, 2, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7);
  const __m128i sign = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, 1, 1, 1, 1, 1, 1, 1, 1);
  const __m128i offset = _mm_set1_epi8(char(0x80));
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  __m256 entries[32];  // a block's quads (G ≤ 128)
  for (size_t b = 0; b < blocks; ++b) {
    const size_t k0 = b * block;
    __m256 vmax = _mm256_setzero_ps();
    __m128 vsum = _mm_setzero_ps();
    for (size_t j = 0; j < quads; ++j) {
      const size_t k = k0 + 4 * j;
      float xs[4] = {0.0f, 0.0f, 0.0f, 0.0f};
      const float* xq = x + k;
      if (k + 4 > n) {  // the last, partial quad (zero padding); k ≥ n leaves all zero
        for (size_t u = 0; k + u < n && u < 4; ++u) xs[u] = x[k + u];
        xq = xs;
      }
      vsum = _mm_add_ps(vsum, _mm_loadu_ps(xq));
      __m256 t = _mm256_broadcast_ss(xq + 3);
      t = _mm256_fmadd_ps(s0, _mm256_broadcast_ss(xq), t);
      t = _mm256_fmadd_ps(s1, _mm256_broadcast_ss(xq + 1), t);
      t = _mm256_fmadd_ps(s2, _mm256_broadcast_ss(xq + 2), t);
      entries[j] = t;
      vmax = _mm256_max_ps(vmax, _mm256_and_ps(t, abs_mask));
    }
    const float maxsum = HorizontalMax(vmax);
    scale[b] = maxsum / 127.0f;
    sum[b] = [&] {
      __m128 s = _mm_add_ps(vsum, _mm_movehl_ps(vsum, vsum));
      s = _mm_add_ss(s, _mm_movehdup_ps(s));
      return _mm_cvtss_f32(s);
    }();
    const __m256 inv = _mm256_set1_ps(maxsum > 0.0f ? 127.0f / maxsum : 0.0f);
    for (size_t j = 0; j < quads; ++j) {
      // Round to nearest even (MXCSR default), like nearbyint; |T·inv| ≤ 127 by the choice of λ.
      const __m256i q32 = _mm256_cvtps_epi32(_mm256_mul_ps(entries[j], inv));
      const __m128i q16 =
          _mm_packs_epi32(_mm256_castsi256_si128(q32), _mm256_extracti128_si256(q32, 1));
      const __m128i q8 = _mm_packs_epi16(q16, q16);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(tables + (b * quads + j) * 16),
                       _mm_xor_si128(_mm_sign_epi8(_mm_shuffle_epi8(q8, rev), sign), offset));
    }
  }
}

}  // namespace lutra::kernels::lutbuild
