// AVX-512 BW without VNNI: vpmaddubsw (pairs to int16) + vpmaddwd by ones (to int32) +
// vpaddd, the three-instruction int8 dot of pre-VNNI cores, 8 chains of 64 byte pairs.
#include <immintrin.h>

#include "kernels/peak/variants.h"

namespace lutra::kernels::peak {

int64_t peak_dot_i8_u512__avx512(const int8_t* a, const int8_t* b, uint64_t iterations) {
  constexpr int kChains = 8;
  const __m512i va = _mm512_loadu_si512(a), vb = _mm512_loadu_si512(b);
  const __m512i ones = _mm512_set1_epi16(1);
  __m512i acc[kChains];
  for (__m512i& v : acc) v = _mm512_setzero_si512();
  for (uint64_t it = 0; it < iterations; ++it) {
    for (__m512i& v : acc) {
      const __m512i pairs = _mm512_maddubs_epi16(vb, va);  // ≤ 2·127² < 2^15
      v = _mm512_add_epi32(v, _mm512_madd_epi16(pairs, ones));
      asm volatile("" : "+v"(v));
    }
  }
  __m512i sum = acc[0];
  for (int c = 1; c < kChains; ++c) sum = _mm512_add_epi32(sum, acc[c]);
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, sum);
  int64_t total = 0;
  for (int32_t v : lanes) total += v;
  return total;
}

}  // namespace lutra::kernels::peak
