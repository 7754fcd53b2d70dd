// The AVX-512 kquant GEMMs, compiled three times: AVX-512 F/BW (x86_avx512.cc: vpmaddwd + add),
// with VNNI (x86_avx512vnni.cc: vpdpwssd, the same sum in one instruction) and with VBMI + VNNI
// for IQ2_XXS and IQ2_XS (x86_avx512icl.cc: the lattice decode's VBMI forms). The AVX2 scheme
// (x86_avx2.cc) on 64 codes per step, every step in the activations' own order: a Q4_K step
// is one 32-byte qs load broadcast to both halves and shifted by 0 | 4 (sub-blocks 2c | 2c+1),
// a Q6_K step takes ql's nibbles and qh's two bits shifted by a per-half count (Q5_K: Q4_K's
// step with qh's bits; Q3_K, Q2_K: Q6_K's order, two bits from qs by a per-half count; IQ4_XS:
// two sub-blocks' 32 qs bytes, their nibbles looked up in the codebook). One vpermw spreads a
// step's sub-block scales over its int16 pair sums. A tile of T tokens reuses each unpacked
// super-block (codes and scales stay in registers). Q8_0, Q5_0 and IQ4_NL (one fp16 d per 32)
// take two blocks per step with one fp32 product per block (Block32Step).
// static inline: included by its two ISA files only (docs/kernels.md on shared headers).
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "kernels/kquant/block_fields.h"
#include "kernels/kquant/kquant.h"
#include "kernels/kquant/x86_blocks32.h"
#include "kernels/kquant/x86_iq_avx512.h"
#include "kernels/kquant/x86_prefetch.h"

namespace lutra::kernels::kquant::avx512 {
// Internal to each file that includes it: the files are compiled for different ISA levels, and
// one template instance shared between them would run one level's code in the other's variant.
namespace {

inline __m512i Load64(const void* p) {
  return _mm512_loadu_si512(p);
}
inline __m256i Load32(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}
inline float Half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof h);
  return _cvtsh_ss(h);
}

inline __m128i Load16(const void* p) {
  return _mm_loadu_si128(static_cast<const __m128i*>(p));
}

// The IQ4 codebook in every 128-bit lane, for vpshufb (kOffset: each value + 128, unsigned).
template <bool kOffset = false>
inline __m512i IQ4Values() {
  const __m128i v = Load16(kIQ4Values);
  return _mm512_broadcast_i32x4(kOffset ? _mm_xor_si128(v, _mm_set1_epi8(char(0x80))) : v);
}

// IQ4_XS codes of sub-blocks 2c and 2c + 1 (their 32 qs bytes at qs) in weight order: the bytes
// in 128-bit lanes 0, 0, 1, 1, lanes 1 and 3 shifted to their high nibbles, one vpshufb.
template <bool kOffset = false>
inline __m512i IQ4XSCodes64(const uint8_t* qs) {
  const __m512i v = _mm512_zextsi256_si512(Load32(qs));
  __m512i t = _mm512_shuffle_i64x2(v, v, 0x50);
  t = _mm512_mask_srli_epi16(t, 0xff00ff00u, t, 4);
  return _mm512_shuffle_epi8(IQ4Values<kOffset>(), _mm512_and_si512(t, _mm512_set1_epi8(0x0f)));
}

// The eight IQ4_XS sub-block scales (6-bit − 32) as int16 in lanes 0–7.
inline __m512i IQ4XSScales16(const uint8_t* blk) {
  const __m128i s8 = _mm_sub_epi8(_mm_cvtsi64_si128(int64_t(IQ4XSScales8(blk))), _mm_set1_epi8(32));
  return _mm512_zextsi128_si512(_mm_cvtepi8_epi16(s8));
}

// vpermw indices: int16 lane j takes entry first + (j / width)·stride.
inline __m512i SpreadIndex(int first, int width, int stride) {
  alignas(64) std::array<int16_t, 32> idx{};
  for (int j = 0; j < 32; ++j) idx[size_t(j)] = int16_t(first + (j / width) * stride);
  return _mm512_load_si512(idx.data());
}

