// AVX2 table builder: one quad per vector, lanes = entries 8..15 (the mirror T[15 − t] = −T[t]
// gives 7..0 with a byte shuffle and a sign flip). Pass 1 forms the 8 entries of every quad of
// a block and their largest magnitude (= the largest Σ|x| of a quad), pass 2 quantizes them.
#include <immintrin.h>

#include <algorithm>

#include "kernels/lutbuild/lutbuild.h"
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

namespace lutra::kernels::lutbuild {
namespace {

// x[k..k+7]·inv rounded to nearest even and clamped to ±127, lanes at k ≥ n zero.
static inline __m256i QuantizeEight(const float* x, size_t n, size_t k, __m256 inv) {
  const size_t valid = k < n ? n - k : 0;
  __m256 v;
  if (valid >= 8) {
    v = _mm256_loadu_ps(x + k);
  } else {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(valid)), lanes);
    v = _mm256_maskload_ps(x + k, m);  // masked-off lanes are not read
  }
  v = _mm256_mul_ps(v, inv);
  v = _mm256_max_ps(_mm256_min_ps(v, _mm256_set1_ps(127.0f)), _mm256_set1_ps(-127.0f));
  return _mm256_cvtps_epi32(v);
}

static inline int SumLanes(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

}  // namespace

// Eight activations (two quads) per step. Entries t and t + 8 share the signs of x0..x2, so
// one signed sum T' of x0..x2 over lanes t = 0..7 gives T[t] = T' − x3 and T[t + 8] = T' + x3.
void a8_g4__avx2(size_t n, size_t block, const float* x, float inv_scale, float act_scale,
                 uint8_t* lo, uint8_t* hi, float* scale, float* sum) {
  const size_t blocks = (n + block - 1) / block;
  const __m256 inv = _mm256_set1_ps(inv_scale);
  const __m256i s0 = _mm256_setr_epi32(-1, 1, -1, 1, -1, 1, -1, 1);
  const __m256i s1 = _mm256_setr_epi32(-1, -1, 1, 1, -1, -1, 1, 1);
  const __m256i s2 = _mm256_setr_epi32(-1, -1, -1, -1, 1, 1, 1, 1);
  const __m128i low_byte = _mm_set1_epi16(0xFF), offset = _mm_set1_epi16(128);
  for (size_t b = 0; b < blocks; ++b) {
    __m256i vsum = _mm256_setzero_si256();
    for (size_t k = b * block; k < (b + 1) * block; k += 8) {
      const __m256i q = QuantizeEight(x, n, k, inv);
      vsum = _mm256_add_epi32(vsum, q);
      for (int quad = 0; quad < 2; ++quad) {
        auto bcast = [&](int u) {
          return _mm256_permutevar8x32_epi32(q, _mm256_set1_epi32(4 * quad + u));
        };
        __m256i t = _mm256_sign_epi32(bcast(0), s0);
        t = _mm256_add_epi32(t, _mm256_sign_epi32(bcast(1), s1));
        t = _mm256_add_epi32(t, _mm256_sign_epi32(bcast(2), s2));
        const __m256i x3 = bcast(3);
        // packs interleaves 128-bit halves: reorder to entries 0..7 then 8..15 (|T| ≤ 508).
        const __m256i e = _mm256_permute4x64_epi64(
            _mm256_packs_epi32(_mm256_sub_epi32(t, x3), _mm256_add_epi32(t, x3)), 0xD8);
        const __m128i e0 = _mm256_castsi256_si128(e), e1 = _mm256_extracti128_si256(e, 1);
        const size_t at = (k / 4 + quad) * kTableBytes;
        _mm_storeu_si128(
            reinterpret_cast<__m128i*>(lo + at),
            _mm_packus_epi16(_mm_and_si128(e0, low_byte), _mm_and_si128(e1, low_byte)));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(hi + at),
                         _mm_packus_epi16(_mm_add_epi16(_mm_srai_epi16(e0, 8), offset),
                                          _mm_add_epi16(_mm_srai_epi16(e1, 8), offset)));
      }
    }
    scale[b] = act_scale;
    sum[b] = float(SumLanes(vsum));
  }
}

void q8_g4__avx2(size_t n, size_t block, const float* x, float inv_scale, float act_scale,
                 int8_t* xq, float* scale, float* sum) {
  const size_t blocks = (n + block - 1) / block;
  const __m256 inv = _mm256_set1_ps(inv_scale);
  for (size_t b = 0; b < blocks; ++b) {
    __m256i vsum = _mm256_setzero_si256();
    for (size_t k = b * block; k < (b + 1) * block; k += 8) {
      const __m256i q = QuantizeEight(x, n, k, inv);
      vsum = _mm256_add_epi32(vsum, q);
      const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(xq + k), _mm_packs_epi16(w, w));
    }
    scale[b] = act_scale;
    sum[b] = float(SumLanes(vsum));
  }
}

}  // namespace lutra::kernels::lutbuild
