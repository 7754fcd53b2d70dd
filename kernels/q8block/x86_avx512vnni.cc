// AVX-512 VNNI q8block GEMM: 64 codes per vpdpbusd, four rows sharing each activation load.
// vpdpbusd multiplies unsigned by signed bytes, so the signed codes are offset to q + 128
// (one xor) and each block's dot starts from −128·Σa, the activations' own correction, which
// all rows share. Block scales are combined (weight scale · activation scale) 16 blocks at
// a time and spread to the dword lanes of each 64-byte chunk by one permute: lane i of a chunk
// holds bytes 4i..4i+3, which belong to block 4i / B of the chunk.
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 flags the _mm512_undefined_*() placeholders inside its reductions; never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <immintrin.h>

#include <cstdint>

#include "kernels/q8block/variants.h"

namespace lutra::kernels::q8block {
namespace {

constexpr size_t kGroupBlocks = 16;  // blocks whose scales one zmm of floats holds

inline __mmask16 FirstLanes(size_t count) {
  return __mmask16((1u << count) - 1u);
}

inline __mmask64 FirstBytes(size_t count) {
  return count >= 64 ? ~__mmask64(0) : (__mmask64(1) << count) - 1;
}

// Rows [r0, r0 + R) for token t; B the block size.
template <size_t B, int R>
void Rows(const Weights& w, const Activations& a, size_t r0, size_t t, float* y, size_t y_stride) {
  constexpr size_t kChunkBlocks = 64 / B;
  const size_t nb = w.k / B;
  const int8_t* aq = a.q + t * a.k;
  const float* as = a.scale + t * nb;
  const float* ax = a.sum + t * nb;
  const int32_t* aqs = a.qsum + t * nb;
  // Lane i of a chunk belongs to block 4i / B of it; the correction sits in each block's
  // first lane only, so the block's lanes add it once.
  const __m512i lane_block = _mm512_srli_epi32(
      _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60),
      B == 32 ? 5 : 4);
  const __mmask16 block_first = B == 32 ? __mmask16(0x0101) : __mmask16(0x1111);
  const __m512i offset = _mm512_set1_epi8(char(0x80));

  __m512 acc[R];
  for (int i = 0; i < R; ++i) acc[i] = _mm512_setzero_ps();
  for (size_t b0 = 0; b0 < nb; b0 += kGroupBlocks) {
    const size_t count = nb - b0 < kGroupBlocks ? nb - b0 : kGroupBlocks;
    const __mmask16 m = FirstLanes(count);
    const __m512 sa = _mm512_maskz_loadu_ps(m, as + b0);
    const __m512i corr =
        _mm512_mullo_epi32(_mm512_maskz_loadu_epi32(m, aqs + b0), _mm512_set1_epi32(-128));
    __m512 scale[R];
    for (int i = 0; i < R; ++i) {
      const size_t row = (r0 + i) * nb + b0;
      scale[i] = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, w.scale + row), sa);
      if (w.min != nullptr) {
        // Σ min·Σx enters with a minus sign; fnmadd keeps it in the same accumulator.
        acc[i] = _mm512_fnmadd_ps(_mm512_maskz_loadu_ps(m, w.min + row),
                                  _mm512_maskz_loadu_ps(m, ax + b0), acc[i]);
      }
    }
    const size_t bytes = count * B;
    const int8_t* wq = w.q + r0 * w.k + b0 * B;
    const int8_t* xq = aq + b0 * B;
    __m512i idx = lane_block;
    for (size_t c = 0; c < bytes; c += 64) {
      const __mmask64 bm = FirstBytes(bytes - c);
      const __m512i av = _mm512_maskz_loadu_epi8(bm, xq + c);
      const __m512i start = _mm512_maskz_permutexvar_epi32(block_first, idx, corr);
      for (int i = 0; i < R; ++i) {
        // Every row is its own stream, a 4 KB page long at k = 4096, where the hardware
        // prefetcher starts cold again: the same place in the row R below is requested now.
        // (An integer address: past the last row it points outside the matrix.)
        _mm_prefetch(
            reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(wq + c) + (i + R) * w.k),
            _MM_HINT_T1);
        // Masked-off bytes load as 0 and offset to 128, but meet activation bytes of 0.
        const __m512i wv = _mm512_xor_si512(_mm512_maskz_loadu_epi8(bm, wq + i * w.k + c), offset);
        const __m512i dot = _mm512_dpbusd_epi32(start, wv, av);
        acc[i] =
            _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_permutexvar_ps(idx, scale[i]), acc[i]);
      }
      idx = _mm512_add_epi32(idx, _mm512_set1_epi32(int(kChunkBlocks)));
    }
  }
  for (int i = 0; i < R; ++i) y[t * y_stride + r0 + i] = _mm512_reduce_add_ps(acc[i]);
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

void gemm_w8a8_r4__avx512vnni(const Weights& w, const Activations& a, size_t row_begin,
                              size_t row_end, float* y, size_t y_stride) {
  if (w.block == 16) {
    Gemm<16>(w, a, row_begin, row_end, y, y_stride);
  } else {
    Gemm<32>(w, a, row_begin, row_end, y, y_stride);
  }
}

}  // namespace lutra::kernels::q8block
