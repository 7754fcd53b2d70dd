// AVX2 kquant GEMMs: 32 codes per step unpacked from the file's bytes in registers.
// vpmaddubsw multiplies the unsigned codes (Q4_K ≤ 15, Q6_K ≤ 63; Q8_0, Q5_0, IQ4_NL, IQ4_XS:
// |q|, Block32Tile) by the signed activations (|a| ≤ 127) into int16 pair sums of at most
// 2·63·127 = 16002 (2·128·127 = 32512): never saturated. vpmaddwd then weights the pairs by the
// sub-block scales (int16, one per 16 lanes or per 128-bit half) into int32, so a super-block's
// whole sum stays an exact integer until its one fp32 product. Tokens come in tiles that share each
// unpacked step (prefill unpacks a block once per tile).
#include <immintrin.h>

#include <cmath>
#include <limits>

#include "kernels/kquant/block_fields.h"
#include "kernels/kquant/variants.h"
#include "kernels/kquant/x86_blocks32.h"
#include "kernels/kquant/x86_iq_steps.h"
#include "kernels/kquant/x86_prefetch.h"

namespace lutra::kernels::kquant {
namespace {

constexpr size_t kTokenTile = 4;

inline float ReduceAdd(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float Half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof h);
  return _cvtsh_ss(h);
}

inline float Half16(uint16_t h) {
  return _cvtsh_ss(h);
}

inline __m256i Load32(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

// Sixteen int16 lanes: the low eight `lo`, the high eight `hi` (bytes of a 16-byte vector).
inline __m256i SpreadPair(__m128i bytes16, int lo, int hi) {
  const __m128i pick =
      _mm_setr_epi8(char(lo), char(lo), char(lo), char(lo), char(lo), char(lo), char(lo), char(lo),
                    char(hi), char(hi), char(hi), char(hi), char(hi), char(hi), char(hi), char(hi));
  return _mm256_cvtepi8_epi16(_mm_shuffle_epi8(bytes16, pick));
}

// Q4_K, and Q5_K (kFive): the same scales and mins; Q5_K ORs each code's fifth bit from qh (bit
// j of byte l for sub-block j, weight l) into bit 4.
template <size_t T, bool kFive>
void Q4KTile(const Weights& w, const Activations& a, size_t r, size_t t0, float* y,
             size_t y_stride) {
  constexpr Format kFormat = kFive ? Format::kQ5K : Format::kQ4K;
  const size_t blocks = w.k / kSuperBlock, sums = w.k / kSumGroup;
  const __m256i low4 = _mm256_set1_epi8(0x0f), bit4 = _mm256_set1_epi8(0x10);
  __m256 acc[T];
  for (size_t t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  const uint8_t* row = w.data + r * w.row_bytes;
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * BlockBytes(kFormat);
    if constexpr (T == 1) x86::PrefetchAhead<BlockBytes(kFormat)>(blk);
    uint64_t sc8, mn8;
    Q4KScalesMins8(blk + kQ4KScales, &sc8, &mn8);
    const __m128i scales = _mm_cvtsi64_si128(int64_t(sc8));
    // Each min twice (it weighs two code sums of 16), as int16 for vpmaddwd.
    const __m128i m16 = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(int64_t(mn8)));
    const __m256i mins =
        _mm256_setr_m128i(_mm_unpacklo_epi16(m16, m16), _mm_unpackhi_epi16(m16, m16));
    // Q5_K: qh shifted right by 2c in 16-bit lanes, so bits 2c and 2c + 1 of each byte are
    // bits 0 and 1 of it (the bits the shift brings in from the high byte are masked off).
    __m256i qh = kFive ? Load32(blk + kQ5KQh) : _mm256_setzero_si256();
    __m256i isum[T];
    for (size_t t = 0; t < T; ++t) isum[t] = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      const __m256i qs = Load32(blk + (kFive ? kQ5KQs : kQ4KQs) + 32 * c);
      __m256i lo = _mm256_and_si256(qs, low4);
      __m256i hi = _mm256_and_si256(_mm256_srli_epi16(qs, 4), low4);
      if constexpr (kFive) {
        lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(qh, 4), bit4));
        hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_slli_epi16(qh, 3), bit4));
        qh = _mm256_srli_epi16(qh, 2);
      }
      const __m256i s_lo = SpreadPair(scales, 2 * c, 2 * c);
      const __m256i s_hi = SpreadPair(scales, 2 * c + 1, 2 * c + 1);
      for (size_t t = 0; t < T; ++t) {
        const int8_t* aq = a.q + (t0 + t) * w.k + b * kSuperBlock + 64 * c;
        const __m256i p_lo = _mm256_maddubs_epi16(lo, Load32(aq));
        const __m256i p_hi = _mm256_maddubs_epi16(hi, Load32(aq + 32));
        isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(p_lo, s_lo));
        isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(p_hi, s_hi));
      }
    }
    const float d = Half(blk), dmin = Half(blk + 2);
    for (size_t t = 0; t < T; ++t) {
      const size_t tok = t0 + t;
      const float s = a.scale[tok * blocks + b];
      const __m256i msum =
          _mm256_madd_epi16(Load32(a.bsum + tok * sums + b * (kSuperBlock / kSumGroup)), mins);
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_set1_ps(d * s), acc[t]);
      acc[t] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_set1_ps(dmin * s), acc[t]);
    }
  }
  for (size_t t = 0; t < T; ++t) y[(t0 + t) * y_stride + r] = ReduceAdd(acc[t]);
}

