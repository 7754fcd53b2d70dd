// AVX-512 (F/BW) kquant GEMMs: the AVX2 scheme (x86_avx2.cc) on 64 codes per step. One
// vpermw spreads the step's sub-block scales over its int16 pair sums; Q6_K's two high bits
// come from one 32-byte qh load broadcast to both halves and shifted by a per-half count.
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 flags the _mm512_undefined_*() placeholders inside its intrinsics; never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include <array>

#include "kernels/kquant/block_fields.h"
#include "kernels/kquant/variants.h"

namespace lutra::kernels::kquant {
namespace {

constexpr size_t kTokenTile = 4;

inline __m512i Load64(const void* p) {
  return _mm512_loadu_si512(p);
}
inline __m256i Load32(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}
// 32 bytes at p, then 32 at q.
inline __m512i LoadHalves(const void* p, const void* q) {
  return _mm512_inserti64x4(_mm512_zextsi256_si512(Load32(p)), Load32(q), 1);
}

// int16 lane j of the result takes scale (j / width)-th of `first`, `first + 1`, ...:
// vpermw indices, 32 lanes.
inline __m512i SpreadIndex(int first, int width, int stride) {
  alignas(64) std::array<int16_t, 32> idx{};
  for (int j = 0; j < 32; ++j) idx[size_t(j)] = int16_t(first + (j / width) * stride);
  return _mm512_load_si512(idx.data());
}

template <size_t T>
void Q4KTile(const Weights& w, const Activations& a, size_t r, size_t t0, float* y,
             size_t y_stride) {
  const size_t blocks = w.k / kSuperBlock, sums = w.k / kSumGroup;
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  // Step p's low nibbles are sub-blocks 4p and 4p + 2, its high nibbles 4p + 1 and 4p + 3.
  const __m512i spread[2][2] = {{SpreadIndex(0, 16, 2), SpreadIndex(1, 16, 2)},
                                {SpreadIndex(4, 16, 2), SpreadIndex(5, 16, 2)}};
  __m512 acc[T];
  for (size_t t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  const uint8_t* row = w.data + r * w.row_bytes;
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * BlockBytes(Format::kQ4K);
    uint8_t sc[8], mn[8];
    Q4KScalesMins(blk + kQ4KScales, sc, mn);
    uint64_t sc8, mn8;
    std::memcpy(&sc8, sc, 8);
    std::memcpy(&mn8, mn, 8);
    const __m512i scales =
        _mm512_zextsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(int64_t(sc8))));
    const __m128i m16 = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(int64_t(mn8)));
    const __m256i mins =
        _mm256_setr_m128i(_mm_unpacklo_epi16(m16, m16), _mm_unpackhi_epi16(m16, m16));
    __m512i isum[T];
    for (size_t t = 0; t < T; ++t) isum[t] = _mm512_setzero_si512();
    for (int p = 0; p < 2; ++p) {
      const __m512i qs = Load64(blk + kQ4KQs + 64 * p);
      const __m512i lo = _mm512_and_si512(qs, low4);
      const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(qs, 4), low4);
      const __m512i s_lo = _mm512_permutexvar_epi16(spread[p][0], scales);
      const __m512i s_hi = _mm512_permutexvar_epi16(spread[p][1], scales);
      for (size_t t = 0; t < T; ++t) {
        const int8_t* aq = a.q + (t0 + t) * w.k + b * kSuperBlock + 128 * p;
        const __m512i p_lo = _mm512_maddubs_epi16(lo, LoadHalves(aq, aq + 64));
        const __m512i p_hi = _mm512_maddubs_epi16(hi, LoadHalves(aq + 32, aq + 96));
        isum[t] = _mm512_add_epi32(isum[t], _mm512_madd_epi16(p_lo, s_lo));
        isum[t] = _mm512_add_epi32(isum[t], _mm512_madd_epi16(p_hi, s_hi));
      }
    }
    const float d = HalfAt(blk), dmin = HalfAt(blk + 2);
    for (size_t t = 0; t < T; ++t) {
      const size_t tok = t0 + t;
      const float s = a.scale[tok * blocks + b];
      const __m256i msum =
          _mm256_madd_epi16(Load32(a.bsum + tok * sums + b * (kSuperBlock / kSumGroup)), mins);
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_set1_ps(d * s), acc[t]);
      acc[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(_mm512_zextsi256_si512(msum)),
                                _mm512_set1_ps(dmin * s), acc[t]);
    }
  }
  for (size_t t = 0; t < T; ++t) y[(t0 + t) * y_stride + r] = _mm512_reduce_add_ps(acc[t]);
}

