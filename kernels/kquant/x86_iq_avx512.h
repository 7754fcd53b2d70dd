// The lattice i-quants on AVX-512 (F/BW): a whole block decoded in registers, 64 weights per
// step (IqBlock512: magnitudes, sign mask, int16 scales per pair lane), with no scalar work per
// weight group. Grid points are looked up 32 at a time in lutra's compact tables (iq_grids.h:
// one 16-bit word of letter indices per point) by word permutes: vpermt2w reads a page of 64
// words with the low six index bits, and the pages are chosen by the higher bits in a tree of
// masked blends (IqLookup). A point's letters then become bytes in registers (IqExpand2 for the
// 8-letter IQ2 / IQ1 points, IqExpand3 for the 4-letter IQ3 ones): the word is spread over
// the lanes of its weights, shifted so each byte's letter is at its bottom, and the letters
// mapped to their values by vpshufb. The seven stored sign bits of IQ2_XXS, IQ2_XS and IQ3_XXS
// get their parity bit for all 32 groups at once (IqParity); IQ2_S and IQ3_S store all eight,
// which are the negation masks as they lie.
// Measured on Zen 5 (one core, 32 lookups of 8-byte rows): vpgatherqq 5.1 ns, scalar loads and
// inserts 2.9 ns per 8 rows (x86_iq_steps.h's way), the permutes of a 256-point table 1.3 ns
// per 32 lookups.
// static inline: included by the AVX-512 files only (docs/kernels.md on shared headers).
#pragma once

#include <immintrin.h>

#include <array>

#include "kernels/kquant/iq_fields.h"
#include "kernels/kquant/x86_iq_steps.h"

