// AVX2 (+FMA, F16C) attn kernels: the AVX-512 design on 16 ymm registers. qk: per half key
// block (16 positions) 4 query rows × 2 ymm accumulators; pv: 2 query rows × 32 output
// dimensions (4 ymm each) per pass over the position-major V rows. Partial vectors (the last
// scores of a row, the last dimensions when d is not a multiple of 8) go through zero-padded
// stack copies: AVX2 has no masked 16-bit loads.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/attn/attn.h"
#include "kernels/attn/row_blocks.h"
#include "kernels/attn/variants.h"

namespace lutra::kernels::attn {
namespace {

constexpr size_t kPrefetchBlocks = 4;
constexpr size_t kPrefetchRows = 16;

inline __m256 Load(const float* p) {
  return _mm256_loadu_ps(p);
}
inline __m256 Load(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
// The first `count` ≤ 8 elements at p, zero padded (count 0: zero, nothing read).
template <typename T>
inline __m256 LoadAny(const T* p, size_t count) {
  if (count >= 8) return Load(p);
  T buf[8] = {};
  std::memcpy(buf, p, count * sizeof(T));
  return Load(buf);
}
inline void StoreAny(float* p, __m256 v, size_t count) {
  if (count >= 8) {
    _mm256_storeu_ps(p, v);
  } else if (count > 0) {
    float buf[8];
    _mm256_storeu_ps(buf, v);
    std::memcpy(p, buf, count * sizeof(float));
  }
}

template <size_t R, typename T>
void QkRows(size_t d, size_t n, const float* q, size_t qs, const T* k, float* s, size_t ss) {
  const size_t block_elems = kKeyBlock * d;
  for (size_t p = 0; p < n; p += 16) {
    const T* kb = k + p / kKeyBlock * block_elems + p % kKeyBlock;
    __m256 acc[R][2];
#pragma GCC unroll 4
    for (size_t r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (size_t t = 0; t < d; ++t) {
      const T* kr = kb + t * kKeyBlock;
      _mm_prefetch(reinterpret_cast<const char*>(kr + kPrefetchBlocks * block_elems), _MM_HINT_T0);
      const __m256 k0 = Load(kr), k1 = Load(kr + 8);  // whole blocks are stored
#pragma GCC unroll 4
      for (size_t r = 0; r < R; ++r) {
        const __m256 qv = _mm256_broadcast_ss(q + r * qs + t);
        acc[r][0] = _mm256_fmadd_ps(qv, k0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(qv, k1, acc[r][1]);
      }
    }
    const size_t left = n - p;
    const size_t c0 = std::min<size_t>(left, 8), c1 = left > 8 ? std::min<size_t>(left - 8, 8) : 0;
#pragma GCC unroll 4
    for (size_t r = 0; r < R; ++r) {
      StoreAny(s + r * ss + p, acc[r][0], c0);
      StoreAny(s + r * ss + p + 8, acc[r][1], c1);
    }
  }
}

template <size_t R, typename T>
void PvTile(size_t d, size_t t0, size_t n, const float* pr, size_t ps, const T* v, float* o,
            size_t os) {
  size_t c[4];
  for (size_t j = 0; j < 4; ++j) c[j] = t0 + 8 * j < d ? std::min<size_t>(d - t0 - 8 * j, 8) : 0;
  __m256 acc[R][4];
#pragma GCC unroll 2
  for (size_t r = 0; r < R; ++r)
    acc[r][0] = acc[r][1] = acc[r][2] = acc[r][3] = _mm256_setzero_ps();
  for (size_t p = 0; p < n; ++p) {
    const T* row = v + p * d + t0;
    for (size_t line = 0; line < 32 * sizeof(T); line += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(row + kPrefetchRows * d) + line, _MM_HINT_T0);
    }
    __m256 vv[4];
#pragma GCC unroll 4
    for (size_t j = 0; j < 4; ++j) vv[j] = LoadAny(row + 8 * j, c[j]);
#pragma GCC unroll 2
    for (size_t r = 0; r < R; ++r) {
      const __m256 b = _mm256_broadcast_ss(pr + r * ps + p);
#pragma GCC unroll 4
      for (size_t j = 0; j < 4; ++j) acc[r][j] = _mm256_fmadd_ps(b, vv[j], acc[r][j]);
    }
  }
  for (size_t r = 0; r < R; ++r) {
    for (size_t j = 0; j < 4; ++j) StoreAny(o + r * os + t0 + 8 * j, acc[r][j], c[j]);
  }
}

template <typename T>
void Qk(size_t rows, size_t d, size_t n, const float* q, size_t qs, const T* k, float* s,
        size_t ss) {
  ForRowBlocks<4>(rows, [&](auto R, size_t r) {
    QkRows<decltype(R)::value>(d, n, q + r * qs, qs, k, s + r * ss, ss);
  });
}

template <typename T>
void Pv(size_t rows, size_t d, size_t n, const float* p, size_t ps, const T* v, float* o,
        size_t os) {
  ForRowBlocks<2>(rows, [&](auto R, size_t r) {
    for (size_t t0 = 0; t0 < d; t0 += 32) {
      PvTile<decltype(R)::value>(d, t0, n, p + r * ps, ps, v, o + r * os, os);
    }
  });
}

// bf16 caches (pair layouts of attn.h), widened exactly to fp32: a 32-bit lane holding the
// pair (lo, hi) gives lo as lane << 16 and hi as lane & 0xFFFF0000. Q and P stay fp32.
inline __m256 PairLo(__m256i x) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(x, 16));
}
inline __m256 PairHi(__m256i x) {
  return _mm256_castsi256_ps(_mm256_and_si256(x, _mm256_set1_epi32(int(0xFFFF0000u))));
}
// The first `count` ≤ 8 pairs at p (32-bit masked load: lanes past count read nothing).
inline __m256i LoadPairs(const uint16_t* p, size_t count) {
  if (count >= 8) return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(count)), lane);
  return _mm256_maskload_epi32(reinterpret_cast<const int*>(p), mask);
}

