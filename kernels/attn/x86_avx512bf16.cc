// AVX-512 BF16 attn kernels for bf16 caches: vdpbf16ps does 32 multiply-adds per instruction
// (two per fp32 lane), twice the fp32 FMA rate, on the pair layouts of attn.h. Q and P are
// rounded to bf16 once per call (rows × d, rows × n elements), in small slices kept in L1.
// qk: per key block, 8 query rows × 32 positions in 16 zmm accumulators; each 128-byte dimension
// pair of the block is loaded once and applied to every row with that row's (q[2j], q[2j+1])
// pair broadcast. pv: 4 query rows × 64 dimensions in 16 accumulators; each position pair's
// 256-byte run of values is loaded once and applied with the rows' (P[p], P[p+1]) pairs.
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 flags the _mm512_undefined_*() placeholders inside its intrinsics; never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <immintrin.h>

#include <algorithm>

#include "kernels/attn/attn.h"
#include "kernels/attn/row_blocks.h"
#include "kernels/attn/variants.h"

namespace lutra::kernels::attn {
namespace {

constexpr size_t kPrefetchBlocks = 4;  // key blocks ahead
constexpr size_t kPrefetchPairs = 8;   // value position pairs ahead
// Further ahead into L2, so that memory works on the next blocks through the phases that read
// none (the softmax between the products) and the products find them there: out of cache,
// faster than the L1 prefetches alone (docs/measurements.md).
constexpr size_t kFarBlocks = 4 * kPrefetchBlocks;
constexpr size_t kFarPairs = 8 * kPrefetchPairs;
constexpr size_t kQkSliceDims = 512;  // Q dimensions converted per pass (8 rows: 8 KiB)
constexpr size_t kPvChunkPairs = 64;  // P position pairs converted per pass (4 rows: 1 KiB)

inline __mmask16 Mask(size_t left) {
  return left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1u);
}

inline __m512 Dot(__m512 acc, __m512i a, __m512i b) {
  return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)b);
}

// count floats at src rounded to bf16 pairs at dst: ⌈count / 2⌉ whole words, an odd count's
// last word completed with +0 (so a zero weight, never stale stack bits, meets the unused
// value half).
inline void ToBf16Pairs(const float* src, size_t count, uint32_t* dst) {
  const size_t padded = (count + 1) & ~size_t{1};
  for (size_t i = 0; i < padded; i += 16) {
    const __m512 x = _mm512_maskz_loadu_ps(Mask(count - i), src + i);
    const __m256i b = (__m256i)_mm512_cvtneps_pbh(x);
    _mm256_mask_storeu_epi16(reinterpret_cast<uint16_t*>(dst) + i, Mask(padded - i), b);
  }
}

