// AVX2 + F16C: vcvtph2ps/vcvtps2ph convert 8 halves per instruction; 32 per main-loop
// iteration in four independent FMA chains. Tails go through a zero-padded 8-lane block.
#include <immintrin.h>

#include <cstring>

#include "kernels/f16/variants.h"

namespace lutra::kernels::f16 {
namespace {

inline __m256 LoadTail(size_t r, const uint16_t* x) {
  alignas(16) uint16_t buf[8] = {};
  std::memcpy(buf, x, r * sizeof(uint16_t));
  return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(buf)));
}

inline __m256 LoadTailF(size_t r, const float* y) {
  alignas(32) float buf[8] = {};
  std::memcpy(buf, y, r * sizeof(float));
  return _mm256_load_ps(buf);
}

inline __m256 Load8(const uint16_t* x) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x)));
}

}  // namespace

void tof32_f16_u32__avx2(size_t n, const uint16_t* x, float* y) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256 a = Load8(x + i), b = Load8(x + i + 8), c = Load8(x + i + 16),
                 d = Load8(x + i + 24);
    _mm256_storeu_ps(y + i, a);
    _mm256_storeu_ps(y + i + 8, b);
    _mm256_storeu_ps(y + i + 16, c);
    _mm256_storeu_ps(y + i + 24, d);
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Load8(x + i));
  if (i < n) {
    alignas(32) float buf[8];
    _mm256_store_ps(buf, LoadTail(n - i, x + i));
    std::memcpy(y + i, buf, (n - i) * sizeof(float));
  }
}

void fromf32_f16_u32__avx2(size_t n, const float* x, uint16_t* y) {
  constexpr int kRne = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (size_t j = 0; j < 32; j += 8) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i + j),
                       _mm256_cvtps_ph(_mm256_loadu_ps(x + i + j), kRne));
    }
  }
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(x + i), kRne));
  }
  if (i < n) {
    alignas(16) uint16_t buf[8];
    _mm_store_si128(reinterpret_cast<__m128i*>(buf),
                    _mm256_cvtps_ph(LoadTailF(n - i, x + i), kRne));
    std::memcpy(y + i, buf, (n - i) * sizeof(uint16_t));
  }
}

float dot_f16_u32__avx2(size_t n, const uint16_t* x, const float* y) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(),
         acc3 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(Load8(x + i), _mm256_loadu_ps(y + i), acc0);
    acc1 = _mm256_fmadd_ps(Load8(x + i + 8), _mm256_loadu_ps(y + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(Load8(x + i + 16), _mm256_loadu_ps(y + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(Load8(x + i + 24), _mm256_loadu_ps(y + i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(Load8(x + i), _mm256_loadu_ps(y + i), acc0);
  if (i < n) acc1 = _mm256_fmadd_ps(LoadTail(n - i, x + i), LoadTailF(n - i, y + i), acc1);
  const __m256 s = _mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3));
  __m128 v = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  v = _mm_add_ps(v, _mm_movehl_ps(v, v));
  v = _mm_add_ss(v, _mm_movehdup_ps(v));
  return _mm_cvtss_f32(v);
}

void axpy_f16_u32__avx2(size_t n, float a, const uint16_t* x, float* y) {
  const __m256 va = _mm256_set1_ps(a);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (size_t j = 0; j < 32; j += 8) {
      _mm256_storeu_ps(y + i + j,
                       _mm256_fmadd_ps(va, Load8(x + i + j), _mm256_loadu_ps(y + i + j)));
    }
  }
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, Load8(x + i), _mm256_loadu_ps(y + i)));
  }
  if (i < n) {
    alignas(32) float buf[8];
    _mm256_store_ps(buf, _mm256_fmadd_ps(va, LoadTail(n - i, x + i), LoadTailF(n - i, y + i)));
    std::memcpy(y + i, buf, (n - i) * sizeof(float));
  }
}

}  // namespace lutra::kernels::f16
