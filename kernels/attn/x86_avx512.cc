// AVX-512 attn kernels. qk: per key block (32 positions, d contiguous rows of 32), blocks of
// 8 query rows hold their 32 scores in 16 zmm accumulators; each K row of the block is loaded
// (fp16 converted) once and FMA'd into all 8 rows. pv: V rows are position-major; blocks of 4
// query rows × 64 output dimensions live in 16 zmm accumulators, and for each position one V
// segment is loaded once and FMA'd with the 4 rows' broadcast probabilities. Tails use masked
// loads/stores.
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
constexpr size_t kPrefetchRows = 16;   // V rows ahead (whole 64-dim segments: 256 bytes in fp32)
// Further ahead into L2, so that memory works on the next blocks through the phases that read
// none (the softmax between the products) and the products find them there.
constexpr size_t kFarBlocks = 4 * kPrefetchBlocks;
constexpr size_t kFarRows = 8 * kPrefetchRows;

inline __mmask16 Mask(size_t left) {
  return left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1u);
}

inline __m512 Load(const float* p, __mmask16 m) {
  return _mm512_maskz_loadu_ps(m, p);
}
inline __m512 Load(const uint16_t* p, __mmask16 m) {
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
}
inline __m512 LoadFull(const float* p) {
  return _mm512_loadu_ps(p);
}
inline __m512 LoadFull(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

template <size_t R, typename T>
void QkRows(size_t d, size_t n, const float* q, size_t qs, const T* k, float* s, size_t ss) {
  const size_t block_elems = kKeyBlock * d;
  for (size_t p = 0; p < n; p += kKeyBlock) {
    const T* kb = k + p / kKeyBlock * block_elems;
    __m512 acc[R][2];
#pragma GCC unroll 8
    for (size_t r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (size_t t = 0; t < d; ++t) {
      const T* kr = kb + t * kKeyBlock;
      for (size_t line = 0; line < kKeyBlock * sizeof(T); line += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(kr + kPrefetchBlocks * block_elems) + line,
                     _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(kr + kFarBlocks * block_elems) + line,
                     _MM_HINT_T1);
      }
      const __m512 k0 = LoadFull(kr), k1 = LoadFull(kr + 16);
#pragma GCC unroll 8
      for (size_t r = 0; r < R; ++r) {
        const __m512 qv = _mm512_set1_ps(q[r * qs + t]);
        acc[r][0] = _mm512_fmadd_ps(qv, k0, acc[r][0]);
        acc[r][1] = _mm512_fmadd_ps(qv, k1, acc[r][1]);
      }
    }
    const __mmask16 m0 = Mask(n - p), m1 = n - p > 16 ? Mask(n - p - 16) : __mmask16(0);
#pragma GCC unroll 8
    for (size_t r = 0; r < R; ++r) {
      _mm512_mask_storeu_ps(s + r * ss + p, m0, acc[r][0]);
      _mm512_mask_storeu_ps(s + r * ss + p + 16, m1, acc[r][1]);
    }
  }
}

// o[r, t0..t0+64) = Σ_p P[r, p]·V(p, t0..): up to 4 zmm of dimensions, masked at d's end.
template <size_t R, typename T>
void PvTile(size_t d, size_t t0, size_t n, const float* pr, size_t ps, const T* v, float* o,
            size_t os) {
  __mmask16 m[4];
  for (size_t j = 0; j < 4; ++j) m[j] = t0 + 16 * j < d ? Mask(d - t0 - 16 * j) : __mmask16(0);
  __m512 acc[R][4];
#pragma GCC unroll 4
  for (size_t r = 0; r < R; ++r)
    acc[r][0] = acc[r][1] = acc[r][2] = acc[r][3] = _mm512_setzero_ps();
  const T* vt = v + t0;
  for (size_t p = 0; p < n; ++p) {
    const T* row = vt + p * d;
    for (size_t line = 0; line < 64 * sizeof(T); line += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(row + kPrefetchRows * d) + line, _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(row + kFarRows * d) + line, _MM_HINT_T1);
    }
    __m512 vv[4];
#pragma GCC unroll 4
    for (size_t j = 0; j < 4; ++j) vv[j] = Load(row + 16 * j, m[j]);
#pragma GCC unroll 4
    for (size_t r = 0; r < R; ++r) {
      const __m512 b = _mm512_set1_ps(pr[r * ps + p]);
#pragma GCC unroll 4
      for (size_t j = 0; j < 4; ++j) acc[r][j] = _mm512_fmadd_ps(b, vv[j], acc[r][j]);
    }
  }
#pragma GCC unroll 4
  for (size_t r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (size_t j = 0; j < 4; ++j) _mm512_mask_storeu_ps(o + r * os + t0 + 16 * j, m[j], acc[r][j]);
  }
}