template <size_t T>
void Q6KTile(const Weights& w, const Activations& a, size_t r, size_t t0, float* y,
             size_t y_stride) {
  const size_t blocks = w.k / kSuperBlock, sums = w.k / kSumGroup;
  const __m256i low4 = _mm256_set1_epi8(0x0f), bits45 = _mm256_set1_epi8(0x30);
  __m256 acc[T];
  for (size_t t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  const uint8_t* row = w.data + r * w.row_bytes;
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * BlockBytes(Format::kQ6K);
    if constexpr (T == 1) x86::PrefetchAhead<BlockBytes(Format::kQ6K)>(blk);
    const __m128i scales = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + kQ6KScales));
    __m256i isum[T];
    for (size_t t = 0; t < T; ++t) isum[t] = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i ql0 = Load32(blk + 64 * h), ql1 = Load32(blk + 64 * h + 32);
      const __m256i qh = Load32(blk + kQ6KQh + 32 * h);
      // Quarter s of the half: low bits from ql0 / ql1 (low nibble for s < 2), bits 4–5 from
      // bits 2s..2s+1 of qh.
      const __m256i q[4] = {
          _mm256_or_si256(_mm256_and_si256(ql0, low4),
                          _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45)),
          _mm256_or_si256(_mm256_and_si256(ql1, low4),
                          _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4),
                          _mm256_and_si256(qh, bits45)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                          _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45)),
      };
      for (int s = 0; s < 4; ++s) {
        const int i = 8 * h + 2 * s;  // the sub-blocks of 16 this step's halves belong to
        const __m256i sv = SpreadPair(scales, i, i + 1);
        for (size_t t = 0; t < T; ++t) {
          const int8_t* aq = a.q + (t0 + t) * w.k + b * kSuperBlock + 128 * h + 32 * s;
          const __m256i p = _mm256_maddubs_epi16(q[s], Load32(aq));
          isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(p, sv));
        }
      }
    }
    const __m256i sc16 = _mm256_cvtepi8_epi16(scales);
    const float d = Half(blk + kQ6KD);
    for (size_t t = 0; t < T; ++t) {
      const size_t tok = t0 + t;
      // The codes are q − 32: Σ_b sc_b·32·bsum_b comes off the integer sum.
      const __m256i offset =
          _mm256_madd_epi16(Load32(a.bsum + tok * sums + b * (kSuperBlock / kSumGroup)), sc16);
      const __m256i total = _mm256_sub_epi32(isum[t], _mm256_slli_epi32(offset, 5));
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(total),
                               _mm256_set1_ps(d * a.scale[tok * blocks + b]), acc[t]);
    }
  }
  for (size_t t = 0; t < T; ++t) y[(t0 + t) * y_stride + r] = ReduceAdd(acc[t]);
}

