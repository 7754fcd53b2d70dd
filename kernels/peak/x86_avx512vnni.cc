// AVX-512 VNNI: vpdpbusd on zmm, 12 independent chains (enough to cover its latency on two
// ports), 64 byte pairs each. The chains are named variables, not an array: GCC keeps an array
// of vectors in memory when the loop is unrolled late, and the loop would time loads and stores.
#include <immintrin.h>

#include "kernels/peak/variants.h"

namespace lutra::kernels::peak {

int64_t peak_dot_i8_u768__avx512vnni(const int8_t* a, const int8_t* b, uint64_t iterations) {
  const __m512i va = _mm512_loadu_si512(a), vb = _mm512_loadu_si512(b);
  __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0,
          c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
  for (uint64_t it = 0; it < iterations; ++it) {
    // b unsigned (0..127), a signed.
    c0 = _mm512_dpbusd_epi32(c0, vb, va), c1 = _mm512_dpbusd_epi32(c1, vb, va);
    c2 = _mm512_dpbusd_epi32(c2, vb, va), c3 = _mm512_dpbusd_epi32(c3, vb, va);
    c4 = _mm512_dpbusd_epi32(c4, vb, va), c5 = _mm512_dpbusd_epi32(c5, vb, va);
    c6 = _mm512_dpbusd_epi32(c6, vb, va), c7 = _mm512_dpbusd_epi32(c7, vb, va);
    c8 = _mm512_dpbusd_epi32(c8, vb, va), c9 = _mm512_dpbusd_epi32(c9, vb, va);
    c10 = _mm512_dpbusd_epi32(c10, vb, va), c11 = _mm512_dpbusd_epi32(c11, vb, va);
    // Opaque: no folding of the loop-invariant products across iterations.
    asm volatile("" : "+v"(c0), "+v"(c1), "+v"(c2), "+v"(c3), "+v"(c4), "+v"(c5));
    asm volatile("" : "+v"(c6), "+v"(c7), "+v"(c8), "+v"(c9), "+v"(c10), "+v"(c11));
  }
  const __m512i sum = _mm512_add_epi32(
      _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c2, c3)),
                       _mm512_add_epi32(_mm512_add_epi32(c4, c5), _mm512_add_epi32(c6, c7))),
      _mm512_add_epi32(_mm512_add_epi32(c8, c9), _mm512_add_epi32(c10, c11)));
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, sum);
  int64_t total = 0;
  for (int32_t v : lanes) total += v;
  return total;
}

}  // namespace lutra::kernels::peak
