// The lattice i-quants on x86: one sub-block of 32 weights as 32 bytes (IqStep), from the grid
// rows its indices name, its sign bits and its two scales (iq_fields.h's IqSubBlock: scalar
// loads, 8 bytes per group, IQ3's two 4-byte rows of a group joined in the integer unit). The
// shared dots (x86_avx2.cc, x86_avx512_impl.h) multiply the codes'
// magnitudes (unsigned bytes, ≤ 62) with the activations given the codes' signs: AVX2 by
// vpsignb with ±1 bytes made from the bits (a broadcast, a byte shuffle and a compare with each
// byte's bit: IqSignsPm1), AVX-512 by a masked negation with the bits as the mask. IQ2_XXS,
// IQ2_XS and IQ3_XXS complete their seven stored bits with the parity bit in the integer unit
// (IqWithParity). IQ1's codes are signed already: 8·g ± 1, the grid rows (8·g) plus the shift.
// static inline: included by the AVX2 and AVX-512 files, each compiling it with its own flags
// (docs/kernels.md on shared headers).
#pragma once

#include <immintrin.h>

#include "kernels/kquant/iq_fields.h"

namespace lutra::kernels::kquant::x86 {

struct IqStep {
  __m256i rows;    // the magnitudes (IQ1: the signed codes)
  uint32_t signs;  // byte l: group l's sign bits (bit j: weight j negative; IQ1: unused)
  int lo, hi;      // the integer scales of the two halves of 16 (equal: one scale per 32)
};

// Byte l of `bytes` to the 8 lanes of group l.
static inline __m256i IqSpreadGroups(uint32_t bytes) {
  const __m256i pick = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,  //
                                        2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  return _mm256_shuffle_epi8(_mm256_set1_epi32(int(bytes)), pick);
}

// ±1 per weight from four sign bytes (byte l: group l, bit j: its weight j is negative).
static inline __m256i IqSignsPm1(uint32_t bits) {
  const __m256i bit = _mm256_set1_epi64x(int64_t(0x8040201008040201ull));
  const __m256i v = _mm256_and_si256(IqSpreadGroups(bits), bit);
  return _mm256_or_si256(_mm256_cmpeq_epi8(v, bit), _mm256_set1_epi8(1));
}

template <Format F>
static inline IqStep IqDecodeStep(const uint8_t* blk, int ib) {
  const IqGroups g = IqSubBlock<F>(blk, ib);
  const __m256i rows =
      _mm256_set_epi64x(int64_t(g.row[3]), int64_t(g.row[2]), int64_t(g.row[1]), int64_t(g.row[0]));
  if constexpr (F == Format::kIQ1S || F == Format::kIQ1M) {
    // 8·g plus the shift: −1 where the group's byte is 0xff, +1 where 0.
    const __m256i shift = _mm256_or_si256(IqSpreadGroups(g.signs), _mm256_set1_epi8(1));
    return {_mm256_add_epi8(rows, shift), 0, g.lo, g.hi};
  } else {
    return {rows, g.signs, g.lo, g.hi};
  }
}

// The codes' magnitudes and a byte per weight with the code's sign, nonzero where the code is
// (vpsignb of the activations by it gives them the code's sign: |code|·(±a) = code·a).
template <Format F>
static inline void IqMagnitudeSign(const IqStep& st, __m256i* u, __m256i* s) {
  if constexpr (F == Format::kIQ1S || F == Format::kIQ1M) {
    *u = _mm256_abs_epi8(st.rows);
    *s = st.rows;
  } else {
    *u = st.rows;
    *s = IqSignsPm1(st.signs);
  }
}

// int16 lanes 0..7 (the pairs of the first 16 weights) lo, lanes 8..15 hi.
static inline __m256i IqScalePairs(int lo, int hi) {
  const __m256i pick = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,  //
                                        2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3);
  return _mm256_shuffle_epi8(_mm256_set1_epi32(lo | hi << 16), pick);
}

}  // namespace lutra::kernels::kquant::x86