namespace lutra::kernels::kquant::avx512 {

struct IqBlock512 {
  __m512i u[4];      // magnitudes of weights 64c .. 64c + 63 (≤ 62)
  __mmask64 neg[4];  // the weights whose code is negative
  __m512i sv[4];     // int16 scale of each pair lane
};

// 32 word lookups of `idx` (< 64·kPages) in `table` (64·kPages words).
template <int kPages>
static inline __m512i IqLookup(const uint16_t* table, __m512i idx) {
#if defined(__AVX512VBMI__)
  if constexpr (kPages == 4) {
    // A 256-word table as four 128-byte pages of byte lookups (vpermi2b: one port-5 µop, where
    // llvm-mca's Ice Lake model gives vpermt2w two): word lane g's bytes read bytes 2·idx and 2·idx
    // + 1 of its page, seven index bits each (w | w << 8 | 0x100 with w = 2·idx: the bits above do
    // not matter), and the pages are chosen by idx's bits 6 and 7 through vpmovw2m (port 0).
    const __m512i w = _mm512_add_epi16(idx, idx);
    const __m512i x = _mm512_ternarylogic_epi32(w, _mm512_slli_epi16(w, 8),
                                                _mm512_set1_epi16(0x0100), 0xfe);  // a | b | c
    __m512i page[4];
    for (int p = 0; p < 4; ++p) {
      page[p] = _mm512_permutex2var_epi8(_mm512_load_si512(table + 64 * p), x,
                                         _mm512_load_si512(table + 64 * p + 32));
    }
    const __mmask32 bit6 = _mm512_movepi16_mask(_mm512_slli_epi16(idx, 9));
    const __mmask32 bit7 = _mm512_movepi16_mask(_mm512_slli_epi16(idx, 8));
    return _mm512_mask_blend_epi16(bit7, _mm512_mask_blend_epi16(bit6, page[0], page[1]),
                                   _mm512_mask_blend_epi16(bit6, page[2], page[3]));
  }
#endif
  __m512i page[kPages];
  for (int p = 0; p < kPages; ++p) {
    page[p] = _mm512_permutex2var_epi16(_mm512_load_si512(table + 64 * p), idx,
                                        _mm512_load_si512(table + 64 * p + 32));
  }
  int bit = 64;
  for (int n = kPages; n > 1; n /= 2, bit *= 2) {
    const __mmask32 high = _mm512_test_epi16_mask(idx, _mm512_set1_epi16(short(bit)));
    for (int i = 0; i < n / 2; ++i)
      page[i] = _mm512_mask_blend_epi16(high, page[2 * i], page[2 * i + 1]);
  }
  return page[0];
}

// vpermw indices: int16 lane j takes entry first + j / width.
static inline __m512i IqSpread(int first, int width) {
  alignas(64) std::array<int16_t, 32> idx{};
  for (int j = 0; j < 32; ++j) idx[size_t(j)] = int16_t(first + j / width);
  return _mm512_load_si512(idx.data());
}

// C ? B : A, bitwise (vpternlogd 0xd8 of A, B, C).
static inline __m512i IqSelect(__m512i c, __m512i b, __m512i a) {
  return _mm512_ternarylogic_epi32(a, b, c, 0xd8);
}

#if defined(__AVX512VBMI__)
// vpermb indices: byte j takes byte (2·(first + j / stride) + j % stride) for j % stride < 2
// (the low and the high byte of word first + j / stride), byte 2·(first + j / stride) above.
static inline __m512i IqSpreadBytes(int first, int stride) {
  alignas(64) std::array<uint8_t, 64> idx{};
  for (int j = 0; j < 64; ++j) {
    idx[size_t(j)] = uint8_t(2 * (first + j / stride) + (j % stride < 2 ? j % stride : 0));
  }
  return _mm512_load_si512(idx.data());
}
#endif

// The 64 bytes of the eight 8-letter points in words first .. first + 7 of `codes` (2-bit
// letters, letter j of a point in bits 2j..2j+1), each letter as its value in `values`.
static inline __m512i IqExpand2(__m512i codes, int first, __m512i values) {
#if defined(__AVX512VBMI__)
  // Point first + i to the low word of qword i (vpermb); byte j of each qword then takes the
  // eight bits from 2j on (vpmultishiftqb), letter j at its bottom, and vpermb maps it to its
  // value: it reads six index bits, and `values` repeats the letters every four bytes, so the
  // bits above the letter do not matter.
  const __m512i q = _mm512_permutexvar_epi8(IqSpreadBytes(first, 8), codes);
  const __m512i at = _mm512_set1_epi64(0x0e0c0a0806040200ll);
  return _mm512_permutexvar_epi8(_mm512_multishift_epi64_epi8(at, q), values);
#else
  // Each point to the four words of its qword; word w keeps letters 2w, 2w + 1 at its bottom;
  // the low byte takes letter 2w, the high byte (from x << 6) letter 2w + 1.
  const __m512i x = _mm512_srlv_epi16(_mm512_permutexvar_epi16(IqSpread(first, 4), codes),
                                      _mm512_set1_epi64(0x000c000800040000ll));
  const __m512i y =
      _mm512_ternarylogic_epi32(x, _mm512_slli_epi16(x, 6), _mm512_set1_epi16(short(0xff00)), 0xd8);
  return _mm512_shuffle_epi8(values, _mm512_and_si512(y, _mm512_set1_epi16(0x0303)));
#endif
}

// The 64 bytes of the sixteen 4-letter points in words first .. first + 15 (3-bit letters).
static inline __m512i IqExpand3(__m512i codes, int first, __m512i values) {
#if defined(__AVX512VBMI__)
  // As IqExpand2, a point per dword: its bytes take the bits from 3j on (j < 4).
  const __m512i q = _mm512_permutexvar_epi8(IqSpreadBytes(first, 4), codes);
  const __m512i at = _mm512_set1_epi64(0x2926232009060300ll);
  return _mm512_permutexvar_epi8(_mm512_multishift_epi64_epi8(at, q), values);
#else
  // Each point to both words of its dword; word w keeps letters 2w, 2w + 1 at its bottom.
  const __m512i x = _mm512_srlv_epi16(_mm512_permutexvar_epi16(IqSpread(first, 2), codes),
                                      _mm512_set1_epi32(0x00060000));
  const __m512i y =
      _mm512_ternarylogic_epi32(x, _mm512_slli_epi16(x, 5), _mm512_set1_epi16(short(0xff00)), 0xd8);
  return _mm512_shuffle_epi8(values, _mm512_and_si512(y, _mm512_set1_epi16(0x0707)));
#endif
}

// The letters' values in every 128-bit lane, repeated every four bytes (n ≤ 4) or eight, so
// that an index's bits above the letter's do not change the value (IqExpand2, IqExpand3).
static inline __m512i IqValues(const uint8_t* letters, int n) {
  const int period = n <= 4 ? 4 : 8;
  alignas(16) uint8_t v[16] = {};
  for (int i = 0; i < 16; ++i) v[i] = i % period < n ? letters[i % period] : 0;
  return _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(v)));
}

