// AVX2 q4rows GEMM on the ARM layout (q4rows.h), so one packed matrix serves every ISA. A ymm
// of codes is two k-quads (16 bytes each: rows 0..3 × 4 k); 16·(q − 8) comes from a 16-bit
// shift left by 4 and a mask with 0xF0 (low nibbles; the bits the shift carries in from the
// byte below land under the mask) or the mask alone (high nibbles). vpmaddubsw multiplies
// |w| ≤ 128 (−128 reads as the unsigned byte 128) by the activation given w's sign, |a| ≤ 127:
// a pair sum is at most 2·128·127 = 32512 < 32767, never saturating; vpmaddwd then adds pairs
// into int32 lanes, lane j of each 128-bit half = row j of that half's k-quad. The activations
// of each k-quad are broadcast to their half by one byte shuffle. One group of four rows per
// step, up to two tokens per weight load.
#include <immintrin.h>

#include <cstring>

#include "kernels/q4rows/variants.h"

namespace lutra::kernels::q4rows {
namespace {

constexpr size_t kBlocksPerSpan = kSpan / kBlock;

// Shuffle control: lane 0 repeats bytes 4q..4q+3, lane 1 bytes 4q+4..4q+7 (of its own copy of
// the 16 activations).
inline __m256i QuadPair(int q) {
  const char a = char(4 * q), b = char(4 * q + 4);
  return _mm256_setr_epi8(a, a + 1, a + 2, a + 3, a, a + 1, a + 2, a + 3, a, a + 1, a + 2, a + 3, a,
                          a + 1, a + 2, a + 3, b, b + 1, b + 2, b + 3, b, b + 1, b + 2, b + 3, b,
                          b + 1, b + 2, b + 3, b, b + 1, b + 2, b + 3);
}

// Σ over the pair of k-quads of w·a per row, as int32 [quad 2q rows 0..3 | quad 2q+1 rows 0..3].
inline __m256i Dot(__m256i w, __m256i a) {
  const __m256i prod = _mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(a, w));
  return _mm256_madd_epi16(prod, _mm256_set1_epi16(1));
}

template <size_t T>
inline void Tile(const Weights& w, const Activations& a, size_t g, size_t t0, size_t row_end,
                 float* y, size_t y_stride) {
  const size_t blocks = w.k / kBlock, spans = Spans(w.k);
  const __m256i mask = _mm256_set1_epi8(char(0xF0));
  const __m256i quads01 = QuadPair(0), quads23 = QuadPair(2);
  const uint8_t* scales = w.data + g * GroupBytes(w.k);
  const uint8_t* codes = scales + blocks * kRows * 2;
  __m128 acc[T];
  for (size_t t = 0; t < T; ++t) acc[t] = _mm_setzero_ps();
  for (size_t span = 0; span < spans; ++span) {
    const size_t b0 = span * kBlocksPerSpan;
    const size_t b1 = blocks - b0 < kBlocksPerSpan ? blocks : b0 + kBlocksPerSpan;
    __m128 part[T];
    for (size_t t = 0; t < T; ++t) part[t] = _mm_setzero_ps();
    for (size_t b = b0; b < b1; ++b) {
      const uint8_t* c = codes + b * (kRows * kBlock / 2);
      const __m256i v01 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c));
      const __m256i v23 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + 32));
      const __m256i lo01 = _mm256_and_si256(_mm256_slli_epi16(v01, 4), mask);
      const __m256i lo23 = _mm256_and_si256(_mm256_slli_epi16(v23, 4), mask);
      const __m256i hi01 = _mm256_and_si256(v01, mask), hi23 = _mm256_and_si256(v23, mask);
      const __m128 d =
          _mm_cvtph_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(scales + b * kRows * 2)));
      for (size_t t = 0; t < T; ++t) {
        const int8_t* ab = a.q + (t0 + t) * a.k + b * kBlock;
        const __m256i a0 =
            _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(ab)));
        const __m256i a1 =
            _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(ab + 16)));
        __m256i sum = Dot(lo01, _mm256_shuffle_epi8(a0, quads01));
        sum = _mm256_add_epi32(sum, Dot(lo23, _mm256_shuffle_epi8(a0, quads23)));
        sum = _mm256_add_epi32(sum, Dot(hi01, _mm256_shuffle_epi8(a1, quads01)));
        sum = _mm256_add_epi32(sum, Dot(hi23, _mm256_shuffle_epi8(a1, quads23)));
        const __m128i dot =
            _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
        part[t] = _mm_fmadd_ps(_mm_cvtepi32_ps(dot), d, part[t]);  // 16·d·D, exact scaling
      }
    }
    for (size_t t = 0; t < T; ++t) {
      // 1/16 undoes the codes' ×16 (a power of two: no rounding).
      const float s = a.scale[(t0 + t) * spans + span] * 0.0625f;
      acc[t] = _mm_fmadd_ps(part[t], _mm_set1_ps(s), acc[t]);
    }
  }
  const size_t r0 = g * kRows;
  const size_t rows = row_end - r0 < kRows ? row_end - r0 : kRows;
  for (size_t t = 0; t < T; ++t) {
    float* yt = y + (t0 + t) * y_stride + r0;
    if (rows == kRows) {
      _mm_storeu_ps(yt, acc[t]);
    } else {
      float buf[kRows];
      _mm_storeu_ps(buf, acc[t]);
      std::memcpy(yt, buf, rows * sizeof(float));
    }
  }
}

}  // namespace

void gemm_r4t2__avx2(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                     float* y, size_t y_stride) {
  for (size_t g = row_begin / kRows; g < Groups(row_end); ++g) {
    size_t t = 0;
    for (; t + 2 <= a.n; t += 2) Tile<2>(w, a, g, t, row_end, y, y_stride);
    if (t < a.n) Tile<1>(w, a, g, t, row_end, y, y_stride);
  }
}

}  // namespace lutra::kernels::q4rows