// acc + Σ pairs of (p·s): int16 pair products summed into int32 lanes.
template <bool kVnni>
inline __m512i DotAdd(__m512i acc, __m512i p, __m512i s) {
  if constexpr (kVnni) {
    return _mm512_dpwssd_epi32(acc, p, s);
  } else {
    return _mm512_add_epi32(acc, _mm512_madd_epi16(p, s));
  }
}

// Q5_K's codes: the Q4_K nibbles of step c (sub-blocks 2c | 2c+1 in the two halves) with bits
// 2c | 2c+1 of qh in bit 4. `qh` is the block's qh in both halves, shifted right by 2c in 16-bit
// lanes; the halves then shift left by 4 | 3, which puts the wanted bit of each byte at bit 4
// (bits that cross a byte within a lane are masked off).
inline __m512i Q5KCodes(__m512i nibbles, __m512i qh) {
  const __m512i up = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(3), 1);
  // nibbles | (qh_shifted & 0x10), in one vpternlogd.
  return _mm512_ternarylogic_epi32(nibbles, _mm512_sllv_epi16(qh, up), _mm512_set1_epi8(0x10),
                                   0xf8);
}

template <bool kVnni, size_t T, bool kFive = false>
void Q4KTile(const Weights& w, const Activations& a, size_t r, size_t t0, float* y,
             size_t y_stride) {
  constexpr Format kFormat = kFive ? Format::kQ5K : Format::kQ4K;
  const size_t blocks = w.k / kSuperBlock, sums = w.k / kSumGroup;
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  const __m512i nibble_shift = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
  const __m512i spread[4] = {SpreadIndex(0, 16, 1), SpreadIndex(2, 16, 1), SpreadIndex(4, 16, 1),
                             SpreadIndex(6, 16, 1)};
  __m512 acc[T];
  for (size_t t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  const uint8_t* row = w.data + r * w.row_bytes;
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * BlockBytes(kFormat);
    if constexpr (T == 1) x86::PrefetchAhead<BlockBytes(kFormat)>(blk);
    uint64_t sc8, mn8;
    Q4KScalesMins8(blk + kQ4KScales, &sc8, &mn8);
    const __m512i scales =
        _mm512_zextsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(int64_t(sc8))));
    const __m128i m16 = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(int64_t(mn8)));
    // Each min twice: it weighs the two code sums of 16 of its sub-block.
    const __m256i mins =
        _mm256_setr_m128i(_mm_unpacklo_epi16(m16, m16), _mm_unpackhi_epi16(m16, m16));
    __m512i codes[4], sv[4];
    __m512i qh = kFive ? _mm512_broadcast_i64x4(Load32(blk + kQ5KQh)) : _mm512_setzero_si512();
    for (int c = 0; c < 4; ++c) {
      const __m512i v = _mm512_broadcast_i64x4(Load32(blk + (kFive ? kQ5KQs : kQ4KQs) + 32 * c));
      codes[c] = _mm512_and_si512(_mm512_srlv_epi16(v, nibble_shift), low4);
      if constexpr (kFive) {
        codes[c] = Q5KCodes(codes[c], qh);
        qh = _mm512_srli_epi16(qh, 2);
      }
      sv[c] = _mm512_permutexvar_epi16(spread[c], scales);
    }
    const float d = Half(blk), dmin = Half(blk + 2);
    for (size_t t = 0; t < T; ++t) {
      const size_t tok = t0 + t;
      const int8_t* aq = a.q + tok * w.k + b * kSuperBlock;
      __m512i isum = _mm512_setzero_si512();
      for (int c = 0; c < 4; ++c) {
        isum = DotAdd<kVnni>(isum, _mm512_maddubs_epi16(codes[c], Load64(aq + 64 * c)), sv[c]);
      }
      const float s = a.scale[tok * blocks + b];
      const __m256i msum =
          _mm256_madd_epi16(Load32(a.bsum + tok * sums + b * (kSuperBlock / kSumGroup)), mins);
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(d * s), acc[t]);
      acc[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(_mm512_zextsi256_si512(msum)),
                                _mm512_set1_ps(dmin * s), acc[t]);
    }
  }
  for (size_t t = 0; t < T; ++t) y[(t0 + t) * y_stride + r] = _mm512_reduce_add_ps(acc[t]);
}