// Q3_K and Q2_K, in Q6_K's order: half h, quarter s is 32 codes (sub-blocks 8h + 2s, +1), two
// bits each from bits 2s..2s+1 of the half's 32 qs bytes; Q3_K's third bit is bit 4h + s of
// hmask, moved to bit 2 by a 16-bit shift (the bits a shift brings across bytes are masked).
// Q3_K's codes are q − 4 with signed 6-bit scales, so Σ_b sc_b·4·bsum_b comes off the integer
// sum; Q2_K has 4-bit scales and mins (the mins weigh bsum, times dmin).
template <size_t T, Format F>
void Q32KTile(const Weights& w, const Activations& a, size_t r, size_t t0, float* y,
              size_t y_stride) {
  constexpr bool kQ3 = F == Format::kQ3K;
  const size_t blocks = w.k / kSuperBlock, sums = w.k / kSumGroup;
  const __m256i three = _mm256_set1_epi8(3), bit2 = _mm256_set1_epi8(4);
  __m256 acc[T];
  for (size_t t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  const uint8_t* row = w.data + r * w.row_bytes;
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * BlockBytes(F);
    if constexpr (T == 1) x86::PrefetchAhead<BlockBytes(F)>(blk);
    __m128i scales, mins = _mm_setzero_si128();
    if constexpr (kQ3) {
      uint64_t lo, hi;
      Q3KScales16(blk + kQ3KScales, &lo, &hi);
      scales = _mm_sub_epi8(_mm_set_epi64x(int64_t(hi), int64_t(lo)), _mm_set1_epi8(32));
    } else {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk));
      scales = _mm_and_si128(v, _mm_set1_epi8(15));
      mins = _mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(15));
    }
    const __m256i hm = kQ3 ? Load32(blk) : _mm256_setzero_si256();
    __m256i isum[T];
    for (size_t t = 0; t < T; ++t) isum[t] = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i qs = Load32(blk + (kQ3 ? kQ3KQs : kQ2KQs) + 32 * h);
      for (int s = 0; s < 4; ++s) {
        __m256i q = _mm256_and_si256(_mm256_srli_epi16(qs, 2 * s), three);
        if constexpr (kQ3) {
          const int k = 4 * h + s;  // hmask bit of this quarter
          const __m256i hb = k >= 2 ? _mm256_srli_epi16(hm, k - 2) : _mm256_slli_epi16(hm, 2 - k);
          q = _mm256_or_si256(q, _mm256_and_si256(hb, bit2));
        }
        const int i = 8 * h + 2 * s;
        const __m256i sv = SpreadPair(scales, i, i + 1);
        for (size_t t = 0; t < T; ++t) {
          const int8_t* aq = a.q + (t0 + t) * w.k + b * kSuperBlock + 128 * h + 32 * s;
          const __m256i p = _mm256_maddubs_epi16(q, Load32(aq));
          isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(p, sv));
        }
      }
    }
    const __m256i sc16 = _mm256_cvtepi8_epi16(scales), mn16 = _mm256_cvtepu8_epi16(mins);
    const float d = Half(blk + (kQ3 ? kQ3KD : kQ2KD));
    const float dmin = kQ3 ? 0.0f : Half(blk + kQ2KD + 2);
    for (size_t t = 0; t < T; ++t) {
      const size_t tok = t0 + t;
      const float s = a.scale[tok * blocks + b];
      const __m256i bs = Load32(a.bsum + tok * sums + b * (kSuperBlock / kSumGroup));
      if constexpr (kQ3) {
        const __m256i offset = _mm256_madd_epi16(bs, sc16);
        const __m256i total = _mm256_sub_epi32(isum[t], _mm256_slli_epi32(offset, 2));
        acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(total), _mm256_set1_ps(d * s), acc[t]);
      } else {
        const __m256i msum = _mm256_madd_epi16(bs, mn16);
        acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_set1_ps(d * s), acc[t]);
        acc[t] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_set1_ps(dmin * s), acc[t]);
      }
    }
  }
  for (size_t t = 0; t < T; ++t) y[(t0 + t) * y_stride + r] = ReduceAdd(acc[t]);
}

