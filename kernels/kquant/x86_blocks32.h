// The signed codes of one block of the 32-weight formats as 32 bytes (AVX2; included by the
// AVX2 and AVX-512 files, each compiling it with its own flags: static inline only, see
// docs/kernels.md on shared headers).
//   Q8_0  the 32 int8 codes as stored.
//   Q5_0  q − 16 ∈ [−16, 16): the low nibbles of qs are weights 0–15, the high nibbles 16–31;
//         bit j of the 32-bit qh is bit 4 of weight j. Byte j of a broadcast qh word is picked
//         (byte j / 8) and tested against bit j % 8; 16 comes off where the bit is clear.
//   Q4_0  q − 8 ∈ [−8, 8): the nibbles in Q5_0's order, 8 off each.
//   IQ4_NL  kIQ4Values[q] ∈ [−127, 113]: the nibbles in Q5_0's order, each replaced by its
//         codebook value by one vpshufb of the 16 values (IQ4Values below).
#pragma once

#include <immintrin.h>

#include <cstring>

#include "kernels/kquant/block_fields.h"
#include "kernels/kquant/kquant.h"

namespace lutra::kernels::kquant::x86 {

// The IQ4 codebook (kIQ4Values) in both 128-bit lanes, for vpshufb; with kOffset each value
// plus 128 (uint8 1..241), the unsigned operand vpdpbusd takes.
template <bool kOffset = false>
static inline __m256i IQ4Values() {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kIQ4Values));
  return _mm256_broadcastsi128_si256(kOffset ? _mm_xor_si128(v, _mm_set1_epi8(char(0x80))) : v);
}

// The 32 nibbles of 16 qs bytes in weight order (low nibbles, then high), as bytes 0..15.
static inline __m256i Nibbles32(const uint8_t* qs) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(v, 4), v), _mm256_set1_epi8(0x0f));
}

template <Format F>
static inline __m256i Codes32(const uint8_t* blk) {
  if constexpr (F == Format::kQ8_0) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + kQ8_0Qs));
  } else if constexpr (F == Format::kIQ4NL) {
    return _mm256_shuffle_epi8(IQ4Values(), Nibbles32(blk + kIQ4NLQs));
  } else if constexpr (F == Format::kQ4_0) {
    return _mm256_sub_epi8(Nibbles32(blk + kQ4_0Qs), _mm256_set1_epi8(8));
  } else {
    static_assert(F == Format::kQ5_0);
    const __m256i low = Nibbles32(blk + kQ5_0Qs);
    uint32_t qh;
    std::memcpy(&qh, blk + kQ5_0Qh, sizeof qh);
    const __m256i pick = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,  //
                                          2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bits = _mm256_set1_epi64x(int64_t(0x8040201008040201ull));
    const __m256i hb =
        _mm256_and_si256(_mm256_shuffle_epi8(_mm256_set1_epi32(int(qh)), pick), bits);
    const __m256i clear = _mm256_andnot_si256(_mm256_cmpeq_epi8(hb, bits), _mm256_set1_epi8(16));
    return _mm256_sub_epi8(low, clear);
  }
}

}  // namespace lutra::kernels::kquant::x86