template <bool kVnni, size_t T>
void Q6KTile(const Weights& w, const Activations& a, size_t r, size_t t0, float* y,
             size_t y_stride) {
  const size_t blocks = w.k / kSuperBlock, sums = w.k / kSumGroup;
  const __m512i low4 = _mm512_set1_epi8(0x0f), bits45 = _mm512_set1_epi8(0x30);
  // Quarters 0 | 1 (low nibbles) take qh bits 0–1 | 2–3 to bits 4–5, quarters 2 | 3 (high
  // nibbles) bits 4–5 | 6–7.
  const __m512i up = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
  const __m512i down = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
  // Step 2h + j (j = 0 low nibbles, 1 high) covers sub-blocks 8h + 4j .. 8h + 4j + 3.
  const __m512i spread[4] = {SpreadIndex(0, 8, 1), SpreadIndex(4, 8, 1), SpreadIndex(8, 8, 1),
                             SpreadIndex(12, 8, 1)};
  __m512 acc[T];
  for (size_t t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  const uint8_t* row = w.data + r * w.row_bytes;
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * BlockBytes(Format::kQ6K);
    if constexpr (T == 1) x86::PrefetchAhead<BlockBytes(Format::kQ6K)>(blk);
    const __m256i sc16 =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + kQ6KScales)));
    const __m512i scales = _mm512_zextsi256_si512(sc16);
    __m512i codes[4], sv[4];
    for (int h = 0; h < 2; ++h) {
      const __m512i ql = Load64(blk + 64 * h);
      const __m512i qh = _mm512_broadcast_i64x4(Load32(blk + kQ6KQh + 32 * h));
      codes[2 * h] = _mm512_or_si512(_mm512_and_si512(ql, low4),
                                     _mm512_and_si512(_mm512_sllv_epi16(qh, up), bits45));
      codes[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                                         _mm512_and_si512(_mm512_srlv_epi16(qh, down), bits45));
    }
    for (int c = 0; c < 4; ++c) sv[c] = _mm512_permutexvar_epi16(spread[c], scales);
    const float d = Half(blk + kQ6KD);
    for (size_t t = 0; t < T; ++t) {
      const size_t tok = t0 + t;
      const int8_t* aq = a.q + tok * w.k + b * kSuperBlock;
      // The codes are q − 32: Σ_b sc_b·32·bsum_b comes off the integer sum.
      const __m256i offset =
          _mm256_madd_epi16(Load32(a.bsum + tok * sums + b * (kSuperBlock / kSumGroup)), sc16);
      __m512i isum = _mm512_zextsi256_si512(
          _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(offset, 5)));
      for (int c = 0; c < 4; ++c) {
        isum = DotAdd<kVnni>(isum, _mm512_maddubs_epi16(codes[c], Load64(aq + 64 * c)), sv[c]);
      }
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum),
                               _mm512_set1_ps(d * a.scale[tok * blocks + b]), acc[t]);
    }
  }
  for (size_t t = 0; t < T; ++t) y[(t0 + t) * y_stride + r] = _mm512_reduce_add_ps(acc[t]);
}