// Q8_0, Q5_0 (x86_blocks32.h): the codes are signed, so the unsigned operand of vpmaddubsw is
// |q| and the activations take q's sign (vpsignb; |q| = 128 for −128 reads right as unsigned):
// pair sums at most 2·128·127 = 32512, never saturated. One block is one 32-byte step; its
// int32 dot lanes become fp32, scaled by the token's activation scale of the block and the
// block's d.
template <size_t T, Format F>
void Block32Tile(const Weights& w, const Activations& a, size_t r, size_t t0, float* y,
                 size_t y_stride) {
  const size_t blocks = w.k / 32;
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[T];
  for (size_t t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  const uint8_t* row = w.data + r * w.row_bytes;
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * BlockBytes(F);
    if constexpr (T == 1) x86::PrefetchAhead<BlockBytes(F)>(blk);
    const __m256i q = x86::Codes32<F>(blk);
    const __m256i uq = _mm256_sign_epi8(q, q);
    const __m256 d = _mm256_set1_ps(Half(blk));
    for (size_t t = 0; t < T; ++t) {
      const size_t tok = t0 + t;
      const __m256i av = _mm256_sign_epi8(Load32(a.q + tok * w.k + 32 * b), q);
      const __m256i dot = _mm256_madd_epi16(_mm256_maddubs_epi16(uq, av), ones);
      const __m256 ds = _mm256_mul_ps(d, _mm256_broadcast_ss(a.scale + tok * blocks + b));
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), ds, acc[t]);
    }
  }
  for (size_t t = 0; t < T; ++t) y[(t0 + t) * y_stride + r] = ReduceAdd(acc[t]);
}

// IQ4_XS: sub-block j's 16 qs bytes hold its 32 nibbles (low: weights 0–15, high: 16–31); a
// 32-byte load is sub-blocks 2c and 2c + 1, whose low and high nibbles cross the 128-bit lanes
// into weight order, and one vpshufb per 32 replaces each nibble by its codebook value. The
// values are signed, so the unsigned vpmaddubsw operand is |v| and the activations take v's
// sign (as Block32Tile): pairs ≤ 2·127·127 = 32258. vpmaddwd weighs the pairs by the sub-block
// scales (6-bit − 32, int16) into int32: one exact sum per super-block, one fp32 product.
template <size_t T>
void IQ4XSTile(const Weights& w, const Activations& a, size_t r, size_t t0, float* y,
               size_t y_stride) {
  const size_t blocks = w.k / kSuperBlock;
  const __m256i low4 = _mm256_set1_epi8(0x0f), values = x86::IQ4Values();
  __m256 acc[T];
  for (size_t t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  const uint8_t* row = w.data + r * w.row_bytes;
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * BlockBytes(Format::kIQ4XS);
    if constexpr (T == 1) x86::PrefetchAhead<BlockBytes(Format::kIQ4XS)>(blk);
    const __m128i scales =
        _mm_sub_epi8(_mm_cvtsi64_si128(int64_t(IQ4XSScales8(blk))), _mm_set1_epi8(32));
    __m256i isum[T];
    for (size_t t = 0; t < T; ++t) isum[t] = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      const __m256i qs = Load32(blk + kIQ4XSQs + 32 * c);
      const __m256i lo = _mm256_and_si256(qs, low4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(qs, 4), low4);
      const __m256i q[2] = {_mm256_shuffle_epi8(values, _mm256_permute2x128_si256(lo, hi, 0x20)),
                            _mm256_shuffle_epi8(values, _mm256_permute2x128_si256(lo, hi, 0x31))};
      const __m256i uq[2] = {_mm256_sign_epi8(q[0], q[0]), _mm256_sign_epi8(q[1], q[1])};
      const __m256i sv[2] = {SpreadPair(scales, 2 * c, 2 * c),
                             SpreadPair(scales, 2 * c + 1, 2 * c + 1)};
      for (size_t t = 0; t < T; ++t) {
        const int8_t* aq = a.q + (t0 + t) * w.k + b * kSuperBlock + 64 * c;
        for (int h = 0; h < 2; ++h) {
          const __m256i av = _mm256_sign_epi8(Load32(aq + 32 * h), q[h]);
          isum[t] =
              _mm256_add_epi32(isum[t], _mm256_madd_epi16(_mm256_maddubs_epi16(uq[h], av), sv[h]));
        }
      }
    }
    const float d = Half(blk);
    for (size_t t = 0; t < T; ++t) {
      const float s = a.scale[(t0 + t) * blocks + b];
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_set1_ps(d * s), acc[t]);
    }
  }
  for (size_t t = 0; t < T; ++t) y[(t0 + t) * y_stride + r] = ReduceAdd(acc[t]);
}