template <size_t R>
void QkBf16Rows(size_t d, size_t n, const float* q, size_t qs, const uint16_t* k, float* s,
                size_t ss) {
  const size_t block_elems = kKeyBlock * d;
  for (size_t p = 0; p < n; p += 16) {
    // Half a key block: positions p % kKeyBlock.. + 16 of each dimension pair.
    const uint16_t* kb = k + p / kKeyBlock * block_elems + (p % kKeyBlock) * 2;
    __m256 acc[R][2];
#pragma GCC unroll 4
    for (size_t r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (size_t t = 0; t < d; t += 2) {
      const uint16_t* kr = kb + t * kKeyBlock;
      _mm_prefetch(reinterpret_cast<const char*>(kr + kPrefetchBlocks * block_elems), _MM_HINT_T0);
      const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kr));
      const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kr + 16));
      const __m256 e0 = PairLo(x0), o0 = PairHi(x0), e1 = PairLo(x1), o1 = PairHi(x1);
#pragma GCC unroll 4
      for (size_t r = 0; r < R; ++r) {
        const __m256 qe = _mm256_broadcast_ss(q + r * qs + t);
        const __m256 qo = _mm256_broadcast_ss(q + r * qs + t + 1);
        acc[r][0] = _mm256_fmadd_ps(qo, o0, _mm256_fmadd_ps(qe, e0, acc[r][0]));
        acc[r][1] = _mm256_fmadd_ps(qo, o1, _mm256_fmadd_ps(qe, e1, acc[r][1]));
      }
    }
    const size_t left = n - p;
    const size_t c0 = std::min<size_t>(left, 8), c1 = left > 8 ? std::min<size_t>(left - 8, 8) : 0;