// Q3_K / Q2_K codes of a super-block as four 64-code steps in the activations' order: step
// 2h + p is quarters 2p | 2p+1 of half h (sub-blocks 8h + 4p .. +3), the half's 32 qs bytes in
// both 256-bit halves shifted by 4p | 4p + 2. Q3_K's third bits are hmask bits 4h + 2p |
// 4h + 2p + 1, moved to bit 2 within 16-bit lanes (sllv for bit 0, srlv otherwise: the wanted
// bit never leaves its lane, what crosses a byte is masked). The sixteen scales as int16 (Q3_K
// the 6-bit ones − 32, Q2_K the low nibbles) and Q2_K's mins (high nibbles).
template <Format F>
inline void Q32KUnpack(const uint8_t* blk, __m512i codes[4], __m256i* sc16, __m256i* mn16) {
  constexpr bool kQ3 = F == Format::kQ3K;
  const __m512i three = _mm512_set1_epi8(3), bit2 = _mm512_set1_epi8(4);
  const __m512i hm = kQ3 ? _mm512_broadcast_i64x4(Load32(blk)) : _mm512_setzero_si512();
  for (int h = 0; h < 2; ++h) {
    const __m512i qs = _mm512_broadcast_i64x4(Load32(blk + (kQ3 ? kQ3KQs : kQ2KQs) + 32 * h));
    for (int p = 0; p < 2; ++p) {
      const __m512i shift = _mm512_inserti64x4(_mm512_set1_epi16(short(4 * p)),
                                               _mm256_set1_epi16(short(4 * p + 2)), 1);
      __m512i q = _mm512_and_si512(_mm512_srlv_epi16(qs, shift), three);
      if constexpr (kQ3) {
        const int k = 4 * h + 2 * p;
        const __m512i hb =
            k == 0 ? _mm512_sllv_epi16(
                         hm, _mm512_inserti64x4(_mm512_set1_epi16(2), _mm256_set1_epi16(1), 1))
                   : _mm512_srlv_epi16(hm, _mm512_inserti64x4(_mm512_set1_epi16(short(k - 2)),
                                                              _mm256_set1_epi16(short(k - 1)), 1));
        q = _mm512_ternarylogic_epi32(q, hb, bit2, 0xf8);  // q | (hb & 4)
      }
      codes[2 * h + p] = q;
    }
  }
  if constexpr (kQ3) {
    uint64_t lo, hi;
    Q3KScales16(blk + kQ3KScales, &lo, &hi);
    *sc16 = _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_set_epi64x(int64_t(hi), int64_t(lo))),
                             _mm256_set1_epi16(32));
    *mn16 = _mm256_setzero_si256();
  } else {
    const __m256i v = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk)));
    *sc16 = _mm256_and_si256(v, _mm256_set1_epi16(15));
    *mn16 = _mm256_srli_epi16(v, 4);
  }
}

template <bool kVnni, size_t T, Format F>
void Q32KTile(const Weights& w, const Activations& a, size_t r, size_t t0, float* y,
              size_t y_stride) {
  constexpr bool kQ3 = F == Format::kQ3K;
  const size_t blocks = w.k / kSuperBlock, sums = w.k / kSumGroup;
  // Step c covers sub-blocks 4c .. 4c + 3.
  const __m512i spread[4] = {SpreadIndex(0, 8, 1), SpreadIndex(4, 8, 1), SpreadIndex(8, 8, 1),
                             SpreadIndex(12, 8, 1)};
  __m512 acc[T];
  for (size_t t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  const uint8_t* row = w.data + r * w.row_bytes;
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * BlockBytes(F);
    if constexpr (T == 1) x86::PrefetchAhead<BlockBytes(F)>(blk);
    __m512i codes[4], sv[4];
    __m256i sc16, mn16;
    Q32KUnpack<F>(blk, codes, &sc16, &mn16);
    const __m512i scales = _mm512_zextsi256_si512(sc16);
    for (int c = 0; c < 4; ++c) sv[c] = _mm512_permutexvar_epi16(spread[c], scales);
    const float d = Half(blk + (kQ3 ? kQ3KD : kQ2KD));
    const float dmin = kQ3 ? 0.0f : Half(blk + kQ2KD + 2);
    for (size_t t = 0; t < T; ++t) {
      const size_t tok = t0 + t;
      const int8_t* aq = a.q + tok * w.k + b * kSuperBlock;
      const __m256i bs = Load32(a.bsum + tok * sums + b * (kSuperBlock / kSumGroup));
      // Q3_K: the codes are q − 4, so Σ_b sc_b·4·bsum_b comes off the integer sum.
      __m512i isum =
          kQ3 ? _mm512_zextsi256_si512(_mm256_sub_epi32(
                    _mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(bs, sc16), 2)))
              : _mm512_setzero_si512();
      for (int c = 0; c < 4; ++c) {
        isum = DotAdd<kVnni>(isum, _mm512_maddubs_epi16(codes[c], Load64(aq + 64 * c)), sv[c]);
      }
      const float s = a.scale[tok * blocks + b];
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(d * s), acc[t]);
      if constexpr (!kQ3) {
        const __m256i msum = _mm256_madd_epi16(bs, mn16);
        acc[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(_mm512_zextsi256_si512(msum)),
                                  _mm512_set1_ps(dmin * s), acc[t]);
      }
    }
  }
  for (size_t t = 0; t < T; ++t) y[(t0 + t) * y_stride + r] = _mm512_reduce_add_ps(acc[t]);
}