// The lattice i-quants (x86_iq_steps.h): each sub-block of 32 weights decoded once per tile of
// tokens; per token vpmaddubsw of the magnitudes with the activations given the codes' signs
// (vpsignb): pair sums at most 2·62·127 = 15748, never saturated, weighted by the two halves'
// scales in vpmaddwd. One fp32 product per block: d times the format's power of two times the
// token's activation scale.
template <size_t T, Format F>
void IqTile(const Weights& w, const Activations& a, size_t r, size_t t0, float* y,
            size_t y_stride) {
  const size_t blocks = w.k / kSuperBlock;
  __m256 acc[T];
  for (size_t t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  const uint8_t* row = w.data + r * w.row_bytes;
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * BlockBytes(F);
    if constexpr (T == 1) x86::PrefetchAhead<BlockBytes(F)>(blk);
    __m256i isum[T];
    for (size_t t = 0; t < T; ++t) isum[t] = _mm256_setzero_si256();
    x86::IqPrep prep;
    x86::IqPrepare<F>(blk, &prep);
    // Unrolled: each step's constants (the sub-block's lanes) fold, and nothing spills.
#if defined(__clang__)
#pragma clang loop unroll(full)
#else
#pragma GCC unroll 8
#endif
    for (int ib = 0; ib < 8; ++ib) {
      const __m256i rows = x86::IqRows<F>(blk, prep, ib);
      constexpr bool kIq1 = F == Format::kIQ1S || F == Format::kIQ1M;
      // The magnitudes, and a byte per weight with the code's sign, nonzero where the code is.
      const __m256i u = kIq1 ? _mm256_abs_epi8(rows) : rows;
      const __m256i sg = kIq1 ? rows : x86::IqSignsPm1(prep.signs, ib);
      const __m256i sv = x86::IqScalePairs(prep.scales, ib);
      for (size_t t = 0; t < T; ++t) {
        const int8_t* aq = a.q + (t0 + t) * w.k + b * kSuperBlock + 32 * ib;
        const __m256i p = _mm256_maddubs_epi16(u, _mm256_sign_epi8(Load32(aq), sg));
        isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(p, sv));
      }
    }
    const float factor = Half16(IqHalfBits(F, blk)) * IqFactorScale(F);
    for (size_t t = 0; t < T; ++t) {
      const float s = a.scale[(t0 + t) * blocks + b];
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_set1_ps(factor * s), acc[t]);
    }
  }
  for (size_t t = 0; t < T; ++t) y[(t0 + t) * y_stride + r] = ReduceAdd(acc[t]);
}

template <template <size_t> class Tile>
void Gemm(const Weights& w, const Activations& a, size_t row_begin, size_t row_end, float* y,
          size_t y_stride) {
  for (size_t r = row_begin; r < row_end; ++r) {
    size_t t = 0;
    for (; t + kTokenTile <= a.n; t += kTokenTile) Tile<kTokenTile>::Run(w, a, r, t, y, y_stride);
    for (; t < a.n; ++t) Tile<1>::Run(w, a, r, t, y, y_stride);
  }
}

