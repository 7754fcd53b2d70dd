// AVX-512: 16 halves per vcvtph2ps, 64 per main-loop iteration in four FMA chains; tails
// with AVX-512BW/VL masked loads and stores, so no element outside [0, n) is touched.
// GCC 12 reports the _mm512_undefined_*() placeholders inside its own intrinsics (reductions,
// conversions) as (maybe-)uninitialized; the values are never read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <immintrin.h>

#include "kernels/f16/variants.h"

namespace lutra::kernels::f16 {
namespace {

// The maskz forms (all lanes on) avoid GCC 12's -Wmaybe-uninitialized on the plain
// intrinsics' undefined pass-through operand.
inline __m512 Cvt(__m256i h) {
  return _mm512_maskz_cvtph_ps(__mmask16(0xffff), h);
}
inline __m256i CvtBack(__m512 f) {
  return _mm512_maskz_cvtps_ph(__mmask16(0xffff), f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
inline __m512 Load16(const uint16_t* x) {
  return Cvt(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)));
}
inline __m512 LoadMasked(__mmask16 m, const uint16_t* x) {
  return Cvt(_mm256_maskz_loadu_epi16(m, x));
}
inline __mmask16 TailMask(size_t r) {
  return __mmask16((1u << r) - 1u);
}

}  // namespace

void tof32_f16_u64__avx512(size_t n, const uint16_t* x, float* y) {
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512 a = Load16(x + i), b = Load16(x + i + 16), c = Load16(x + i + 32),
                 d = Load16(x + i + 48);
    _mm512_storeu_ps(y + i, a);
    _mm512_storeu_ps(y + i + 16, b);
    _mm512_storeu_ps(y + i + 32, c);
    _mm512_storeu_ps(y + i + 48, d);
  }
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, Load16(x + i));
  if (i < n) {
    const __mmask16 m = TailMask(n - i);
    _mm512_mask_storeu_ps(y + i, m, LoadMasked(m, x + i));
  }
}

void fromf32_f16_u64__avx512(size_t n, const float* x, uint16_t* y) {
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    for (size_t j = 0; j < 64; j += 16) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i + j),
                          CvtBack(_mm512_loadu_ps(x + i + j)));
    }
  }
  for (; i + 16 <= n; i += 16) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), CvtBack(_mm512_loadu_ps(x + i)));
  }
  if (i < n) {
    const __mmask16 m = TailMask(n - i);
    _mm256_mask_storeu_epi16(y + i, m, CvtBack(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

float dot_f16_u64__avx512(size_t n, const uint16_t* x, const float* y) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps(), acc2 = _mm512_setzero_ps(),
         acc3 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    acc0 = _mm512_fmadd_ps(Load16(x + i), _mm512_loadu_ps(y + i), acc0);
    acc1 = _mm512_fmadd_ps(Load16(x + i + 16), _mm512_loadu_ps(y + i + 16), acc1);
    acc2 = _mm512_fmadd_ps(Load16(x + i + 32), _mm512_loadu_ps(y + i + 32), acc2);
    acc3 = _mm512_fmadd_ps(Load16(x + i + 48), _mm512_loadu_ps(y + i + 48), acc3);
  }
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm512_fmadd_ps(Load16(x + i), _mm512_loadu_ps(y + i), acc0);
  }
  if (i < n) {
    const __mmask16 m = TailMask(n - i);
    acc1 = _mm512_fmadd_ps(LoadMasked(m, x + i), _mm512_maskz_loadu_ps(m, y + i), acc1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
}

void axpy_f16_u64__avx512(size_t n, float a, const uint16_t* x, float* y) {
  const __m512 va = _mm512_set1_ps(a);
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    for (size_t j = 0; j < 64; j += 16) {
      _mm512_storeu_ps(y + i + j,
                       _mm512_fmadd_ps(va, Load16(x + i + j), _mm512_loadu_ps(y + i + j)));
    }
  }
  for (; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, Load16(x + i), _mm512_loadu_ps(y + i)));
  }
  if (i < n) {
    const __mmask16 m = TailMask(n - i);
    _mm512_mask_storeu_ps(
        y + i, m, _mm512_fmadd_ps(va, LoadMasked(m, x + i), _mm512_maskz_loadu_ps(m, y + i)));
  }
}

}  // namespace lutra::kernels::f16