template <size_t R, typename T>
void PvRows(size_t d, size_t n, const float* pr, size_t ps, const T* v, float* o, size_t os) {
  for (size_t t0 = 0; t0 < d; t0 += 64) PvTile<R>(d, t0, n, pr, ps, v, o, os);
}

template <typename T>
void Qk(size_t rows, size_t d, size_t n, const float* q, size_t qs, const T* k, float* s,
        size_t ss) {
  ForRowBlocks<8>(rows, [&](auto R, size_t r) {
    QkRows<decltype(R)::value>(d, n, q + r * qs, qs, k, s + r * ss, ss);
  });
}

template <typename T>
void Pv(size_t rows, size_t d, size_t n, const float* p, size_t ps, const T* v, float* o,
        size_t os) {
  ForRowBlocks<4>(rows, [&](auto R, size_t r) {
    PvRows<decltype(R)::value>(d, n, p + r * ps, ps, v, o + r * os, os);
  });
}

// bf16 caches (pair layouts of attn.h), widened exactly to fp32: a 32-bit lane holding the
// pair (lo, hi) gives lo as lane << 16 and hi as lane & 0xFFFF0000. Q and P stay fp32.
inline __m512 PairLo(__m512i x) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(x, 16));
}
inline __m512 PairHi(__m512i x) {
  return _mm512_castsi512_ps(_mm512_and_si512(x, _mm512_set1_epi32(int(0xFFFF0000u))));
}

template <size_t R>
void QkBf16Rows(size_t d, size_t n, const float* q, size_t qs, const uint16_t* k, float* s,
                size_t ss) {
  const size_t block_elems = kKeyBlock * d;
  for (size_t p = 0; p < n; p += kKeyBlock) {
    const uint16_t* kb = k + p / kKeyBlock * block_elems;
    __m512 acc[R][2];
#pragma GCC unroll 8
    for (size_t r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (size_t t = 0; t < d; t += 2) {
      const uint16_t* kr = kb + t * kKeyBlock;  // dimension pair t / 2: 2·kKeyBlock elements
      const char* ahead = reinterpret_cast<const char*>(kr + kPrefetchBlocks * block_elems);
      _mm_prefetch(ahead, _MM_HINT_T0);
      _mm_prefetch(ahead + 64, _MM_HINT_T0);
      const __m512i x0 = _mm512_loadu_si512(kr), x1 = _mm512_loadu_si512(kr + 32);
      const __m512 e0 = PairLo(x0), o0 = PairHi(x0), e1 = PairLo(x1), o1 = PairHi(x1);
#pragma GCC unroll 8
      for (size_t r = 0; r < R; ++r) {
        const __m512 qe = _mm512_set1_ps(q[r * qs + t]), qo = _mm512_set1_ps(q[r * qs + t + 1]);
        acc[r][0] = _mm512_fmadd_ps(qo, o0, _mm512_fmadd_ps(qe, e0, acc[r][0]));
        acc[r][1] = _mm512_fmadd_ps(qo, o1, _mm512_fmadd_ps(qe, e1, acc[r][1]));
      }
    }
    const __mmask16 m0 = Mask(n - p), m1 = n - p > 16 ? Mask(n - p - 16) : __mmask16(0);
#pragma GCC unroll 8
    for (size_t r = 0; r < R; ++r) {
      _mm512_mask_storeu_ps(s + r * ss + p, m0, acc[r][0]);
      _mm512_mask_storeu_ps(s + r * ss + p + 16, m1, acc[r][1]);
    }
  }
}

// o[r, t0..t0+64) over position pairs; an odd n's last pair uses only its first position.
template <size_t R>
void PvBf16Tile(size_t d, size_t t0, size_t n, const float* pr, size_t ps, const uint16_t* v,
                float* o, size_t os) {
  __mmask16 m[4];
  for (size_t j = 0; j < 4; ++j) m[j] = t0 + 16 * j < d ? Mask(d - t0 - 16 * j) : __mmask16(0);
  __m512 acc[R][4];
#pragma GCC unroll 4
  for (size_t r = 0; r < R; ++r)
    acc[r][0] = acc[r][1] = acc[r][2] = acc[r][3] = _mm512_setzero_ps();
  const uint16_t* vt = v + 2 * t0;
  size_t p = 0;
  for (; p + 2 <= n; p += 2) {
    const uint16_t* row = vt + p * d;  // pair p / 2 starts 2·d elements after the previous one
    for (size_t line = 0; line < 256; line += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(row + kPrefetchRows * d) + line, _MM_HINT_T0);
    }
    __m512 ve[4], vo[4];
#pragma GCC unroll 4
    for (size_t j = 0; j < 4; ++j) {
      const __m512i x = _mm512_maskz_loadu_epi32(m[j], row + 32 * j);
      ve[j] = PairLo(x), vo[j] = PairHi(x);
    }
#pragma GCC unroll 4
    for (size_t r = 0; r < R; ++r) {
      const __m512 a = _mm512_set1_ps(pr[r * ps + p]), b = _mm512_set1_ps(pr[r * ps + p + 1]);
#pragma GCC unroll 4
      for (size_t j = 0; j < 4; ++j)
        acc[r][j] = _mm512_fmadd_ps(b, vo[j], _mm512_fmadd_ps(a, ve[j], acc[r][j]));
    }
  }
  if (p < n) {
    const uint16_t* row = vt + p * d;
    __m512 ve[4];
#pragma GCC unroll 4
    for (size_t j = 0; j < 4; ++j) ve[j] = PairLo(_mm512_maskz_loadu_epi32(m[j], row + 32 * j));
#pragma GCC unroll 4
    for (size_t r = 0; r < R; ++r) {
      const __m512 a = _mm512_set1_ps(pr[r * ps + p]);
#pragma GCC unroll 4
      for (size_t j = 0; j < 4; ++j) acc[r][j] = _mm512_fmadd_ps(a, ve[j], acc[r][j]);
    }
  }
#pragma GCC unroll 4
  for (size_t r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (size_t j = 0; j < 4; ++j) _mm512_mask_storeu_ps(o + r * os + t0 + 16 * j, m[j], acc[r][j]);
  }
}