template <size_t T>
struct Q4K {
  static void Run(const Weights& w, const Activations& a, size_t r, size_t t, float* y, size_t s) {
    Q4KTile<T, false>(w, a, r, t, y, s);
  }
};
template <size_t T>
struct Q5K {
  static void Run(const Weights& w, const Activations& a, size_t r, size_t t, float* y, size_t s) {
    Q4KTile<T, true>(w, a, r, t, y, s);
  }
};
template <size_t T>
struct Q6K {
  static void Run(const Weights& w, const Activations& a, size_t r, size_t t, float* y, size_t s) {
    Q6KTile<T>(w, a, r, t, y, s);
  }
};

template <size_t T>
struct Q3K {
  static void Run(const Weights& w, const Activations& a, size_t r, size_t t, float* y, size_t s) {
    Q32KTile<T, Format::kQ3K>(w, a, r, t, y, s);
  }
};
template <size_t T>
struct Q2K {
  static void Run(const Weights& w, const Activations& a, size_t r, size_t t, float* y, size_t s) {
    Q32KTile<T, Format::kQ2K>(w, a, r, t, y, s);
  }
};
template <size_t T>
struct Q8_0 {
  static void Run(const Weights& w, const Activations& a, size_t r, size_t t, float* y, size_t s) {
    Block32Tile<T, Format::kQ8_0>(w, a, r, t, y, s);
  }
};
template <size_t T>
struct Q5_0 {
  static void Run(const Weights& w, const Activations& a, size_t r, size_t t, float* y, size_t s) {
    Block32Tile<T, Format::kQ5_0>(w, a, r, t, y, s);
  }
};

template <size_t T>
struct Q4_0 {
  static void Run(const Weights& w, const Activations& a, size_t r, size_t t, float* y, size_t s) {
    Block32Tile<T, Format::kQ4_0>(w, a, r, t, y, s);
  }
};

template <size_t T>
struct IQ4NL {
  static void Run(const Weights& w, const Activations& a, size_t r, size_t t, float* y, size_t s) {
    Block32Tile<T, Format::kIQ4NL>(w, a, r, t, y, s);
  }
};
template <size_t T>
struct IQ4XS {
  static void Run(const Weights& w, const Activations& a, size_t r, size_t t, float* y, size_t s) {
    IQ4XSTile<T>(w, a, r, t, y, s);
  }
};

// The i-quants by format, as a tile template of one parameter for Gemm.
template <Format F>
struct Iq {
  template <size_t T>
  struct Tile {
    static void Run(const Weights& w, const Activations& a, size_t r, size_t t, float* y,
                    size_t s) {
      IqTile<T, F>(w, a, r, t, y, s);
    }
  };
};

}  // namespace

void q4k_gemm__avx2(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                    float* y, size_t y_stride) {
  Gemm<Q4K>(w, a, row_begin, row_end, y, y_stride);
}

void q5k_gemm__avx2(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                    float* y, size_t y_stride) {
  Gemm<Q5K>(w, a, row_begin, row_end, y, y_stride);
}

void q6k_gemm__avx2(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                    float* y, size_t y_stride) {
  Gemm<Q6K>(w, a, row_begin, row_end, y, y_stride);
}

void q3k_gemm__avx2(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                    float* y, size_t y_stride) {
  Gemm<Q3K>(w, a, row_begin, row_end, y, y_stride);
}

void q2k_gemm__avx2(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                    float* y, size_t y_stride) {
  Gemm<Q2K>(w, a, row_begin, row_end, y, y_stride);
}

void q8_0_gemm__avx2(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                     float* y, size_t y_stride) {
  Gemm<Q8_0>(w, a, row_begin, row_end, y, y_stride);
}

void q5_0_gemm__avx2(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                     float* y, size_t y_stride) {
  Gemm<Q5_0>(w, a, row_begin, row_end, y, y_stride);
}

void q4_0_gemm__avx2(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                     float* y, size_t y_stride) {
  Gemm<Q4_0>(w, a, row_begin, row_end, y, y_stride);
}

void iq4nl_gemm__avx2(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                      float* y, size_t y_stride) {
  Gemm<IQ4NL>(w, a, row_begin, row_end, y, y_stride);
}

