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

#include "kernels/lutbuild/lutbuild.h"
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

namespace lutra::kernels::lutbuild {
namespace {

// x[k..k+15]·inv rounded to nearest even and clamped to ±127 (clamping first is the same for
// integer bounds), lanes at k ≥ n zero.
static inline __m512i QuantizeSixteen(const float* x, size_t n, size_t k, __m512 inv) {
  const size_t valid = k < n ? n - k : 0;
  const __mmask16 m = __mmask16(valid >= 16 ? 0xFFFF : ((1u << valid) - 1));
  __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + k), inv);
  v = _mm512_max_ps(_mm512_min_ps(v, _mm512_set1_ps(127.0f)), _mm512_set1_ps(-127.0f));
  return _mm512_cvtps_epi32(v);
}

}  // namespace

// Sixteen activations per step; the int16 tables of two quads fill one vector (lanes 0..15:
// entries 0..15 of the first, 16..31 of the second), each entry Σ_u ±x_u formed with a word
// permute per u and a masked add/subtract.
void a8_g4__avx512(size_t n, size_t block, const float* x, float inv_scale, float act_scale,
                   uint8_t* lo, uint8_t* hi, float* scale, float* sum) {
  const size_t blocks = (n + block - 1) / block;
  const __m512 inv = _mm512_set1_ps(inv_scale);
  // idx[u][pair]: lane L takes x of quad 2·pair + L/16, element u.
  __m512i idx[4][2];
  for (int u = 0; u < 4; ++u) {
    for (int pair = 0; pair < 2; ++pair) {
      alignas(64) int16_t lanes[32];
      for (int l = 0; l < 32; ++l) lanes[l] = int16_t(4 * (2 * pair + l / 16) + u);
      idx[u][pair] = _mm512_load_si512(lanes);
    }
  }
  // Entry t has +x_u where bit u of t is set.
  const __mmask32 plus[4] = {0xAAAAAAAAu, 0xCCCCCCCCu, 0xF0F0F0F0u, 0xFF00FF00u};
  const __m512i offset = _mm512_set1_epi8(char(0x80));
  for (size_t b = 0; b < blocks; ++b) {
    __m512i vsum = _mm512_setzero_si512();
    for (size_t k = b * block; k < (b + 1) * block; k += 16) {
      const __m512i q32 = QuantizeSixteen(x, n, k, inv);
      vsum = _mm512_add_epi32(vsum, q32);
      const __m512i q16 = _mm512_zextsi256_si512(_mm512_cvtepi32_epi16(q32));
      for (int pair = 0; pair < 2; ++pair) {
        __m512i t = _mm512_setzero_si512();
        for (int u = 0; u < 4; ++u) {
          const __m512i xu = _mm512_permutexvar_epi16(idx[u][pair], q16);
          t = _mm512_mask_add_epi16(_mm512_sub_epi16(t, xu), plus[u], t, xu);
        }
        // |T| ≤ 508: lo = T & 0xFF (truncating narrow), hi = (T >> 8) + 128.
        const size_t at = (k / 4 + 2 * pair) * kTableBytes;
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(lo + at), _mm512_cvtepi16_epi8(t));
        const __m256i h = _mm512_cvtepi16_epi8(_mm512_srai_epi16(t, 8));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(hi + at),
                            _mm256_xor_si256(h, _mm512_castsi512_si256(offset)));
      }
    }
    scale[b] = act_scale;
    sum[b] = float(_mm512_reduce_add_epi32(vsum));
  }
}

void q8_g4__avx512(size_t n, size_t block, const float* x, float inv_scale, float act_scale,
                   int8_t* xq, float* scale, float* sum) {
  const size_t blocks = (n + block - 1) / block;
  const __m512 inv = _mm512_set1_ps(inv_scale);
  for (size_t b = 0; b < blocks; ++b) {
    __m512i vsum = _mm512_setzero_si512();
    for (size_t k = b * block; k < (b + 1) * block; k += 16) {
      const __m512i q = QuantizeSixteen(x, n, k, inv);
      vsum = _mm512_add_epi32(vsum, q);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(xq + k), _mm512_cvtepi32_epi8(q));
    }
    scale[b] = act_scale;
    sum[b] = float(_mm512_reduce_add_epi32(vsum));
  }
}

void q8b_g4__avx512(size_t n, size_t block, const float* x, int8_t* xq, float* scale, float* sum) {
  const size_t blocks = (n + block - 1) / block;
  for (size_t b = 0; b < blocks; ++b) {
    __m512 vmax = _mm512_setzero_ps();
    for (size_t k = b * block; k < (b + 1) * block && k < n; k += 16) {
      const size_t valid = n - k;
      const __mmask16 m = __mmask16(valid >= 16 ? 0xFFFF : ((1u << valid) - 1));
      vmax = _mm512_max_ps(vmax, _mm512_abs_ps(_mm512_maskz_loadu_ps(m, x + k)));
    }
    const float amax = _mm512_reduce_max_ps(vmax);
    const __m512 inv = _mm512_set1_ps(amax > 0.0f ? 127.0f / amax : 0.0f);
    __m512i vsum = _mm512_setzero_si512();
    for (size_t k = b * block; k < (b + 1) * block; k += 16) {
      const __m512i q = QuantizeSixteen(x, n, k, inv);
      vsum = _mm512_add_epi32(vsum, q);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(xq + k), _mm512_cvtepi32_epi8(q));
    }
    scale[b] = amax / 127.0f;
    sum[b] = float(_mm512_reduce_add_epi32(vsum));
  }
}

}  // namespace lutra::kernels::lutbuild