// IQ4_XS: four 64-code steps per super-block (IQ4XSCodes64), the signed codebook values as
// |v| with the activations taking v's sign by a masked negation (pairs ≤ 2·127·127), one vpermw
// spreading the two sub-block scales of a step over its pair sums; codes and scales stay in
// registers for the tile's tokens.
template <bool kVnni, size_t T>
void IQ4XSTile(const Weights& w, const Activations& a, size_t r, size_t t0, float* y,
               size_t y_stride) {
  const size_t blocks = w.k / kSuperBlock;
  const __m512i spread[4] = {SpreadIndex(0, 16, 1), SpreadIndex(2, 16, 1), SpreadIndex(4, 16, 1),
                             SpreadIndex(6, 16, 1)};
  __m512 acc[T];
  for (size_t t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  const uint8_t* row = w.data + r * w.row_bytes;
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * BlockBytes(Format::kIQ4XS);
    if constexpr (T == 1) x86::PrefetchAhead<BlockBytes(Format::kIQ4XS)>(blk);
    const __m512i scales = IQ4XSScales16(blk);
    __m512i uq[4], sv[4];
    __mmask64 neg[4];
    for (int c = 0; c < 4; ++c) {
      const __m512i q = IQ4XSCodes64(blk + kIQ4XSQs + 32 * c);
      uq[c] = _mm512_abs_epi8(q);
      neg[c] = _mm512_movepi8_mask(q);
      sv[c] = _mm512_permutexvar_epi16(spread[c], scales);
    }
    const float d = Half(blk);
    for (size_t t = 0; t < T; ++t) {
      const size_t tok = t0 + t;
      const int8_t* aq = a.q + tok * w.k + b * kSuperBlock;
      __m512i isum = _mm512_setzero_si512();
      for (int c = 0; c < 4; ++c) {
        const __m512i av = Load64(aq + 64 * c);
        const __m512i sa = _mm512_mask_sub_epi8(av, neg[c], _mm512_setzero_si512(), av);
        isum = DotAdd<kVnni>(isum, _mm512_maddubs_epi16(uq[c], sa), sv[c]);
      }
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum),
                               _mm512_set1_ps(d * a.scale[tok * blocks + b]), acc[t]);
    }
  }
  for (size_t t = 0; t < T; ++t) y[(t0 + t) * y_stride + r] = _mm512_reduce_add_ps(acc[t]);
}

