// AVX2 vec kernels: 32 floats per iteration in four independent ymm streams; tails use
// maskload/maskstore (no scalar remainder loop).
#include <immintrin.h>

#include "arch/x86/exp_simd.h"
#include "kernels/vec/variants.h"

namespace lutra::kernels::vec {
namespace {

using arch::x86::TailMask256;

template <typename Full, typename Masked>
inline void ForEach(size_t n, Full f, Masked m) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32) f(i), f(i + 8), f(i + 16), f(i + 24);
  for (; i + 8 <= n; i += 8) f(i);
  if (i < n) m(i, TailMask256(n - i));
}

// See x86_avx512.cc: x·σ(z) with σ from exp(−|z|) so nothing overflows.
inline __m256 SigmoidTimes(__m256 x, __m256 z) {
  const __m256 a = _mm256_or_ps(z, _mm256_set1_ps(-0.0f));
  const __m256 e = arch::x86::ExpNonPositive256(a);
  const __m256 num =
      _mm256_blendv_ps(_mm256_set1_ps(1.0f), e, _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_LT_OQ));
  return _mm256_mul_ps(x, _mm256_div_ps(num, _mm256_add_ps(_mm256_set1_ps(1.0f), e)));
}

inline __m256 Silu(__m256 x) {
  return SigmoidTimes(x, x);
}

inline __m256 Gelu(__m256 x) {
  const __m256 x2 = _mm256_mul_ps(x, x);
  const __m256 z =
      _mm256_mul_ps(x, _mm256_fmadd_ps(x2, _mm256_set1_ps(kGeluB), _mm256_set1_ps(kGeluA)));
  return SigmoidTimes(x, z);
}

// See x86_avx512.cc.
inline __m256 Tanh(__m256 t) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 a = _mm256_andnot_ps(sign, t);
  const __m256 e = arch::x86::ExpNonPositive256(_mm256_mul_ps(a, _mm256_set1_ps(-2.0f)));
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 big = _mm256_or_ps(_mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e)),
                                  _mm256_and_ps(sign, t));
  const __m256 t2 = _mm256_mul_ps(t, t);
  __m256 p = _mm256_fmadd_ps(t2, _mm256_set1_ps(kTanhC9), _mm256_set1_ps(kTanhC7));
  p = _mm256_fmadd_ps(p, t2, _mm256_set1_ps(kTanhC5));
  p = _mm256_fmadd_ps(p, t2, _mm256_set1_ps(kTanhC3));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(t, t2), p, t);
  return _mm256_blendv_ps(big, small,
                          _mm256_cmp_ps(a, _mm256_set1_ps(kTanhSeriesBelow), _CMP_LT_OQ));
}

inline float HSum(__m256 v) {
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
  return _mm_cvtss_f32(h);
}

}  // namespace

float dot_f32_u32__avx2(size_t n, const float* x, const float* y) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16), a2);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24), a3);
  }
  for (; i + 8 <= n; i += 8) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
  }
  if (i < n) {
    const __m256i k = TailMask256(n - i);
    a1 = _mm256_fmadd_ps(_mm256_maskload_ps(x + i, k), _mm256_maskload_ps(y + i, k), a1);
  }
  return HSum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
}

void axpy_f32_u32__avx2(size_t n, float a, const float* x, float* y) {
  const __m256 va = _mm256_set1_ps(a);
  ForEach(
      n,
      [&](size_t i) {
        _mm256_storeu_ps(y + i,
                         _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
      },
      [&](size_t i, __m256i k) {
        _mm256_maskstore_ps(
            y + i, k,
            _mm256_fmadd_ps(va, _mm256_maskload_ps(x + i, k), _mm256_maskload_ps(y + i, k)));
      });
}

void scale_f32_u32__avx2(size_t n, float a, const float* x, float* y) {
  const __m256 va = _mm256_set1_ps(a);
  ForEach(
      n, [&](size_t i) { _mm256_storeu_ps(y + i, _mm256_mul_ps(va, _mm256_loadu_ps(x + i))); },
      [&](size_t i, __m256i k) {
        _mm256_maskstore_ps(y + i, k, _mm256_mul_ps(va, _mm256_maskload_ps(x + i, k)));
      });
}

void add_f32_u32__avx2(size_t n, const float* a, const float* b, float* y) {
  ForEach(
      n,
      [&](size_t i) {
        _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
      },
      [&](size_t i, __m256i k) {
        _mm256_maskstore_ps(
            y + i, k, _mm256_add_ps(_mm256_maskload_ps(a + i, k), _mm256_maskload_ps(b + i, k)));
      });
}

void mul_f32_u32__avx2(size_t n, const float* a, const float* b, float* y) {
  ForEach(
      n,
      [&](size_t i) {
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
      },
      [&](size_t i, __m256i k) {
        _mm256_maskstore_ps(
            y + i, k, _mm256_mul_ps(_mm256_maskload_ps(a + i, k), _mm256_maskload_ps(b + i, k)));
      });
}

void silu_f32_u32__avx2(size_t n, const float* x, float* y) {
  ForEach(
      n, [&](size_t i) { _mm256_storeu_ps(y + i, Silu(_mm256_loadu_ps(x + i))); },
      [&](size_t i, __m256i k) {
        _mm256_maskstore_ps(y + i, k, Silu(_mm256_maskload_ps(x + i, k)));
      });
}

void gelu_f32_u32__avx2(size_t n, const float* x, float* y) {
  ForEach(
      n, [&](size_t i) { _mm256_storeu_ps(y + i, Gelu(_mm256_loadu_ps(x + i))); },
      [&](size_t i, __m256i k) {
        _mm256_maskstore_ps(y + i, k, Gelu(_mm256_maskload_ps(x + i, k)));
      });
}

void softcap_f32_u32__avx2(size_t n, float scale, float cap, const float* x, float* y) {
  const __m256 a = _mm256_set1_ps(scale / cap), c = _mm256_set1_ps(cap);
  auto f = [&](__m256 v) { return _mm256_mul_ps(c, Tanh(_mm256_mul_ps(a, v))); };
  ForEach(
      n, [&](size_t i) { _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i))); },
      [&](size_t i, __m256i k) { _mm256_maskstore_ps(y + i, k, f(_mm256_maskload_ps(x + i, k))); });
}

}  // namespace lutra::kernels::vec