// Bytes of seven sign bits (bit 7 clear) with their parity in bit 7: b ^ b>>2 ^ b>>4 ^ b>>6
// leaves the parities of the even and the odd bits in bits 0 and 1 of each byte (what a
// 16-bit shift brings in from the next byte lands higher).
static inline __m256i IqParity(__m256i b) {
  const __m256i q = _mm256_ternarylogic_epi32(b, _mm256_srli_epi16(b, 2), _mm256_srli_epi16(b, 4),
                                              0x96);  // a ^ b ^ c
  const __m256i r = _mm256_xor_si256(q, _mm256_srli_epi16(b, 6));
  const __m256i p = _mm256_xor_si256(r, _mm256_srli_epi16(r, 1));  // the parity in bit 0
  // b with bit 7 of each byte from p's bit 0.
  return _mm256_ternarylogic_epi32(b, _mm256_slli_epi16(p, 7), _mm256_set1_epi8(char(0x80)), 0xd8);
}

#if defined(__AVX512VBMI__)
// The sign masks of the 32 groups of 8 whose seven stored sign bits are the four fields at bit
// offsets `at` (bytes 0–3, a vpmultishiftqb control) of each qword of x, four groups per
// qword in order: the fields to bytes (vpmultishiftqb), those of the eight qwords together
// (vpermb), each given its parity bit by kIqSigns (vpermi2b reads the low seven index bits, so
// the bit above a field does not matter). Three instructions for what IqSpread7x4 and IqParity
// take fifteen.
static inline void IqSignMasks(__m512i x, __m512i at, __mmask64 neg[4]) {
  alignas(64) std::array<uint8_t, 64> pick{};
  for (int i = 0; i < 32; ++i) pick[size_t(i)] = uint8_t(8 * (i / 4) + i % 4);
  const __m512i fields =
      _mm512_permutexvar_epi8(_mm512_load_si512(pick.data()), _mm512_multishift_epi64_epi8(at, x));
  const __m512i signs = _mm512_permutex2var_epi8(_mm512_loadu_si512(kIqSigns.data()), fields,
                                                 _mm512_loadu_si512(kIqSigns.data() + 64));
  // Through memory: a mask register loads from memory on a load port, where the extracts and
  // kmovq from general registers the compiler would otherwise make all take port 5.
  alignas(64) uint64_t m[8];
  _mm512_store_si512(m, signs);
  asm("" : "+m"(m));
  for (int c = 0; c < 4; ++c) neg[c] = _load_mask64(reinterpret_cast<__mmask64*>(&m[c]));
}
#endif

// Four 7-bit fields at bits 7l of the low dword of each qword to bytes l of it.
static inline __m512i IqSpread7x4(__m512i a) {
  const __m512i lo = IqSelect(_mm512_set1_epi64(0xff00), _mm512_slli_epi64(a, 1), a);
  const __m512i hi =
      IqSelect(_mm512_set1_epi64(0xff000000), _mm512_slli_epi64(a, 3), _mm512_slli_epi64(a, 2));
  return _mm512_and_si512(IqSelect(_mm512_set1_epi64(0xffff0000), hi, lo),
                          _mm512_set1_epi64(0x7f7f7f7f));
}

// Step c's pair lanes j take word mul·(first_c + j / per) of the scales, first_c = first·c.
// VBMI: as byte permutes (vpermb, one port-5 µop; vpermw two in llvm-mca's Ice Lake model).
struct IqScaleSpread {
  int mul, first, per;
};
#if defined(__AVX512VBMI__)
static constexpr std::array<std::array<uint8_t, 64>, 4> IqScaleBytes(IqScaleSpread f) {
  std::array<std::array<uint8_t, 64>, 4> idx{};
  for (int c = 0; c < 4; ++c) {
    for (int j = 0; j < 64; ++j) {
      idx[size_t(c)][size_t(j)] = uint8_t(2 * f.mul * (f.first * c + j / 2 / f.per) + j % 2);
    }
  }
  return idx;
}
template <IqScaleSpread kF>
static inline void IqScales(__m512i s, __m512i sv[4]) {
  alignas(64) static constexpr std::array<std::array<uint8_t, 64>, 4> kIdx = IqScaleBytes(kF);
  for (int c = 0; c < 4; ++c)
    sv[c] = _mm512_permutexvar_epi8(_mm512_load_si512(kIdx[size_t(c)].data()), s);
}
#else
static constexpr std::array<std::array<int16_t, 32>, 4> IqScaleWords(IqScaleSpread f) {
  std::array<std::array<int16_t, 32>, 4> idx{};
  for (int c = 0; c < 4; ++c) {
    for (int j = 0; j < 32; ++j)
      idx[size_t(c)][size_t(j)] = int16_t(f.mul * (f.first * c + j / f.per));
  }
  return idx;
}
template <IqScaleSpread kF>
static inline void IqScales(__m512i s, __m512i sv[4]) {
  alignas(64) static constexpr std::array<std::array<int16_t, 32>, 4> kIdx = IqScaleWords(kF);
  for (int c = 0; c < 4; ++c)
    sv[c] = _mm512_permutexvar_epi16(_mm512_load_si512(kIdx[size_t(c)].data()), s);
}
#endif
// Per step c the int16 scales of its 64 weights: lanes 0..15 the first sub-block's, 16..31 the
// second's, from `s` holding sub-block j's scale in word 4j (one per 32) ...
static inline void IqScalesPer32(__m512i s, __m512i sv[4]) {
  IqScales<IqScaleSpread{4, 2, 16}>(s, sv);
}
// ... or the scale of weights 16j .. 16j + 15 in word j (one per 16).
static inline void IqScalesPer16(__m512i s, __m512i sv[4]) {
  IqScales<IqScaleSpread{1, 4, 8}>(s, sv);
}

