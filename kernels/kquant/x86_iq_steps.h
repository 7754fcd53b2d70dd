// The lattice i-quants on x86 with AVX2 (iq_fields.h has the layouts). Per block, in vectors
// (IqPrepare): the 32 groups' sign bytes (IQ2_XXS, IQ2_XS, IQ3_XXS complete their seven stored
// bits with the parity bit: IqParity; IQ1: 0xff where the group's shift is −1), the sixteen
// integer scales per 16 weights, and, for the formats whose indices take bits from two fields
// (IQ2_S, IQ3_S, IQ1_S, IQ1_M), the grid indices, stored for the scalar loads. Then per
// sub-block of 32 weights (IqRows): the 8-byte grid rows by scalar loads and inserts, which on
// Zen 5 measured faster than vpgatherqq (2.9 against 5.1 ns per 8 rows), IQ3's two 4-byte rows
// of a group joined in the integer unit first; IQ1's rows are 8·g, and the shifts ±1 added
// make the signed codes 8·g ± 1. The shared dots (x86_avx2.cc; x86_iq_avx512.h for IQ1)
// multiply the codes' magnitudes (unsigned bytes, ≤ 62) with the activations given the codes'
// signs: vpsignb by ±1 bytes made from the sign bytes (IqSignsPm1), or by IQ1's codes.
// static inline: included by the AVX2 and AVX-512 files, each compiling it with its own flags
// (docs/kernels.md on shared headers).
#pragma once

#include <immintrin.h>

#include "kernels/kquant/iq_fields.h"

namespace lutra::kernels::kquant::x86 {

struct IqPrep {
  __m256i signs;   // byte g: group g's sign bits, bit j for its weight j (IQ1: 0xff or 0)
  __m256i scales;  // int16 j: the scale of weights 16j .. 16j + 15
  alignas(32) uint16_t idx[64];  // IQ2_S, IQ1_S, IQ1_M: group g's index; IQ3_S: point p's
};

// Bytes 4·ib .. 4·ib + 3 of v, byte l to the 8 lanes of group l of sub-block ib.
static inline __m256i IqGroupBytes(__m256i v, int ib) {
  const __m256i pick = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,  //
                                        2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  return _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32(v, _mm256_set1_epi32(ib)), pick);
}

// ±1 per weight of sub-block ib from the block's sign bytes.
static inline __m256i IqSignsPm1(__m256i signs, int ib) {
  const __m256i bit = _mm256_set1_epi64x(int64_t(0x8040201008040201ull));
  const __m256i v = _mm256_and_si256(IqGroupBytes(signs, ib), bit);
  return _mm256_or_si256(_mm256_cmpeq_epi8(v, bit), _mm256_set1_epi8(1));
}

// int16 lanes 0..7 (the pairs of the sub-block's first 16 weights) scale 2·ib, 8..15 2·ib + 1.
static inline __m256i IqScalePairs(__m256i scales, int ib) {
  const __m256i pick = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,  //
                                        2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3);
  return _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32(scales, _mm256_set1_epi32(ib)), pick);
}

// Bytes of seven sign bits (bit 7 clear) with bit 7 set where the count is odd: b ^ b>>2 ^
// b>>4 ^ b>>6 leaves the parities of the even and odd bits in bits 0 and 1 of each byte (what
// a 16-bit shift brings in from the next byte lands higher).
static inline __m256i IqParity(__m256i b) {
  const __m256i q =
      _mm256_xor_si256(_mm256_xor_si256(b, _mm256_srli_epi16(b, 2)),
                       _mm256_xor_si256(_mm256_srli_epi16(b, 4), _mm256_srli_epi16(b, 6)));
  const __m256i p = _mm256_xor_si256(q, _mm256_srli_epi16(q, 1));
  return _mm256_or_si256(b,
                         _mm256_and_si256(_mm256_slli_epi16(p, 7), _mm256_set1_epi8(char(0x80))));
}

// The four 7-bit fields at bits 7·l of each dword in its bytes l.
static inline __m256i IqSpread7(__m256i a) {
  const __m256i b0 = _mm256_and_si256(a, _mm256_set1_epi32(0x7f));
  const __m256i b1 = _mm256_and_si256(_mm256_slli_epi32(a, 1), _mm256_set1_epi32(0x7f00));
  const __m256i b2 = _mm256_and_si256(_mm256_slli_epi32(a, 2), _mm256_set1_epi32(0x7f0000));
  const __m256i b3 = _mm256_and_si256(_mm256_slli_epi32(a, 3), _mm256_set1_epi32(0x7f000000));
  return _mm256_or_si256(_mm256_or_si256(b0, b1), _mm256_or_si256(b2, b3));
}

