// AVX-512 BW without VNNI: vpmaddubsw (pairs to int16) + vpmaddwd by ones (to int32) +
// vpaddd, the three-instruction int8 dot of pre-VNNI cores, 4 chains of 64 byte pairs (named
// variables: see x86_avx512vnni.cc). Each chain has its own copy of b, made opaque every
// iteration: the products do not depend on the accumulator, so the compiler would otherwise
// compute them once (common subexpressions, hoisted out of the loop).
#include <immintrin.h>

#include "kernels/peak/variants.h"

namespace lutra::kernels::peak {
namespace {

inline __m512i Step(__m512i acc, __m512i b, __m512i a, __m512i ones) {
  const __m512i pairs = _mm512_maddubs_epi16(b, a);  // ≤ 2·127² < 2^15
  return _mm512_add_epi32(acc, _mm512_madd_epi16(pairs, ones));
}

}  // namespace

int64_t peak_dot_i8_u256__avx512(const int8_t* a, const int8_t* b, uint64_t iterations) {
  const __m512i va = _mm512_loadu_si512(a), vb = _mm512_loadu_si512(b);
  const __m512i ones = _mm512_set1_epi16(1);
  __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0;
  __m512i b0 = vb, b1 = vb, b2 = vb, b3 = vb;
  for (uint64_t it = 0; it < iterations; ++it) {
    asm volatile("" : "+v"(b0), "+v"(b1), "+v"(b2), "+v"(b3));
    c0 = Step(c0, b0, va, ones), c1 = Step(c1, b1, va, ones);
    c2 = Step(c2, b2, va, ones), c3 = Step(c3, b3, va, ones);
    asm volatile("" : "+v"(c0), "+v"(c1), "+v"(c2), "+v"(c3));
  }
  const __m512i sum = _mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c2, c3));
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, sum);
  int64_t total = 0;
  for (int32_t v : lanes) total += v;
  return total;
}

}  // namespace lutra::kernels::peak