// 2s + 1 of the nibbles of n bytes (n ≤ 8: IQ2_XS, IQ2_S per 16 weights; IQ3_S per 32), low
// nibble first, in words 0 .. 2n − 1.
static inline __m512i IqNibbleScales(const uint8_t* p, int n) {
  uint64_t v = 0;
  std::memcpy(&v, p, size_t(n));
  // Nibble i to byte i: the low nibbles to the even bytes, the high ones to the odd.
  const __m128i b = _mm_cvtsi64_si128(int64_t(v));
  const __m128i nib = _mm_unpacklo_epi8(_mm_and_si128(b, _mm_set1_epi8(15)),
                                        _mm_and_si128(_mm_srli_epi16(b, 4), _mm_set1_epi8(15)));
  const __m512i w = _mm512_cvtepu8_epi16(_mm256_zextsi128_si256(nib));
  return _mm512_or_si512(_mm512_slli_epi16(w, 1), _mm512_set1_epi16(1));
}

template <Format F>
static inline void IqDecodeBlock512(const uint8_t* blk, IqBlock512* out) {
  if constexpr (F == Format::kIQ2XXS) {
    const __m512i v = _mm512_loadu_si512(blk + kIqQs);
    // Indices: bytes 0..3 and 8..11 of each 128-bit lane (sub-blocks 2c, 2c + 1) as words.
    const __m512i pick = _mm512_broadcast_i32x4(
        _mm_setr_epi8(0, -1, 1, -1, 2, -1, 3, -1, 8, -1, 9, -1, 10, -1, 11, -1));
    const __m512i codes = IqLookup<4>(kIq2xxsCodes.data(), _mm512_shuffle_epi8(v, pick));
    const __m512i values = IqValues(kIq2Letters, 3);
    for (int c = 0; c < 4; ++c) out->u[c] = IqExpand2(codes, 8 * c, values);
    const __m512i aux = _mm512_srli_epi64(v, 32);
#if defined(__AVX512VBMI__)
    IqSignMasks(v, _mm512_set1_epi64(0x352e2720ll), out->neg);  // fields at 32 + 7l
#else
    alignas(32) uint64_t signs[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(signs),
                       IqParity(_mm512_cvtepi64_epi32(IqSpread7x4(aux))));
    for (int c = 0; c < 4; ++c) out->neg[c] = _cvtu64_mask64(signs[c]);
#endif
    IqScalesPer32(
        _mm512_or_si512(_mm512_slli_epi64(_mm512_srli_epi64(aux, 28), 1), _mm512_set1_epi64(1)),
        out->sv);
  } else if constexpr (F == Format::kIQ2XS) {
    const __m512i v = _mm512_loadu_si512(blk + kIqQs);
    const __m512i codes =
        IqLookup<8>(kIq2xsCodes.data(), _mm512_and_si512(v, _mm512_set1_epi16(511)));
    const __m512i values = IqValues(kIq2Letters, 3);
    for (int c = 0; c < 4; ++c) out->u[c] = IqExpand2(codes, 8 * c, values);
#if defined(__AVX512VBMI__)
    IqSignMasks(v, _mm512_set1_epi64(0x39291909ll), out->neg);  // bits 9–15 of each word
#else
    alignas(32) uint64_t signs[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(signs),
                       IqParity(_mm512_cvtepi16_epi8(_mm512_srli_epi16(v, 9))));
    for (int c = 0; c < 4; ++c) out->neg[c] = _cvtu64_mask64(signs[c]);
#endif
    IqScalesPer16(IqNibbleScales(blk + kIq2xsScales, 8), out->sv);
  } else if constexpr (F == Format::kIQ2S) {
    // Index bits 8..9 of group g: bits 2(g % 4) of qh[g / 4], to word g by a byte shuffle of
    // the broadcast qh (lane L's words from bytes 2L, 2L + 1) and a shift per word.
    const __m512i qh = _mm512_set1_epi64(int64_t(IqLoad64(blk + kIq2sQh)));
    alignas(64) std::array<int8_t, 64> p{};
    for (int j = 0; j < 64; ++j) p[size_t(j)] = int8_t(j % 2 ? -1 : 2 * (j / 16) + (j % 16) / 8);
    const __m512i hw = _mm512_shuffle_epi8(qh, _mm512_load_si512(p.data()));
    const __m512i high = _mm512_and_si512(
        _mm512_srlv_epi16(hw, _mm512_set1_epi64(0x0006000400020000ll)), _mm512_set1_epi16(3));
    const __m512i idx = _mm512_or_si512(
        _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + kIqQs))),
        _mm512_slli_epi16(high, 8));
    const __m512i codes = IqLookup<16>(kIq2sCodes.data(), idx);
    const __m512i values = IqValues(kIq2Letters, 3);
    for (int c = 0; c < 4; ++c) {
      out->u[c] = IqExpand2(codes, 8 * c, values);
      out->neg[c] = _cvtu64_mask64(IqLoad64(blk + kIq2sSigns + 8 * c));
    }
    IqScalesPer16(IqNibbleScales(blk + kIq2sScales, 8), out->sv);
  } else if constexpr (F == Format::kIQ3XXS || F == Format::kIQ3S) {
    constexpr bool kS = F == Format::kIQ3S;
    const __m512i values = IqValues(kS ? kIq3sLetters : kIq3xxsLetters, 8);
    uint64_t qh = kS ? IqLoad64(blk + kIq3sQh) : 0;
    for (int h = 0; h < 2; ++h) {  // points 32h .. 32h + 31: weights 128h .. 128h + 127
      __m512i idx = _mm512_cvtepu8_epi16(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + kIqQs + 32 * h)));
      __m512i codes;
      if constexpr (kS) {
        // Bit 8 of index 8·ib + k is bit k of qh[ib]: bit 32h + i of the qh word.
        idx = _mm512_mask_add_epi16(idx, _cvtu32_mask32(uint32_t(qh >> (32 * h))), idx,
                                    _mm512_set1_epi16(256));
        codes = IqLookup<8>(kIq3sCodes.data(), idx);
      } else {
        codes = IqLookup<4>(kIq3xxsCodes.data(), idx);
      }
      out->u[2 * h] = IqExpand3(codes, 0, values);
      out->u[2 * h + 1] = IqExpand3(codes, 16, values);
    }
    if constexpr (kS) {
      for (int c = 0; c < 4; ++c) out->neg[c] = _cvtu64_mask64(IqLoad64(blk + kIq3sSigns + 8 * c));
      // Scale of sub-block ib in nibble ib: words 0..7; the per-32 spread wants word 4j.
      IqScalesPer32(_mm512_permutexvar_epi16(IqSpread(0, 4), IqNibbleScales(blk + kIq3sScales, 4)),
                    out->sv);
    } else {
      const __m512i aux = _mm512_cvtepu32_epi64(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + kIq3xxsAux)));