template <size_t T>
void Q6KTile(const Weights& w, const Activations& a, size_t r, size_t t0, float* y,
             size_t y_stride) {
  const size_t blocks = w.k / kSuperBlock, sums = w.k / kSumGroup;
  const __m512i low4 = _mm512_set1_epi8(0x0f), bits45 = _mm512_set1_epi8(0x30);
  // Quarters 0 | 1 (low nibbles) take qh bits 0–1 | 2–3 to bits 4–5, quarters 2 | 3 (high
  // nibbles) bits 4–5 | 6–7.
  const __m512i up = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
  const __m512i down = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
  // Half h's low-nibble step is sub-blocks 8h..8h+3, its high-nibble step 8h+4..8h+7.
  const __m512i spread[2][2] = {{SpreadIndex(0, 8, 1), SpreadIndex(4, 8, 1)},
                                {SpreadIndex(8, 8, 1), SpreadIndex(12, 8, 1)}};
  __m512 acc[T];
  for (size_t t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  const uint8_t* row = w.data + r * w.row_bytes;
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * BlockBytes(Format::kQ6K);
    const __m256i sc16 =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + kQ6KScales)));
    const __m512i scales = _mm512_zextsi256_si512(sc16);
    __m512i isum[T];
    for (size_t t = 0; t < T; ++t) isum[t] = _mm512_setzero_si512();
    for (int h = 0; h < 2; ++h) {
      const __m512i ql = Load64(blk + 64 * h);
      const __m512i qh = _mm512_broadcast_i64x4(Load32(blk + kQ6KQh + 32 * h));
      const __m512i q_lo = _mm512_or_si512(_mm512_and_si512(ql, low4),
                                           _mm512_and_si512(_mm512_sllv_epi16(qh, up), bits45));
      const __m512i q_hi = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                                           _mm512_and_si512(_mm512_srlv_epi16(qh, down), bits45));
      const __m512i s_lo = _mm512_permutexvar_epi16(spread[h][0], scales);
      const __m512i s_hi = _mm512_permutexvar_epi16(spread[h][1], scales);
      for (size_t t = 0; t < T; ++t) {
        const int8_t* aq = a.q + (t0 + t) * w.k + b * kSuperBlock + 128 * h;
        const __m512i p_lo = _mm512_maddubs_epi16(q_lo, Load64(aq));
        const __m512i p_hi = _mm512_maddubs_epi16(q_hi, Load64(aq + 64));
        isum[t] = _mm512_add_epi32(isum[t], _mm512_madd_epi16(p_lo, s_lo));
        isum[t] = _mm512_add_epi32(isum[t], _mm512_madd_epi16(p_hi, s_hi));
      }
    }
    const float d = HalfAt(blk + kQ6KD);
    for (size_t t = 0; t < T; ++t) {
      const size_t tok = t0 + t;
      // The codes are q − 32: Σ_b sc_b·32·bsum_b comes off the integer sum.
      const __m256i offset =
          _mm256_madd_epi16(Load32(a.bsum + tok * sums + b * (kSuperBlock / kSumGroup)), sc16);
      const __m512i total =
          _mm512_sub_epi32(isum[t], _mm512_zextsi256_si512(_mm256_slli_epi32(offset, 5)));
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(total),
                               _mm512_set1_ps(d * a.scale[tok * blocks + b]), acc[t]);
    }
  }
  for (size_t t = 0; t < T; ++t) y[(t0 + t) * y_stride + r] = _mm512_reduce_add_ps(acc[t]);
}

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

void q4k_gemm__avx512(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                      float* y, size_t y_stride) {
  Gemm<Q4KTile<1>, Q4KTile<kTokenTile>>(w, a, row_begin, row_end, y, y_stride);
}

void q6k_gemm__avx512(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                      float* y, size_t y_stride) {
  Gemm<Q6KTile<1>, Q6KTile<kTokenTile>>(w, a, row_begin, row_end, y, y_stride);
}

}  // namespace lutra::kernels::kquant
