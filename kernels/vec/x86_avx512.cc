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

// x·σ(x) with σ from e = exp(−|x|) ≤ 1, so nothing overflows: σ = 1/(1+e) for x ≥ 0 and
// e/(1+e) for x < 0.
inline __m512 Silu(__m512 x) {
  const __m512 a = _mm512_castsi512_ps(
      _mm512_or_si512(_mm512_castps_si512(x), _mm512_set1_epi32(int(0x80000000u))));
  const __m512 e = arch::x86::ExpNonPositive512(a);
  const __m512 num = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ),
                                          _mm512_set1_ps(1.0f), e);
  return _mm512_mul_ps(x, _mm512_div_ps(num, _mm512_add_ps(_mm512_set1_ps(1.0f), e)));
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

}  // namespace lutra::kernels::vec