#if defined(__AVX512VBMI__)
      IqSignMasks(aux, _mm512_set1_epi64(0x150e0700ll), out->neg);  // fields at 7l
#else
      alignas(32) uint64_t signs[4];
      _mm256_store_si256(reinterpret_cast<__m256i*>(signs),
                         IqParity(_mm512_cvtepi64_epi32(IqSpread7x4(aux))));
      for (int c = 0; c < 4; ++c) out->neg[c] = _cvtu64_mask64(signs[c]);
#endif
      IqScalesPer32(
          _mm512_or_si512(_mm512_slli_epi64(_mm512_srli_epi64(aux, 28), 1), _mm512_set1_epi64(1)),
          out->sv);
    }
  } else {
    // IQ1_S, IQ1_M: the scalar-index steps (x86_iq_steps.h), two sub-blocks per step. Their
    // 2048-point grid takes 32 pages of permutes, which measured slower than the loads (IQ1_S
    // 4096x4096 decode about 1.4x the time).
    x86::IqPrep prep;
    x86::IqPrepare<F>(blk, &prep);
    for (int c = 0; c < 4; ++c) {
      const __m512i rows =
          _mm512_inserti64x4(_mm512_castsi256_si512(x86::IqRows<F>(blk, prep, 2 * c)),
                             x86::IqRows<F>(blk, prep, 2 * c + 1), 1);
      out->u[c] = _mm512_abs_epi8(rows);
      out->neg[c] = _mm512_movepi8_mask(rows);
    }
    IqScalesPer16(_mm512_castsi256_si512(prep.scales), out->sv);
  }
}

}  // namespace lutra::kernels::kquant::avx512
