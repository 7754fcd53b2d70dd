// AVX2: vpmaddubsw + vpmaddwd by ones + vpaddd on ymm, 4 chains of 32 byte pairs (two chains
// cover the 64 pairs of the contract; named variables: see x86_avx512vnni.cc), each with its
// own copy of b made opaque every iteration (see x86_avx512.cc).
#include <immintrin.h>

#include "kernels/peak/variants.h"

namespace lutra::kernels::peak {
namespace {

inline __m256i Step(__m256i acc, __m256i b, __m256i a, __m256i ones) {
  const __m256i pairs = _mm256_maddubs_epi16(b, a);  // ≤ 2·127² < 2^15
  return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, ones));
}

}  // namespace

int64_t peak_dot_i8_u128__avx2(const int8_t* a, const int8_t* b, uint64_t iterations) {
  const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a));
  const __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 32));
  const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
  const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32));
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0;
  __m256i d0 = b0, d1 = b1, d2 = b0, d3 = b1;
  for (uint64_t it = 0; it < iterations; ++it) {
    asm volatile("" : "+x"(d0), "+x"(d1), "+x"(d2), "+x"(d3));
    c0 = Step(c0, d0, a0, ones), c1 = Step(c1, d1, a1, ones);
    c2 = Step(c2, d2, a0, ones), c3 = Step(c3, d3, a1, ones);
    asm volatile("" : "+x"(c0), "+x"(c1), "+x"(c2), "+x"(c3));
  }
  const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(c0, c1), _mm256_add_epi32(c2, c3));
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), sum);
  int64_t total = 0;
  for (int32_t v : lanes) total += v;
  return total;
}

}  // namespace lutra::kernels::peak