template <size_t R>
void PvBf16Rows(size_t d, size_t n, const float* pr, size_t ps, const uint16_t* v, float* o,
                size_t os) {
  for (size_t t0 = 0; t0 < d; t0 += 64) PvBf16Tile<R>(d, t0, n, pr, ps, v, o, os);
}

}  // namespace

void qk_bf16_u16__avx512(size_t rows, size_t d, size_t n, const float* q, size_t qs,
                         const uint16_t* k, float* s, size_t ss) {
  ForRowBlocks<8>(rows, [&](auto R, size_t r) {
    QkBf16Rows<decltype(R)::value>(d, n, q + r * qs, qs, k, s + r * ss, ss);
  });
}
void pv_bf16_u16__avx512(size_t rows, size_t d, size_t n, const float* p, size_t ps,
                         const uint16_t* v, float* o, size_t os) {
  ForRowBlocks<4>(rows, [&](auto R, size_t r) {
    PvBf16Rows<decltype(R)::value>(d, n, p + r * ps, ps, v, o + r * os, os);
  });
}

void qk_f16_u16__avx512(size_t rows, size_t d, size_t n, const float* q, size_t qs,
                        const uint16_t* k, float* s, size_t ss) {
  Qk(rows, d, n, q, qs, k, s, ss);
}
void qk_f32_u16__avx512(size_t rows, size_t d, size_t n, const float* q, size_t qs, const float* k,
                        float* s, size_t ss) {
  Qk(rows, d, n, q, qs, k, s, ss);
}
void pv_f16_u16__avx512(size_t rows, size_t d, size_t n, const float* p, size_t ps,
                        const uint16_t* v, float* o, size_t os) {
  Pv(rows, d, n, p, ps, v, o, os);
}
void pv_f32_u16__avx512(size_t rows, size_t d, size_t n, const float* p, size_t ps, const float* v,
                        float* o, size_t os) {
  Pv(rows, d, n, p, ps, v, o, os);
}

}  // namespace lutra::kernels::attn
