// AVX-512 VNNI: vpdpbusd on zmm, 12 independent chains (enough to cover its latency on two
// ports), 64 byte pairs each.
#include <immintrin.h>

#include "kernels/peak/variants.h"

namespace lutra::kernels::peak {

int64_t peak_dot_i8_u768__avx512vnni(const int8_t* a, const int8_t* b, uint64_t iterations) {
  constexpr int kChains = 12;
  const __m512i va = _mm512_loadu_si512(a), vb = _mm512_loadu_si512(b);
  __m512i acc[kChains];
  for (__m512i& v : acc) v = _mm512_setzero_si512();
  for (uint64_t it = 0; it < iterations; ++it) {
    for (__m512i& v : acc) {
      v = _mm512_dpbusd_epi32(v, vb, va);  // b unsigned (0..127), a signed
      asm volatile("" : "+v"(v));          // opaque: no folding across iterations
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
