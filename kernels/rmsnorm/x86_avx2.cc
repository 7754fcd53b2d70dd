// AVX2 rmsnorm: four ymm accumulators of x² (32 floats per iteration), maskload tails, then
// y = x·(1/rms)·w.
#include <immintrin.h>

#include "arch/x86/exp_simd.h"
#include "kernels/rmsnorm/scale.h"
#include "kernels/rmsnorm/variants.h"

namespace lutra::kernels::rmsnorm {
namespace {

using lutra::arch::x86::TailMask256;

float SumSq(size_t n, const float* x, float scale_f) {
  const __m256 scale = _mm256_set1_ps(scale_f);
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256 v0 = _mm256_mul_ps(_mm256_loadu_ps(x + i), scale);
    const __m256 v1 = _mm256_mul_ps(_mm256_loadu_ps(x + i + 8), scale);
    const __m256 v2 = _mm256_mul_ps(_mm256_loadu_ps(x + i + 16), scale);
    const __m256 v3 = _mm256_mul_ps(_mm256_loadu_ps(x + i + 24), scale);
    a0 = _mm256_fmadd_ps(v0, v0, a0);
    a1 = _mm256_fmadd_ps(v1, v1, a1);
    a2 = _mm256_fmadd_ps(v2, v2, a2);
    a3 = _mm256_fmadd_ps(v3, v3, a3);
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), scale);
    a0 = _mm256_fmadd_ps(v, v, a0);
  }
  if (i < n) {
    const __m256 v = _mm256_mul_ps(_mm256_maskload_ps(x + i, TailMask256(n - i)), scale);
    a1 = _mm256_fmadd_ps(v, v, a1);
  }
  const __m256 a = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
  return _mm_cvtss_f32(h);
}

}  // namespace

void rmsnorm_f32_u32__avx2(size_t n, const float* x, const float* weight, float eps, float* y) {
  const __m256 inv = _mm256_set1_ps(InvRms(n, eps, [&](float s) { return SumSq(n, x, s); }));
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (size_t u = 0; u < 32; u += 8) {
      _mm256_storeu_ps(y + i + u, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i + u), inv),
                                                _mm256_loadu_ps(weight + i + u)));
    }
  }
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), inv),
                                          _mm256_loadu_ps(weight + i)));
  }
  if (i < n) {
    const __m256i k = TailMask256(n - i);
    _mm256_maskstore_ps(y + i, k,
                        _mm256_mul_ps(_mm256_mul_ps(_mm256_maskload_ps(x + i, k), inv),
                                      _mm256_maskload_ps(weight + i, k)));
  }
}

}  // namespace lutra::kernels::rmsnorm