// Per-32 scales 2s + 1 in dword ib as the int16 pair 2·ib, 2·ib + 1.
static inline __m256i IqScales32(__m256i s) {
  const __m256i v = _mm256_or_si256(_mm256_slli_epi32(s, 1), _mm256_set1_epi32(1));
  return _mm256_or_si256(v, _mm256_slli_epi32(v, 16));
}

// 2s + 1 of the 16 nibbles of 8 bytes (low nibble first) as 16 int16.
static inline __m256i IqNibbleScales16(const uint8_t* p) {
  const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  const __m128i n = _mm_unpacklo_epi8(_mm_and_si128(b, _mm_set1_epi8(15)),
                                      _mm_and_si128(_mm_srli_epi16(b, 4), _mm_set1_epi8(15)));
  const __m256i w = _mm256_cvtepu8_epi16(n);
  return _mm256_or_si256(_mm256_slli_epi16(w, 1), _mm256_set1_epi16(1));
}

template <Format F>
static inline void IqPrepare(const uint8_t* blk, IqPrep* p) {
  const auto load32 = [](const uint8_t* q) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
  };
  if constexpr (F == Format::kIQ2XXS || F == Format::kIQ3XXS) {
    __m256i aux;
    if constexpr (F == Format::kIQ2XXS) {
      // The odd dwords of the 64 bytes of qs: [a0 a1 a4 a5 | a2 a3 a6 a7], then in order.
      const __m256i v = _mm256_castps_si256(
          _mm256_shuffle_ps(_mm256_castsi256_ps(load32(blk + kIqQs)),
                            _mm256_castsi256_ps(load32(blk + kIqQs + 32)), 0xdd));
      aux = _mm256_permute4x64_epi64(v, 0xd8);
    } else {
      aux = load32(blk + kIq3xxsAux);
    }
    p->signs = IqParity(IqSpread7(aux));
    p->scales = IqScales32(_mm256_srli_epi32(aux, 28));
  } else if constexpr (F == Format::kIQ2XS) {
    const __m256i s = _mm256_packus_epi16(_mm256_srli_epi16(load32(blk + kIqQs), 9),
                                          _mm256_srli_epi16(load32(blk + kIqQs + 32), 9));
    p->signs = IqParity(_mm256_permute4x64_epi64(s, 0xd8));
    p->scales = IqNibbleScales16(blk + kIq2xsScales);
  } else if constexpr (F == Format::kIQ2S) {
    p->signs = load32(blk + kIq2sSigns);
    p->scales = IqNibbleScales16(blk + kIq2sScales);
    // Index bits 8..9 of group g: bits 2·(g % 4) of qh[g / 4], moved to bits 8..9 by a
    // multiply (a left shift by 8 − 2·(g % 4)) of the qh byte replicated to the group's word.
    const __m256i qh = _mm256_set1_epi64x(int64_t(IqLoad64(blk + kIq2sQh)));
    const __m256i mul = _mm256_set1_epi64x(0x0004001000400100ll);
    for (int h = 0; h < 2; ++h) {  // groups 16h .. 16h + 15
      const __m256i pick = _mm256_setr_epi8(
          char(4 * h), -1, char(4 * h), -1, char(4 * h), -1, char(4 * h), -1,  //
          char(4 * h + 1), -1, char(4 * h + 1), -1, char(4 * h + 1), -1, char(4 * h + 1), -1,
          char(4 * h + 2), -1, char(4 * h + 2), -1, char(4 * h + 2), -1, char(4 * h + 2), -1,
          char(4 * h + 3), -1, char(4 * h + 3), -1, char(4 * h + 3), -1, char(4 * h + 3), -1);
      const __m256i high = _mm256_and_si256(_mm256_mullo_epi16(_mm256_shuffle_epi8(qh, pick), mul),
                                            _mm256_set1_epi16(0x300));
      const __m256i lo = _mm256_cvtepu8_epi16(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + kIqQs + 16 * h)));
      _mm256_store_si256(reinterpret_cast<__m256i*>(p->idx + 16 * h), _mm256_or_si256(lo, high));
    }
  } else if constexpr (F == Format::kIQ3S) {
    p->signs = load32(blk + kIq3sSigns);
    // Nibble ib of the four scale bytes to int16 2·ib and 2·ib + 1.
    const __m128i b = _mm_cvtsi32_si128(int(IqLoad32(blk + kIq3sScales)));
    const __m128i n = _mm_unpacklo_epi8(_mm_and_si128(b, _mm_set1_epi8(15)),
                                        _mm_and_si128(_mm_srli_epi16(b, 4), _mm_set1_epi8(15)));
    p->scales = IqScales32(_mm256_cvtepu8_epi32(n));
    // Bit 8 of point index 8·ib + k is bit k of qh[ib]: the qh byte replicated to the 8 words
    // of its sub-block, tested against each word's bit.
    const __m256i qh = _mm256_set1_epi64x(int64_t(IqLoad64(blk + kIq3sQh)));
    const __m256i bit = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
    for (int q = 0; q < 4; ++q) {  // points 16q .. 16q + 15: sub-blocks 2q, 2q + 1
      const __m256i pick = _mm256_setr_epi8(
          char(2 * q), -1, char(2 * q), -1, char(2 * q), -1, char(2 * q), -1, char(2 * q), -1,
          char(2 * q), -1, char(2 * q), -1, char(2 * q), -1, char(2 * q + 1), -1, char(2 * q + 1),
          -1, char(2 * q + 1), -1, char(2 * q + 1), -1, char(2 * q + 1), -1, char(2 * q + 1), -1,
          char(2 * q + 1), -1, char(2 * q + 1), -1);
      const __m256i set =
          _mm256_cmpeq_epi16(_mm256_and_si256(_mm256_shuffle_epi8(qh, pick), bit), bit);
      const __m256i lo = _mm256_cvtepu8_epi16(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + kIqQs + 16 * q)));
      _mm256_store_si256(reinterpret_cast<__m256i*>(p->idx + 16 * q),
                         _mm256_or_si256(lo, _mm256_and_si256(set, _mm256_set1_epi16(256))));
    }
  } else if constexpr (F == Format::kIQ1S) {
    const __m128i qh = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + kIq1sQh));
    // The shift's sign (bit 15 of word ib) to all four bytes of dword ib.
    p->signs = _mm256_cvtepi16_epi32(_mm_srai_epi16(qh, 15));
    p->scales = IqScales32(
        _mm256_and_si256(_mm256_srli_epi32(_mm256_cvtepu16_epi32(qh), 12), _mm256_set1_epi32(7)));
    // Index bits 8..10 of group 4·ib + l: bits 3·l of qh word ib, to bits 8..10 by a multiply
    // (left shifts 8, 5, 2) or, for l = 3, a high multiply (a right shift by 1).
    const __m256i mul_lo = _mm256_set1_epi64x(0x0000000400200100ll);
    const __m256i mul_hi = _mm256_set1_epi64x(int64_t(0x8000000000000000ull));
    const __m256i qhw = _mm256_set_m128i(qh, qh);
    for (int h = 0; h < 2; ++h) {  // groups 16h .. 16h + 15: words 4h .. 4h + 3 of qh
      const __m256i pick = _mm256_setr_epi8(
          char(8 * h), char(8 * h + 1), char(8 * h), char(8 * h + 1), char(8 * h), char(8 * h + 1),
          char(8 * h), char(8 * h + 1), char(8 * h + 2), char(8 * h + 3), char(8 * h + 2),
          char(8 * h + 3), char(8 * h + 2), char(8 * h + 3), char(8 * h + 2), char(8 * h + 3),
          char(8 * h + 4), char(8 * h + 5), char(8 * h + 4), char(8 * h + 5), char(8 * h + 4),
          char(8 * h + 5), char(8 * h + 4), char(8 * h + 5), char(8 * h + 6), char(8 * h + 7),
          char(8 * h + 6), char(8 * h + 7), char(8 * h + 6), char(8 * h + 7), char(8 * h + 6),
          char(8 * h + 7));
      const __m256i w = _mm256_shuffle_epi8(qhw, pick);
      const __m256i high = _mm256_and_si256(
          _mm256_or_si256(_mm256_mullo_epi16(w, mul_lo), _mm256_mulhi_epu16(w, mul_hi)),
          _mm256_set1_epi16(0x700));
      const __m256i lo = _mm256_cvtepu8_epi16(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + kIqQs + 16 * h)));
      _mm256_store_si256(reinterpret_cast<__m256i*>(p->idx + 16 * h), _mm256_or_si256(lo, high));
    }
  } else {
    static_assert(F == Format::kIQ1M);
    // Nibble g of qh (byte g / 2, low nibble first): index bits 8..10 of group g in bits
    // 0..2, the sign of its shift in bit 3.
    const __m128i qh = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + kIq1mQh));
    const __m128i lo4 = _mm_and_si128(qh, _mm_set1_epi8(15));
    const __m128i hi4 = _mm_and_si128(_mm_srli_epi16(qh, 4), _mm_set1_epi8(15));
    const __m256i nib = _mm256_set_m128i(_mm_unpackhi_epi8(lo4, hi4), _mm_unpacklo_epi8(lo4, hi4));
    p->signs = _mm256_cmpeq_epi8(_mm256_and_si256(nib, _mm256_set1_epi8(8)), _mm256_set1_epi8(8));
    const __m256i high3 = _mm256_and_si256(nib, _mm256_set1_epi8(7));
    for (int h = 0; h < 2; ++h) {
      const __m256i hw = _mm256_cvtepu8_epi16(h ? _mm256_extracti128_si256(high3, 1)
                                                : _mm256_castsi256_si128(high3));
      const __m256i lo =
          _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 16 * h)));
      _mm256_store_si256(reinterpret_cast<__m256i*>(p->idx + 16 * h),
                         _mm256_or_si256(lo, _mm256_slli_epi16(hw, 8)));
    }
    // Scale j (per 16 weights): bits 3·(j % 4) of scale word j / 4.
    const __m256i w =
        _mm256_cvtepu16_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(blk + kIq1mScales)));
    const __m256i shifts = _mm256_setr_epi32(0, 3, 6, 9, 0, 3, 6, 9);
    const __m256i s0 = _mm256_srlv_epi32(
        _mm256_permutevar8x32_epi32(w, _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1)), shifts);
    const __m256i s1 = _mm256_srlv_epi32(
        _mm256_permutevar8x32_epi32(w, _mm256_setr_epi32(2, 2, 2, 2, 3, 3, 3, 3)), shifts);
    const __m256i s =
        _mm256_permute4x64_epi64(_mm256_packus_epi32(_mm256_and_si256(s0, _mm256_set1_epi32(7)),
                                                     _mm256_and_si256(s1, _mm256_set1_epi32(7))),
                                 0xd8);
    p->scales = _mm256_or_si256(_mm256_slli_epi16(s, 1), _mm256_set1_epi16(1));
  }
}