#pragma GCC unroll 4
    for (size_t r = 0; r < R; ++r) {
      StoreAny(s + r * ss + p, acc[r][0], c0);
      StoreAny(s + r * ss + p + 8, acc[r][1], c1);
    }
  }
}

// o[r, t0..t0+32) over position pairs; an odd n's last pair uses only its first position.
template <size_t R>
void PvBf16Tile(size_t d, size_t t0, size_t n, const float* pr, size_t ps, const uint16_t* v,
                float* o, size_t os) {
  size_t c[4];
  for (size_t j = 0; j < 4; ++j) c[j] = t0 + 8 * j < d ? std::min<size_t>(d - t0 - 8 * j, 8) : 0;
  __m256 acc[R][4];
#pragma GCC unroll 2
  for (size_t r = 0; r < R; ++r)
    acc[r][0] = acc[r][1] = acc[r][2] = acc[r][3] = _mm256_setzero_ps();
  const uint16_t* vt = v + 2 * t0;
  for (size_t p = 0; p < n; p += 2) {
    const uint16_t* row = vt + p * d;  // pair p / 2 starts 2·d elements after the previous one
    for (size_t line = 0; line < 128; line += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(row + kPrefetchRows * d) + line, _MM_HINT_T0);
    }
    const bool both = p + 1 < n;
#pragma GCC unroll 4
    for (size_t j = 0; j < 4; ++j) {
      if (c[j] == 0) continue;
      const __m256i x = LoadPairs(row + 16 * j, c[j]);
      const __m256 ve = PairLo(x), vo = PairHi(x);
#pragma GCC unroll 2
      for (size_t r = 0; r < R; ++r) {
        acc[r][j] = _mm256_fmadd_ps(_mm256_broadcast_ss(pr + r * ps + p), ve, acc[r][j]);
        if (both) {
          acc[r][j] = _mm256_fmadd_ps(_mm256_broadcast_ss(pr + r * ps + p + 1), vo, acc[r][j]);
        }
      }
    }
  }
  for (size_t r = 0; r < R; ++r) {
    for (size_t j = 0; j < 4; ++j) StoreAny(o + r * os + t0 + 8 * j, acc[r][j], c[j]);
  }
}

}  // namespace

void qk_bf16_u8__avx2(size_t rows, size_t d, size_t n, const float* q, size_t qs, const uint16_t* k,
                      float* s, size_t ss) {
  ForRowBlocks<4>(rows, [&](auto R, size_t r) {
    QkBf16Rows<decltype(R)::value>(d, n, q + r * qs, qs, k, s + r * ss, ss);
  });
}
void pv_bf16_u8__avx2(size_t rows, size_t d, size_t n, const float* p, size_t ps, const uint16_t* v,
                      float* o, size_t os) {
  ForRowBlocks<2>(rows, [&](auto R, size_t r) {
    for (size_t t0 = 0; t0 < d; t0 += 32) {
      PvBf16Tile<decltype(R)::value>(d, t0, n, p + r * ps, ps, v, o + r * os, os);
    }
  });
}

void qk_f16_u8__avx2(size_t rows, size_t d, size_t n, const float* q, size_t qs, const uint16_t* k,
                     float* s, size_t ss) {
  Qk(rows, d, n, q, qs, k, s, ss);
}
void qk_f32_u8__avx2(size_t rows, size_t d, size_t n, const float* q, size_t qs, const float* k,
                     float* s, size_t ss) {
  Qk(rows, d, n, q, qs, k, s, ss);
}
void pv_f16_u8__avx2(size_t rows, size_t d, size_t n, const float* p, size_t ps, const uint16_t* v,
                     float* o, size_t os) {
  Pv(rows, d, n, p, ps, v, o, os);
}
void pv_f32_u8__avx2(size_t rows, size_t d, size_t n, const float* p, size_t ps, const float* v,
                     float* o, size_t os) {
  Pv(rows, d, n, p, ps, v, o, os);
}

}  // namespace lutra::kernels::attn
