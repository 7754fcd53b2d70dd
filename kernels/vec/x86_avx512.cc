// AVX-512 vec kernels: 64 floats per iteration in four independent zmm streams, masked
// loads/stores for the tail (no scalar remainder loop).
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 flags the _mm512_undefined_*() placeholders inside its reductions; never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <immintrin.h>

#include "arch/x86/exp_simd.h"
#include "kernels/vec/variants.h"

namespace lutra::kernels::vec {
namespace {

inline __mmask16 Tail(size_t r) {
  return __mmask16((1u << r) - 1u);
}

// y[i] = f(i-th vectors) over [0, n): f gets (offset, mask) and does its own loads/stores.
template <typename F>
inline void ForEach(size_t n, F f) {
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    f(i, __mmask16(0xFFFF)), f(i + 16, __mmask16(0xFFFF));
    f(i + 32, __mmask16(0xFFFF)), f(i + 48, __mmask16(0xFFFF));
  }
  for (; i + 16 <= n; i += 16) f(i, __mmask16(0xFFFF));
  if (i < n) f(i, Tail(n - i));
}

// x·σ(z) with σ from e = exp(−|z|) ≤ 1, so nothing overflows: σ = 1/(1+e) for z ≥ 0 and
// e/(1+e) for z < 0.
inline __m512 SigmoidTimes(__m512 x, __m512 z) {
  const __m512 a = _mm512_castsi512_ps(
      _mm512_or_si512(_mm512_castps_si512(z), _mm512_set1_epi32(int(0x80000000u))));
  const __m512 e = arch::x86::ExpNonPositive512(a);
  const __m512 num = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_LT_OQ),
                                          _mm512_set1_ps(1.0f), e);
  return _mm512_mul_ps(x, _mm512_div_ps(num, _mm512_add_ps(_mm512_set1_ps(1.0f), e)));
}

inline __m512 Silu(__m512 x) {
  return SigmoidTimes(x, x);
}

inline __m512 Gelu(__m512 x) {
  const __m512 x2 = _mm512_mul_ps(x, x);
  const __m512 z =
      _mm512_mul_ps(x, _mm512_fmadd_ps(x2, _mm512_set1_ps(kGeluB), _mm512_set1_ps(kGeluA)));
  return SigmoidTimes(x, z);
}

// tanh(t): the odd Taylor polynomial below kTanhSeriesBelow, else sign(t)·(1 − e)/(1 + e)
// with e = exp(−2|t|) (|t| = ∞ gives e = 0, ±1).
inline __m512 Tanh(__m512 t) {
  const __m512i sign = _mm512_set1_epi32(int(0x80000000u));
  const __m512 a = _mm512_castsi512_ps(_mm512_andnot_si512(sign, _mm512_castps_si512(t)));
  const __m512 e = arch::x86::ExpNonPositive512(_mm512_mul_ps(a, _mm512_set1_ps(-2.0f)));
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 q = _mm512_div_ps(_mm512_sub_ps(one, e), _mm512_add_ps(one, e));
  const __m512 big = _mm512_castsi512_ps(
      _mm512_or_si512(_mm512_castps_si512(q), _mm512_and_si512(sign, _mm512_castps_si512(t))));
  const __m512 t2 = _mm512_mul_ps(t, t);
  __m512 p = _mm512_fmadd_ps(t2, _mm512_set1_ps(kTanhC9), _mm512_set1_ps(kTanhC7));
  p = _mm512_fmadd_ps(p, t2, _mm512_set1_ps(kTanhC5));
  p = _mm512_fmadd_ps(p, t2, _mm512_set1_ps(kTanhC3));
  const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(t, t2), p, t);
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, _mm512_set1_ps(kTanhSeriesBelow), _CMP_LT_OQ),
                              big, small);
}

}  // namespace

float dot_f32_u64__avx512(size_t n, const float* x, const float* y) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
    a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), a1);
    a2 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 32), _mm512_loadu_ps(y + i + 32), a2);
    a3 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 48), _mm512_loadu_ps(y + i + 48), a3);
  }
  for (; i + 16 <= n; i += 16) {
    a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
  }
  if (i < n) {
    const __mmask16 k = Tail(n - i);
    a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, x + i), _mm512_maskz_loadu_ps(k, y + i), a1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

void axpy_f32_u64__avx512(size_t n, float a, const float* x, float* y) {
  const __m512 va = _mm512_set1_ps(a);
  ForEach(n, [&](size_t i, __mmask16 k) {
    _mm512_mask_storeu_ps(
        y + i, k,
        _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(k, x + i), _mm512_maskz_loadu_ps(k, y + i)));
  });
}

void scale_f32_u64__avx512(size_t n, float a, const float* x, float* y) {
  const __m512 va = _mm512_set1_ps(a);
  ForEach(n, [&](size_t i, __mmask16 k) {
    _mm512_mask_storeu_ps(y + i, k, _mm512_mul_ps(va, _mm512_maskz_loadu_ps(k, x + i)));
  });
}

void add_f32_u64__avx512(size_t n, const float* a, const float* b, float* y) {
  ForEach(n, [&](size_t i, __mmask16 k) {
    _mm512_mask_storeu_ps(
        y + i, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, a + i), _mm512_maskz_loadu_ps(k, b + i)));
  });
}

void mul_f32_u64__avx512(size_t n, const float* a, const float* b, float* y) {
  ForEach(n, [&](size_t i, __mmask16 k) {
    _mm512_mask_storeu_ps(
        y + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, a + i), _mm512_maskz_loadu_ps(k, b + i)));
  });
}

void silu_f32_u64__avx512(size_t n, const float* x, float* y) {
  ForEach(n, [&](size_t i, __mmask16 k) {
    _mm512_mask_storeu_ps(y + i, k, Silu(_mm512_maskz_loadu_ps(k, x + i)));
  });
}

void gelu_f32_u64__avx512(size_t n, const float* x, float* y) {
  ForEach(n, [&](size_t i, __mmask16 k) {
    _mm512_mask_storeu_ps(y + i, k, Gelu(_mm512_maskz_loadu_ps(k, x + i)));
  });
}

void softcap_f32_u64__avx512(size_t n, float scale, float cap, const float* x, float* y) {
  const __m512 a = _mm512_set1_ps(scale / cap), c = _mm512_set1_ps(cap);
  ForEach(n, [&](size_t i, __mmask16 k) {
    const __m512 v = _mm512_maskz_loadu_ps(k, x + i);
    _mm512_mask_storeu_ps(y + i, k, _mm512_mul_ps(c, Tanh(_mm512_mul_ps(a, v))));
  });
}

}  // namespace lutra::kernels::vec
