// AVX-512 rmsnorm: four zmm accumulators of x² (64 floats per iteration), masked tails, then
// y = x·(1/rms)·w in a second pass over the (cached) row.
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 flags the _mm512_undefined_*() placeholders inside its reductions; never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <immintrin.h>

#include "kernels/rmsnorm/scale.h"
#include "kernels/rmsnorm/variants.h"

namespace lutra::kernels::rmsnorm {
namespace {

float SumSq(size_t n, const float* x, float scale_f) {
  const __m512 scale = _mm512_set1_ps(scale_f);
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512 v0 = _mm512_mul_ps(_mm512_loadu_ps(x + i), scale);
    const __m512 v1 = _mm512_mul_ps(_mm512_loadu_ps(x + i + 16), scale);
    const __m512 v2 = _mm512_mul_ps(_mm512_loadu_ps(x + i + 32), scale);
    const __m512 v3 = _mm512_mul_ps(_mm512_loadu_ps(x + i + 48), scale);
    a0 = _mm512_fmadd_ps(v0, v0, a0);
    a1 = _mm512_fmadd_ps(v1, v1, a1);
    a2 = _mm512_fmadd_ps(v2, v2, a2);
    a3 = _mm512_fmadd_ps(v3, v3, a3);
  }
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_mul_ps(_mm512_loadu_ps(x + i), scale);
    a0 = _mm512_fmadd_ps(v, v, a0);
  }
  if (i < n) {
    const __m512 v =
        _mm512_mul_ps(_mm512_maskz_loadu_ps(__mmask16((1u << (n - i)) - 1), x + i), scale);
    a1 = _mm512_fmadd_ps(v, v, a1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

}  // namespace

void rmsnorm_f32_u64__avx512(size_t n, const float* x, const float* weight, float eps, float* y) {
  const __m512 inv = _mm512_set1_ps(InvRms(n, eps, [&](float s) { return SumSq(n, x, s); }));
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    for (size_t u = 0; u < 64; u += 16) {
      _mm512_storeu_ps(y + i + u, _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i + u), inv),
                                                _mm512_loadu_ps(weight + i + u)));
    }
  }
  for (; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i), inv),
                                          _mm512_loadu_ps(weight + i)));
  }
  if (i < n) {
    const __mmask16 k = __mmask16((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(y + i, k,
                          _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + i), inv),
                                        _mm512_maskz_loadu_ps(k, weight + i)));
  }
}

}  // namespace lutra::kernels::rmsnorm