// Q8_0, Q5_0, Q4_0 and IQ4_NL (signed codes from x86_blocks32.h), two blocks (64 codes) per step:
// |q| is the unsigned operand, the activations take q's sign by a masked negation (AVX-512 has no
// vpsignb); |q|·a pairs stay within 2·128·127, and vpdpbusd (VNNI) sums four of them into int32 at
// once. Int32 lanes 0–7 belong to the first block, 8–15 to the second: the fp32 products take each
// block's d and activation scale spread over its half. An odd last block is a step whose second
// half is zero (masked loads: the activations of the last token end where the block does). The
// signed codes of blocks at blk and blk + BlockBytes (kOne: the first only, the upper half 0). Q5_0
// here takes its fifth bits as a 64-bit mask (the two qh words): each block's 16 qs bytes in two
// 128-bit lanes, the second shifted by 4, masked to nibbles, and 16 off where the bit is clear
// (x86_blocks32.h's byte-compare way costs about twice the instructions).
template <Format F, bool kOne>
inline __m512i Codes64(const uint8_t* blk) {
  constexpr size_t kBytes = BlockBytes(F);
  if constexpr (F == Format::kIQ4NL || F == Format::kQ4_0) {
    // As Q5_0's nibbles, then each replaced by its codebook value or less 8 (the missing
    // block's 0).
    constexpr size_t kQs = F == Format::kIQ4NL ? kIQ4NLQs : kQ4_0Qs;
    __m512i t = _mm512_broadcast_i32x4(Load16(blk + kQs));
    if constexpr (!kOne) t = _mm512_mask_broadcast_i32x4(t, 0xff00, Load16(blk + kBytes + kQs));
    t = _mm512_mask_srli_epi16(t, 0xff00ff00u, t, 4);
    const __m512i nibbles = _mm512_and_si512(t, _mm512_set1_epi8(0x0f));
    const __mmask64 present = _cvtu64_mask64(kOne ? 0xffffffffull : ~0ull);
    if constexpr (F == Format::kQ4_0) {
      return _mm512_maskz_sub_epi8(present, nibbles, _mm512_set1_epi8(8));
    } else {
      return _mm512_maskz_shuffle_epi8(present, IQ4Values(), nibbles);
    }
  } else if constexpr (F == Format::kQ5_0) {
    const __m128i qs0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + kQ5_0Qs));
    __m512i t = _mm512_broadcast_i32x4(qs0);
    uint32_t h0, h1 = 0;
    std::memcpy(&h0, blk + kQ5_0Qh, 4);
    if constexpr (kOne) {
      t = _mm512_zextsi256_si512(_mm512_castsi512_si256(t));
    } else {
      const __m128i qs1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + kBytes + kQ5_0Qs));
      t = _mm512_mask_broadcast_i32x4(t, 0xff00, qs1);
      std::memcpy(&h1, blk + kBytes + kQ5_0Qh, 4);
    }
    // 16-bit lanes 8–15 and 24–31 (the second 128-bit lane of each block): high nibbles.
    t = _mm512_mask_srli_epi16(t, 0xff00ff00u, t, 4);
    const __m512i low = _mm512_and_si512(t, _mm512_set1_epi8(0x0f));
    const uint64_t set = uint64_t(h0) | uint64_t(h1) << 32;
    const uint64_t clear = ~set & (kOne ? 0xffffffffull : ~0ull);
    return _mm512_mask_sub_epi8(low, _cvtu64_mask64(clear), low, _mm512_set1_epi8(16));
  } else {
    const __m256i q0 = x86::Codes32<F>(blk);
    return kOne ? _mm512_zextsi256_si512(q0)
                : _mm512_inserti64x4(_mm512_castsi256_si512(q0), x86::Codes32<F>(blk + kBytes), 1);
  }
}

template <bool kVnni, size_t T, bool kOne, Format F>
inline void Block32Step(const uint8_t* blk, const Activations& a, size_t k, size_t b, size_t t0,
                        __m512* acc) {
  constexpr size_t kBytes = BlockBytes(F);
  const size_t blocks = k / 32;
  const __m512i spread = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  const __m512i q = Codes64<F, kOne>(blk);
  const __m512i uq = _mm512_abs_epi8(q);
  const __mmask64 neg = _mm512_movepi8_mask(q);
  uint16_t h[2] = {0, 0};
  std::memcpy(&h[0], blk, 2);
  if constexpr (!kOne) std::memcpy(&h[1], blk + kBytes, 2);
  uint32_t hh;
  std::memcpy(&hh, h, 4);
  const __m512 d = _mm512_permutexvar_ps(
      spread, _mm512_castps128_ps512(_mm_cvtph_ps(_mm_cvtsi32_si128(int(hh)))));
  for (size_t t = 0; t < T; ++t) {
    const size_t tok = t0 + t;
    const int8_t* aq = a.q + tok * k + 32 * b;
    const __m512i av0 = kOne ? _mm512_maskz_loadu_epi8(0xffffffffull, aq) : Load64(aq);
    const __m512i av = _mm512_mask_sub_epi8(av0, neg, _mm512_setzero_si512(), av0);
    __m512i dot;
    if constexpr (kVnni) {
      dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), uq, av);
    } else {
      dot = _mm512_madd_epi16(_mm512_maddubs_epi16(uq, av), _mm512_set1_epi16(1));
    }
    const float* sp = a.scale + tok * blocks + b;
    const __m512 s = kOne ? _mm512_set1_ps(sp[0])
                          : _mm512_permutexvar_ps(
                                spread, _mm512_castps128_ps512(_mm_castsi128_ps(_mm_loadl_epi64(
                                            reinterpret_cast<const __m128i*>(sp)))));
    acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(dot), s), d, acc[t]);
  }
}