static inline __m256i IqRows4(uint64_t r0, uint64_t r1, uint64_t r2, uint64_t r3) {
  return _mm256_set_epi64x(int64_t(r3), int64_t(r2), int64_t(r1), int64_t(r0));
}

// Sub-block ib's grid rows: magnitudes; IQ1: the signed codes 8·g ± 1.
template <Format F>
static inline __m256i IqRows(const uint8_t* blk, const IqPrep& p, int ib) {
  if constexpr (F == Format::kIQ2XXS) {
    const uint32_t v = IqLoad32(blk + kIqQs + 8 * ib);
    const auto& g = kIq2xxsGrid;
    return IqRows4(g[v & 255], g[(v >> 8) & 255], g[(v >> 16) & 255], g[v >> 24]);
  } else if constexpr (F == Format::kIQ2XS) {
    const uint64_t v = IqLoad64(blk + kIqQs + 8 * ib);
    const auto& g = kIq2xsGrid;
    return IqRows4(g[v & 511], g[(v >> 16) & 511], g[(v >> 32) & 511], g[(v >> 48) & 511]);
  } else if constexpr (F == Format::kIQ2S) {
    const auto& g = kIq2sGrid;
    const uint16_t* i = p.idx + 4 * ib;
    return IqRows4(g[i[0]], g[i[1]], g[i[2]], g[i[3]]);
  } else if constexpr (F == Format::kIQ3XXS) {
    const uint64_t v = IqLoad64(blk + kIqQs + 8 * ib);
    const auto& g = kIq3xxsGrid;
    return _mm256_setr_epi32(int(g[v & 255]), int(g[(v >> 8) & 255]), int(g[(v >> 16) & 255]),
                             int(g[(v >> 24) & 255]), int(g[(v >> 32) & 255]),
                             int(g[(v >> 40) & 255]), int(g[(v >> 48) & 255]), int(g[v >> 56]));
  } else if constexpr (F == Format::kIQ3S) {
    const uint16_t* i = p.idx + 8 * ib;
    const auto& g = kIq3sGrid;
    return _mm256_setr_epi32(int(g[i[0]]), int(g[i[1]]), int(g[i[2]]), int(g[i[3]]), int(g[i[4]]),
                             int(g[i[5]]), int(g[i[6]]), int(g[i[7]]));
  } else {
    static_assert(F == Format::kIQ1S || F == Format::kIQ1M);
    const auto& g = kIq1sGrid8;
    const uint16_t* i = p.idx + 4 * ib;
    const __m256i rows = IqRows4(g[i[0]], g[i[1]], g[i[2]], g[i[3]]);
    // The shift: −1 where the group's byte is 0xff, +1 where 0.
    return _mm256_add_epi8(rows, _mm256_or_si256(IqGroupBytes(p.signs, ib), _mm256_set1_epi8(1)));
  }
}

}  // namespace lutra::kernels::kquant::x86
