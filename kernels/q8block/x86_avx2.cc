// AVX2 q8block GEMM: 32 codes per step, four rows sharing each activation load.
// vpmaddubsw multiplies unsigned by signed bytes into saturating int16 pair sums. With
// u = |q| ≤ 128 (q = −128 reads as the unsigned byte 128) and the activation given q's sign,
// |a| ≤ 127 (the quantizer never emits −128), a pair sum is at most 2·128·127 = 32512 <
// 32767: it never saturates. vpmaddwd then adds pairs into int32 lanes, lane i holding bytes
// 4i..4i+3, which belong to block 4i / B of the 32-byte step; one permute spreads the
// combined scales (weight scale · activation scale, 8 blocks per ymm) to those lanes.
#include <immintrin.h>

#include "kernels/q8block/variants.h"

namespace lutra::kernels::q8block {
namespace {

constexpr size_t kGroupBlocks = 8;  // blocks whose scales one ymm of floats holds

inline __m256i FirstLanes(size_t count) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(count)), lane);
}

// 32 bytes at p, or 16 then zeros when only half a step is left (B = 16, odd block count).
inline __m256i LoadStep(const int8_t* p, bool half) {
  return half ? _mm256_zextsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)))
              : _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

inline float ReduceAdd(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

template <size_t B, int R>
void Rows(const Weights& w, const Activations& a, size_t r0, size_t t, float* y, size_t y_stride) {
  constexpr size_t kStepBlocks = 32 / B;
  const size_t nb = w.k / B;
  const int8_t* aq = a.q + t * a.k;
  const float* as = a.scale + t * nb;
  const float* ax = a.sum + t * nb;
  const __m256i lane_block =
      B == 32 ? _mm256_setzero_si256() : _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
  const __m256i ones = _mm256_set1_epi16(1);

  __m256 acc[R];
  for (int i = 0; i < R; ++i) acc[i] = _mm256_setzero_ps();
  for (size_t b0 = 0; b0 < nb; b0 += kGroupBlocks) {
    const size_t count = nb - b0 < kGroupBlocks ? nb - b0 : kGroupBlocks;
    const __m256i m = FirstLanes(count);
    const __m256 sa = _mm256_maskload_ps(as + b0, m);
    __m256 scale[R];
    for (int i = 0; i < R; ++i) {
      const size_t row = (r0 + i) * nb + b0;
      scale[i] = _mm256_mul_ps(_mm256_maskload_ps(w.scale + row, m), sa);
      if (w.min != nullptr) {
        acc[i] = _mm256_fnmadd_ps(_mm256_maskload_ps(w.min + row, m),
                                  _mm256_maskload_ps(ax + b0, m), acc[i]);
      }
    }
    const size_t bytes = count * B;
    __m256i idx = lane_block;
    for (size_t c = 0; c < bytes; c += 32) {
      const bool half = bytes - c < 32;
      const __m256i av = LoadStep(aq + b0 * B + c, half);
      for (int i = 0; i < R; ++i) {
        const __m256i wv = LoadStep(w.q + (r0 + i) * w.k + b0 * B + c, half);
        const __m256i pairs =
            _mm256_maddubs_epi16(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(av, wv));
        const __m256i dot = _mm256_madd_epi16(pairs, ones);
        acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_permutevar8x32_ps(scale[i], idx),
                                 acc[i]);
      }
      idx = _mm256_add_epi32(idx, _mm256_set1_epi32(int(kStepBlocks)));
    }
  }
  for (int i = 0; i < R; ++i) y[t * y_stride + r0 + i] = ReduceAdd(acc[i]);
}

template <size_t B>
void Gemm(const Weights& w, const Activations& a, size_t row_begin, size_t row_end, float* y,
          size_t y_stride) {
  size_t r = row_begin;
  for (; r + 4 <= row_end; r += 4) {
    for (size_t t = 0; t < a.n; ++t) Rows<B, 4>(w, a, r, t, y, y_stride);
  }
  for (; r < row_end; ++r) {
    for (size_t t = 0; t < a.n; ++t) Rows<B, 1>(w, a, r, t, y, y_stride);
  }
}

}  // namespace

void gemm_w8a8_r4__avx2(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y, size_t y_stride) {
  if (w.block == 16) {
    Gemm<16>(w, a, row_begin, row_end, y, y_stride);
  } else {
    Gemm<32>(w, a, row_begin, row_end, y, y_stride);
  }
}

}  // namespace lutra::kernels::q8block