void iq4xs_gemm__avx2(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                      float* y, size_t y_stride) {
  Gemm<IQ4XS>(w, a, row_begin, row_end, y, y_stride);
}

#define LUTRA_IQ_AVX2(name, format)                                                                \
  void name##_gemm__avx2(const Weights& w, const Activations& a, size_t row_begin, size_t row_end, \
                         float* y, size_t y_stride) {                                              \
    Gemm<Iq<Format::k##format>::Tile>(w, a, row_begin, row_end, y, y_stride);                      \
  }
LUTRA_IQ_AVX2(iq2xxs, IQ2XXS)
LUTRA_IQ_AVX2(iq2xs, IQ2XS)
LUTRA_IQ_AVX2(iq2s, IQ2S)
LUTRA_IQ_AVX2(iq3xxs, IQ3XXS)
LUTRA_IQ_AVX2(iq3s, IQ3S)
LUTRA_IQ_AVX2(iq1s, IQ1S)
LUTRA_IQ_AVX2(iq1m, IQ1M)
#undef LUTRA_IQ_AVX2

namespace {

// Quantize() of quantize.cc eight values at a time (as the AVX-512 quantizer: the portable
// loop's float operations, so the same codes).
template <size_t G>
void QuantizeGroups(size_t k, const float* x, int8_t* q, float* scale, int16_t* bsum) {
  constexpr float kTinyBlock = 1e-36f;  // as quantize.cc
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256 sign_mask = _mm256_castsi256_ps(_mm256_set1_epi32(int(0x80000000u)));
  const __m256 half = _mm256_set1_ps(0.5f);
  for (size_t b = 0; b < k / G; ++b) {
    const float* xb = x + b * G;
    __m256 vmax = _mm256_setzero_ps(), nan = _mm256_setzero_ps();
    for (size_t i = 0; i < G; i += 8) {
      const __m256 v = _mm256_loadu_ps(xb + i);
      vmax = _mm256_max_ps(vmax, _mm256_and_ps(v, abs_mask));
      nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    }
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    const float amax =
        _mm256_movemask_ps(nan) ? std::numeric_limits<float>::quiet_NaN() : _mm_cvtss_f32(m);
    const bool usable = amax >= kTinyBlock && std::isfinite(amax);
    scale[b] = usable || !std::isfinite(amax) ? amax / 127.0f : 0.0f;
    const __m256 inv = _mm256_set1_ps(usable ? 127.0f / amax : 0.0f);
    for (size_t i = 0; i < G; i += 16) {
      __m256i c[2];
      for (int h = 0; h < 2; ++h) {
        __m256 v = _mm256_mul_ps(_mm256_loadu_ps(xb + i + 8 * h), inv);
        v = _mm256_and_ps(v, _mm256_cmp_ps(v, v, _CMP_ORD_Q));  // NaN (inf·0) → 0
        const __m256 r = _mm256_add_ps(v, _mm256_or_ps(_mm256_and_ps(v, sign_mask), half));
        c[h] = _mm256_cvttps_epi32(r);
      }
      // int32 → int16 (packs works per 128-bit half: the permute restores the order).
      const __m256i c16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(c[0], c[1]), 0xd8);
      const __m128i c8 =
          _mm_packs_epi16(_mm256_castsi256_si128(c16), _mm256_extracti128_si256(c16, 1));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(q + b * G + i), c8);
      const __m256i s32 = _mm256_add_epi32(c[0], c[1]);
      __m128i s = _mm_add_epi32(_mm256_castsi256_si128(s32), _mm256_extracti128_si256(s32, 1));
      s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
      s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
      bsum[(b * G + i) / kSumGroup] = int16_t(_mm_cvtsi128_si32(s));
    }
  }
}

}  // namespace

void quantize__avx2(Format format, size_t k, const float* x, int8_t* q, float* scale,
                    int16_t* bsum) {
  if (ScaleGroup(format) == 32) {
    QuantizeGroups<32>(k, x, q, scale, bsum);
  } else {
    QuantizeGroups<kSuperBlock>(k, x, q, scale, bsum);
  }
}

}  // namespace lutra::kernels::kquant