template <bool kVnni, size_t T, Format F>
void Block32Tile(const Weights& w, const Activations& a, size_t r, size_t t0, float* y,
                 size_t y_stride) {
  const size_t blocks = w.k / 32;
  __m512 acc[T];
  for (size_t t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  const uint8_t* row = w.data + r * w.row_bytes;
  size_t b = 0;
  for (; b + 2 <= blocks; b += 2) {
    if constexpr (T == 1) x86::PrefetchAhead<2 * BlockBytes(F)>(row + b * BlockBytes(F));
    Block32Step<kVnni, T, false, F>(row + b * BlockBytes(F), a, w.k, b, t0, acc);
  }
  if (b < blocks) Block32Step<kVnni, T, true, F>(row + b * BlockBytes(F), a, w.k, b, t0, acc);
  for (size_t t = 0; t < T; ++t) y[(t0 + t) * y_stride + r] = _mm512_reduce_add_ps(acc[t]);
}

// The lattice i-quants: each block decoded in registers (x86_iq_avx512.h), then per token the
// activations negated where the codes are (the sign mask) and vpmaddubsw with the magnitudes,
// weighted by the scales per pair lane: pair sums at most 2·62·127, never saturated.
template <bool kVnni, size_t T, Format F>
void IqTile(const Weights& w, const Activations& a, size_t r, size_t t0, float* y,
            size_t y_stride) {
  const size_t blocks = w.k / kSuperBlock;
  __m512 acc[T];
  for (size_t t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  const uint8_t* row = w.data + r * w.row_bytes;
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * BlockBytes(F);
    if constexpr (T == 1) x86::PrefetchAhead<BlockBytes(F)>(blk);
    __m512i isum[T];
    for (size_t t = 0; t < T; ++t) isum[t] = _mm512_setzero_si512();
    IqBlock512 q;
    IqDecodeBlock512<F>(blk, &q);
    for (int c = 0; c < 4; ++c) {
      for (size_t t = 0; t < T; ++t) {
        const __m512i av0 = Load64(a.q + (t0 + t) * w.k + b * kSuperBlock + 64 * c);
        const __m512i av = _mm512_mask_sub_epi8(av0, q.neg[c], _mm512_setzero_si512(), av0);
        isum[t] = DotAdd<kVnni>(isum[t], _mm512_maddubs_epi16(q.u[c], av), q.sv[c]);
      }
    }
    const float factor = _cvtsh_ss(IqHalfBits(F, blk)) * IqFactorScale(F);
    for (size_t t = 0; t < T; ++t) {
      const float s = a.scale[(t0 + t) * blocks + b];
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_set1_ps(factor * s), acc[t]);
    }
  }
  for (size_t t = 0; t < T; ++t) y[(t0 + t) * y_stride + r] = _mm512_reduce_add_ps(acc[t]);
}

// Rows one by one; tokens in tiles of kTokenTile sharing each unpacked super-block.
inline constexpr size_t kTokenTile = 8;

template <void (*Tile1)(const Weights&, const Activations&, size_t, size_t, float*, size_t),
          void (*TileN)(const Weights&, const Activations&, size_t, size_t, float*, size_t)>
void Gemm(const Weights& w, const Activations& a, size_t row_begin, size_t row_end, float* y,
          size_t y_stride) {
  for (size_t r = row_begin; r < row_end; ++r) {
    size_t t = 0;
    for (; t + kTokenTile <= a.n; t += kTokenTile) TileN(w, a, r, t, y, y_stride);
    for (; t < a.n; ++t) Tile1(w, a, r, t, y, y_stride);
  }
}

}  // namespace
}  // namespace lutra::kernels::kquant::avx512
