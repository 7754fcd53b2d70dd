// AVX-512 VNNI one-token kernels of IQ4_XS, IQ4_NL and Q4_0: the codebook values + 128 or the
// nibbles (unsigned) through vpdpbusd against activations regrouped so that no code needs a
// lane crossing.
// Included by x86_avx512vnni.cc only (static inline / internal code, docs/kernels.md on shared
// headers).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/kquant/block_fields.h"
#include "kernels/kquant/kquant.h"
#include "kernels/kquant/x86_avx512_impl.h"
#include "kernels/kquant/x86_prefetch.h"

namespace lutra::kernels::kquant::vnni_iq4 {
namespace {

using avx512::Half;
using avx512::Load32;
using avx512::Load64;

// IQ4_XS decode (one token). A 64-byte qs load is four sub-blocks: its low nibbles are their
// weights 0–15, its high nibbles 16–31, each 128-bit lane one sub-block, so the codes need no
// lane crossing when the activations come regrouped the same way: per 128, the first 16 of each
// of the four 32, then their second 16 (two vpermt2q). The codes are the codebook values + 128
// (unsigned, for vpdpbusd); each lane's int32 sums take their sub-block's scale (vpmulld), and
// 128·Σ_j sc_j·Σa_j comes off (Σa per 32 from the code sums). Against the tile path's sign
// transfer and cross-lane unpacking per 64 codes, about half the vector instructions per
// super-block.
inline void IQ4Regroup(const int8_t* aq, __m512i* first, __m512i* second) {
  const __m512i a0 = Load64(aq), a1 = Load64(aq + 64);
  *first = _mm512_permutex2var_epi64(a0, _mm512_setr_epi64(0, 1, 4, 5, 8, 9, 12, 13), a1);
  *second = _mm512_permutex2var_epi64(a0, _mm512_setr_epi64(2, 3, 6, 7, 10, 11, 14, 15), a1);
}

// Row r against one token whose activations are regrouped in `ag` (kRegrouped) or regrouped
// here from a.q.
template <bool kRegrouped>
inline void IQ4XSDecodeRow(const Weights& w, const Activations& a, const int8_t* ag, size_t r,
                           float* y) {
  const size_t blocks = w.k / kSuperBlock;
  const __m512i low4 = _mm512_set1_epi8(0x0f), values = avx512::IQ4Values<true>();
  const __m512i spread[2] = {_mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3),
                             _mm512_setr_epi32(4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7)};
  __m512 acc = _mm512_setzero_ps();
  const uint8_t* row = w.data + r * w.row_bytes;
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * BlockBytes(Format::kIQ4XS);
    x86::PrefetchAhead<BlockBytes(Format::kIQ4XS)>(blk);
    const __m256i sc = _mm256_cvtepi8_epi32(
        _mm_sub_epi8(_mm_cvtsi64_si128(int64_t(IQ4XSScales8(blk))), _mm_set1_epi8(32)));
    // Σa of each sub-block of 32 (its two code sums of 16), times its scale and 128.
    const __m256i sums =
        _mm256_madd_epi16(Load32(a.bsum + b * (kSuperBlock / kSumGroup)), _mm256_set1_epi16(1));
    const __m256i off = _mm256_slli_epi32(_mm256_mullo_epi32(sc, sums), 7);
    __m512i t = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_zextsi256_si512(off));
    const __m512i sc512 = _mm512_zextsi256_si512(sc);
    for (int h = 0; h < 2; ++h) {
      __m512i a_lo, a_hi;
      if constexpr (kRegrouped) {
        a_lo = Load64(ag + b * kSuperBlock + 128 * h);
        a_hi = Load64(ag + b * kSuperBlock + 128 * h + 64);
      } else {
        IQ4Regroup(a.q + b * kSuperBlock + 128 * h, &a_lo, &a_hi);
      }
      const __m512i v = Load64(blk + kIQ4XSQs + 64 * h);
      const __m512i lo = _mm512_shuffle_epi8(values, _mm512_and_si512(v, low4));
      const __m512i hi =
          _mm512_shuffle_epi8(values, _mm512_and_si512(_mm512_srli_epi16(v, 4), low4));
      const __m512i d =
          _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, a_lo), hi, a_hi);
      t = _mm512_add_epi32(t, _mm512_mullo_epi32(d, _mm512_permutexvar_epi32(spread[h], sc512)));
    }
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(t), _mm512_set1_ps(Half(blk) * a.scale[b]), acc);
  }
  y[r] = _mm512_reduce_add_ps(acc);
}

// The rows one by one, each one sequential stream (passes over several rows at once interleave
// streams a row apart, which measured slower out of cache); the activations are regrouped once
// per call onto the stack when k fits (kMaxRegrouped), else per row.
constexpr size_t kMaxRegrouped = 32768;

inline void IQ4XSDecode(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y) {
  if (w.k > kMaxRegrouped) {
    for (size_t r = row_begin; r < row_end; ++r) IQ4XSDecodeRow<false>(w, a, nullptr, r, y);
    return;
  }
  alignas(64) int8_t ag[kMaxRegrouped];
  for (size_t c = 0; c < w.k; c += 128) {
    __m512i first, second;
    IQ4Regroup(a.q + c, &first, &second);
    _mm512_store_si512(ag + c, first);
    _mm512_store_si512(ag + c + 64, second);
  }
  for (size_t r = row_begin; r < row_end; ++r) IQ4XSDecodeRow<true>(w, a, ag, r, y);
}

