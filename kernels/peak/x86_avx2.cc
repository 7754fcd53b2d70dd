// AVX2: vpmaddubsw + vpmaddwd by ones + vpaddd on ymm, 8 chains of 32 byte pairs (two chains
// cover the 64 pairs of the contract).
#include <immintrin.h>

#include "kernels/peak/variants.h"

namespace lutra::kernels::peak {

int64_t peak_dot_i8_u256__avx2(const int8_t* a, const int8_t* b, uint64_t iterations) {
  constexpr int kChains = 8;
  const __m256i va[2] = {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a)),
                         _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 32))};
  const __m256i vb[2] = {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b)),
                         _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32))};
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc[kChains];
  for (__m256i& v : acc) v = _mm256_setzero_si256();
  for (uint64_t it = 0; it < iterations; ++it) {
    for (int c = 0; c < kChains; ++c) {
      const __m256i pairs = _mm256_maddubs_epi16(vb[c % 2], va[c % 2]);
      acc[c] = _mm256_add_epi32(acc[c], _mm256_madd_epi16(pairs, ones));
      asm volatile("" : "+x"(acc[c]));
    }
  }
  __m256i sum = acc[0];
  for (int c = 1; c < kChains; ++c) sum = _mm256_add_epi32(sum, acc[c]);
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), sum);
  int64_t total = 0;
  for (int32_t v : lanes) total += v;
  return total;
}

}  // namespace lutra::kernels::peak