template <size_t R>
void QkRows(size_t d, size_t n, const float* q, size_t qs, const uint16_t* k, float* s, size_t ss) {
  const size_t block_elems = kKeyBlock * d;
  alignas(64) uint32_t qb[R][kQkSliceDims / 2];
  for (size_t t0 = 0; t0 < d; t0 += kQkSliceDims) {
    const size_t dims = std::min(kQkSliceDims, d - t0), pairs = dims / 2;
    for (size_t r = 0; r < R; ++r) ToBf16Pairs(q + r * qs + t0, dims, qb[r]);
    for (size_t p = 0; p < n; p += kKeyBlock) {
      // Dimension pair j of the block starts 2·kKeyBlock elements after pair j − 1.
      const uint16_t* kb = k + p / kKeyBlock * block_elems + t0 * kKeyBlock;
      __m512 acc[R][2];
#pragma GCC unroll 8
      for (size_t r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
      for (size_t j = 0; j < pairs; ++j) {
        const uint16_t* kr = kb + j * 2 * kKeyBlock;
        const char* ahead = reinterpret_cast<const char*>(kr + kPrefetchBlocks * block_elems);
        _mm_prefetch(ahead, _MM_HINT_T0);
        _mm_prefetch(ahead + 64, _MM_HINT_T0);
        const char* far = reinterpret_cast<const char*>(kr + kFarBlocks * block_elems);
        _mm_prefetch(far, _MM_HINT_T1);
        _mm_prefetch(far + 64, _MM_HINT_T1);
        const __m512i k0 = _mm512_loadu_si512(kr), k1 = _mm512_loadu_si512(kr + 32);
#pragma GCC unroll 8
        for (size_t r = 0; r < R; ++r) {
          const __m512i qv = _mm512_set1_epi32(int(qb[r][j]));
          acc[r][0] = Dot(acc[r][0], k0, qv);
          acc[r][1] = Dot(acc[r][1], k1, qv);
        }
      }
      const __mmask16 m0 = Mask(n - p), m1 = n - p > 16 ? Mask(n - p - 16) : __mmask16(0);
#pragma GCC unroll 8
      for (size_t r = 0; r < R; ++r) {
        float* sr = s + r * ss + p;
        if (t0 > 0) {  // later slices of a very long head add to the scores
          acc[r][0] = _mm512_add_ps(acc[r][0], _mm512_maskz_loadu_ps(m0, sr));
          acc[r][1] = _mm512_add_ps(acc[r][1], _mm512_maskz_loadu_ps(m1, sr + 16));
        }
        _mm512_mask_storeu_ps(sr, m0, acc[r][0]);
        _mm512_mask_storeu_ps(sr + 16, m1, acc[r][1]);
      }
    }
  }
}

// o[r, t0..t0+64) = Σ_p P[r, p]·V(p, t0..): up to 4 zmm of dimensions, masked at d's end.
template <size_t R>
void PvTile(size_t d, size_t t0, size_t n, const float* pr, size_t ps, const uint16_t* v, float* o,
            size_t os) {
  __mmask16 m[4];
  for (size_t j = 0; j < 4; ++j) m[j] = t0 + 16 * j < d ? Mask(d - t0 - 16 * j) : __mmask16(0);
  __m512 acc[R][4];
#pragma GCC unroll 4
  for (size_t r = 0; r < R; ++r)
    acc[r][0] = acc[r][1] = acc[r][2] = acc[r][3] = _mm512_setzero_ps();
  alignas(64) uint32_t pb[R][kPvChunkPairs];
  const size_t pairs = (n + 1) / 2;
  const uint16_t* vt = v + 2 * t0;
  for (size_t c0 = 0; c0 < pairs; c0 += kPvChunkPairs) {
    const size_t chunk = std::min(kPvChunkPairs, pairs - c0);
    // An odd n leaves the last pair half empty: its P converts as 0 (masked load), and its
    // value half is masked off below, so whatever the storage holds there cannot reach O.
    const size_t floats = std::min(2 * chunk, n - 2 * c0);
    for (size_t r = 0; r < R; ++r) ToBf16Pairs(pr + r * ps + 2 * c0, floats, pb[r]);
    for (size_t i = 0; i < chunk; ++i) {
      const size_t pair = c0 + i;
      const uint16_t* row = vt + pair * 2 * d;
      for (size_t line = 0; line < 256; line += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(row + kPrefetchPairs * 2 * d) + line,
                     _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(row + kFarPairs * 2 * d) + line, _MM_HINT_T1);
      }
      __m512i vv[4];
#pragma GCC unroll 4
      for (size_t j = 0; j < 4; ++j) vv[j] = _mm512_maskz_loadu_epi32(m[j], row + 32 * j);
      if (2 * pair + 1 == n) {
#pragma GCC unroll 4
        for (size_t j = 0; j < 4; ++j) vv[j] = _mm512_and_si512(vv[j], _mm512_set1_epi32(0xFFFF));
      }
#pragma GCC unroll 4
      for (size_t r = 0; r < R; ++r) {
        const __m512i b = _mm512_set1_epi32(int(pb[r][i]));
#pragma GCC unroll 4
        for (size_t j = 0; j < 4; ++j) acc[r][j] = Dot(acc[r][j], vv[j], b);
      }
    }
  }
#pragma GCC unroll 4
  for (size_t r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (size_t j = 0; j < 4; ++j) _mm512_mask_storeu_ps(o + r * os + t0 + 16 * j, m[j], acc[r][j]);
  }
}

template <size_t R>
void PvRows(size_t d, size_t n, const float* pr, size_t ps, const uint16_t* v, float* o,
            size_t os) {
  for (size_t t0 = 0; t0 < d; t0 += 64) PvTile<R>(d, t0, n, pr, ps, v, o, os);
}

}  // namespace

void qk_bf16_u32__avx512bf16(size_t rows, size_t d, size_t n, const float* q, size_t qs,
                             const uint16_t* k, float* s, size_t ss) {
  ForRowBlocks<8>(rows, [&](auto R, size_t r) {
    QkRows<decltype(R)::value>(d, n, q + r * qs, qs, k, s + r * ss, ss);
  });
}

void pv_bf16_u32__avx512bf16(size_t rows, size_t d, size_t n, const float* p, size_t ps,
                             const uint16_t* v, float* o, size_t os) {
  ForRowBlocks<4>(rows, [&](auto R, size_t r) {
    PvRows<decltype(R)::value>(d, n, p + r * ps, ps, v, o + r * os, os);
  });
}

}  // namespace lutra::kernels::attn