// IQ4_NL and Q4_0 decode (one token): IQ4_XS's regrouped activations, four blocks of 32 per
// step with their 16 qs bytes (18 bytes apart) one per 128-bit lane, so each lane's int32 sums
// are one block's; its dots start at −128·Σa (IQ4_NL: codebook values + 128) or −8·Σa (Q4_0:
// the nibbles are q − 8 + 8) of the block (`off`, lane 4j of the step's vector, made once per
// call) and the fp32 step takes the four blocks' d·s spread over their lanes. The last k mod
// 128 weights (one to three blocks) go through Block32Step. About half the instructions of the
// two-block step with its sign transfer.
template <Format F>
inline constexpr int kDecodeOffset = F == Format::kIQ4NL ? 128 : 8;

template <Format F>
inline void Block32DecodeRow(const Weights& w, const Activations& a, const int8_t* ag,
                             const int32_t* off, size_t r, float* y) {
  static_assert(F == Format::kIQ4NL || F == Format::kQ4_0);
  constexpr size_t kBytes = BlockBytes(F), kQs = F == Format::kIQ4NL ? kIQ4NLQs : kQ4_0Qs;
  const size_t blocks = w.k / 32, groups = blocks / 4;
  const __m512i low4 = _mm512_set1_epi8(0x0f), values = avx512::IQ4Values<true>();
  const __m512i spread = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
  __m512 acc = _mm512_setzero_ps();
  const uint8_t* row = w.data + r * w.row_bytes;
  for (size_t g = 0; g < groups; ++g) {
    const uint8_t* blk = row + 4 * g * kBytes;
    x86::PrefetchAhead<4 * kBytes>(blk);
    __m512i v = _mm512_castsi128_si512(avx512::Load16(blk + kQs));
    v = _mm512_inserti32x4(v, avx512::Load16(blk + kBytes + kQs), 1);
    v = _mm512_inserti32x4(v, avx512::Load16(blk + 2 * kBytes + kQs), 2);
    v = _mm512_inserti32x4(v, avx512::Load16(blk + 3 * kBytes + kQs), 3);
    __m512i lo = _mm512_and_si512(v, low4);
    __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
    if constexpr (F == Format::kIQ4NL) {
      lo = _mm512_shuffle_epi8(values, lo);
      hi = _mm512_shuffle_epi8(values, hi);
    }
    const __m512i d = _mm512_dpbusd_epi32(
        _mm512_dpbusd_epi32(_mm512_load_si512(off + 16 * g), lo, Load64(ag + 128 * g)), hi,
        Load64(ag + 128 * g + 64));
    uint64_t halves = 0;
    for (size_t j = 0; j < 4; ++j) {
      uint16_t h;
      std::memcpy(&h, blk + j * kBytes, sizeof h);
      halves |= uint64_t(h) << (16 * j);
    }
    const __m128 ds =
        _mm_mul_ps(_mm_cvtph_ps(_mm_cvtsi64_si128(int64_t(halves))), _mm_loadu_ps(a.scale + 4 * g));
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d),
                          _mm512_permutexvar_ps(spread, _mm512_castps128_ps512(ds)), acc);
  }
  size_t b = 4 * groups;
  if (b + 2 <= blocks) {
    avx512::Block32Step<true, 1, false, F>(row + b * kBytes, a, w.k, b, 0, &acc);
    b += 2;
  }
  if (b < blocks) avx512::Block32Step<true, 1, true, F>(row + b * kBytes, a, w.k, b, 0, &acc);
  y[r] = _mm512_reduce_add_ps(acc);
}

template <Format F>
inline void Block32Decode(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                          float* y) {
  if (w.k > kMaxRegrouped) {
    avx512::Gemm<avx512::Block32Tile<true, 1, F>, avx512::Block32Tile<true, 1, F>>(w, a, row_begin,
                                                                                   row_end, y, 0);
    return;
  }
  alignas(64) int8_t ag[kMaxRegrouped];
  alignas(64) int32_t off[kMaxRegrouped / 8];  // 16 per 128 weights
  for (size_t g = 0; g < w.k / 128; ++g) {
    __m512i first, second;
    IQ4Regroup(a.q + 128 * g, &first, &second);
    _mm512_store_si512(ag + 128 * g, first);
    _mm512_store_si512(ag + 128 * g + 64, second);
    for (size_t j = 0; j < 16; ++j) {
      const int16_t* bs = a.bsum + 8 * g + 2 * (j / 4);
      off[16 * g + j] = j % 4 == 0 ? -kDecodeOffset<F> * (bs[0] + bs[1]) : 0;
    }
  }
  for (size_t r = row_begin; r < row_end; ++r) Block32DecodeRow<F>(w, a, ag, off, r, y);
}

}  // namespace
}  // namespace lutra::kernels::kquant::vnni_iq4
