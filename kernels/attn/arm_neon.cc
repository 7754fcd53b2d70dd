// AArch64 NEON attn kernels (ARMv7 uses the scalar ones: its NEON lacks the fp16 conversion
// and by-lane FMA forms these rely on). qk: per 16 positions of a key block, 4 query rows ×
// 4 q-registers of scores; four dimensions of Q are loaded as one vector and applied with
// by-lane FMAs. pv: 4 query rows × 16 output dimensions per pass over the position-major V
// rows, four positions of P per vector load. Tails go through zero-padded stack copies.
#if defined(__aarch64__)
#include <arm_neon.h>

#include <algorithm>
#include <cstring>

#include "kernels/attn/attn.h"
#include "kernels/attn/row_blocks.h"
#include "kernels/attn/variants.h"

namespace lutra::kernels::attn {
namespace {

inline void Load4(const float* p, float32x4_t* v) {
  v[0] = vld1q_f32(p), v[1] = vld1q_f32(p + 4), v[2] = vld1q_f32(p + 8), v[3] = vld1q_f32(p + 12);
}
inline void Load4(const uint16_t* p, float32x4_t* v) {
  const float16x8_t a = vreinterpretq_f16_u16(vld1q_u16(p));
  const float16x8_t b = vreinterpretq_f16_u16(vld1q_u16(p + 8));
  v[0] = vcvt_f32_f16(vget_low_f16(a)), v[1] = vcvt_high_f32_f16(a);
  v[2] = vcvt_f32_f16(vget_low_f16(b)), v[3] = vcvt_high_f32_f16(b);
}
// 16 elements at p of which the first `count` are valid (the rest read as zero).
template <typename T>
inline void Load4Any(const T* p, size_t count, float32x4_t* v) {
  if (count >= 16) return Load4(p, v);
  T buf[16] = {};
  std::memcpy(buf, p, count * sizeof(T));
  Load4(buf, v);
}
inline void Store4Any(float* p, const float32x4_t* v, size_t count) {
  float buf[16];
  vst1q_f32(buf, v[0]), vst1q_f32(buf + 4, v[1]), vst1q_f32(buf + 8, v[2]),
      vst1q_f32(buf + 12, v[3]);
  std::memcpy(p, buf, std::min<size_t>(count, 16) * sizeof(float));
}
// Four consecutive floats of a row, zero past `count`.
inline float32x4_t Row4(const float* p, size_t count) {
  if (count >= 4) return vld1q_f32(p);
  float buf[4] = {0, 0, 0, 0};
  std::memcpy(buf, p, count * sizeof(float));
  return vld1q_f32(buf);
}

template <size_t R, typename T>
void QkRows(size_t d, size_t n, const float* q, size_t qs, const T* k, float* s, size_t ss) {
  const size_t block_elems = kKeyBlock * d;
  for (size_t p = 0; p < n; p += 16) {
    const T* kb = k + p / kKeyBlock * block_elems + p % kKeyBlock;
    float32x4_t acc[R][4];
    for (size_t r = 0; r < R; ++r) acc[r][0] = acc[r][1] = acc[r][2] = acc[r][3] = vdupq_n_f32(0);
    for (size_t t = 0; t < d; t += 4) {
      float32x4_t qv[R];
      for (size_t r = 0; r < R; ++r) qv[r] = Row4(q + r * qs + t, d - t);
      for (size_t u = 0; u < 4 && t + u < d; ++u) {
        float32x4_t kv[4];
        Load4(kb + (t + u) * kKeyBlock, kv);  // whole blocks are stored
        for (size_t r = 0; r < R; ++r) {
          for (size_t j = 0; j < 4; ++j) {
            switch (u) {
              case 0:
                acc[r][j] = vfmaq_laneq_f32(acc[r][j], kv[j], qv[r], 0);
                break;
              case 1:
                acc[r][j] = vfmaq_laneq_f32(acc[r][j], kv[j], qv[r], 1);
                break;
              case 2:
                acc[r][j] = vfmaq_laneq_f32(acc[r][j], kv[j], qv[r], 2);
                break;
              default:
                acc[r][j] = vfmaq_laneq_f32(acc[r][j], kv[j], qv[r], 3);
                break;
            }
          }
        }
      }
    }
    for (size_t r = 0; r < R; ++r) Store4Any(s + r * ss + p, acc[r], n - p);
  }
}

template <size_t R, typename T>
void PvTile(size_t d, size_t t0, size_t n, const float* pr, size_t ps, const T* v, float* o,
            size_t os) {
  const size_t count = std::min<size_t>(d - t0, 16);
  float32x4_t acc[R][4];
  for (size_t r = 0; r < R; ++r) acc[r][0] = acc[r][1] = acc[r][2] = acc[r][3] = vdupq_n_f32(0);
  for (size_t p = 0; p < n; p += 4) {
    float32x4_t pv[R];
    for (size_t r = 0; r < R; ++r) pv[r] = Row4(pr + r * ps + p, n - p);
    for (size_t u = 0; u < 4 && p + u < n; ++u) {
      float32x4_t vv[4];
      Load4Any(v + (p + u) * d + t0, count, vv);
      for (size_t r = 0; r < R; ++r) {
        for (size_t j = 0; j < 4; ++j) {
          switch (u) {
            case 0:
              acc[r][j] = vfmaq_laneq_f32(acc[r][j], vv[j], pv[r], 0);
              break;
            case 1:
              acc[r][j] = vfmaq_laneq_f32(acc[r][j], vv[j], pv[r], 1);
              break;
            case 2:
              acc[r][j] = vfmaq_laneq_f32(acc[r][j], vv[j], pv[r], 2);
              break;
            default:
              acc[r][j] = vfmaq_laneq_f32(acc[r][j], vv[j], pv[r], 3);
              break;
          }
        }
      }
    }
  }
  for (size_t r = 0; r < R; ++r) Store4Any(o + r * os + t0, acc[r], count);
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
  ForRowBlocks<4>(rows, [&](auto R, size_t r) {
    for (size_t t0 = 0; t0 < d; t0 += 16) {
      PvTile<decltype(R)::value>(d, t0, n, p + r * ps, ps, v, o + r * os, os);
    }
  });
}

// bf16 caches (pair layouts of attn.h), widened exactly to fp32: a 32-bit lane holding the
// pair (lo, hi) gives lo as lane << 16 and hi as lane & 0xFFFF0000. Q and P stay fp32.
inline float32x4_t PairLo(uint32x4_t x) {
  return vreinterpretq_f32_u32(vshlq_n_u32(x, 16));
}
inline float32x4_t PairHi(uint32x4_t x) {
  return vreinterpretq_f32_u32(vandq_u32(x, vdupq_n_u32(0xFFFF0000u)));
}
// 16 pairs at p of which the first `count` are valid (the rest read as zero).
inline void LoadPairs4(const uint16_t* p, size_t count, uint32x4_t* x) {
  uint32_t buf[16] = {};
  const uint32_t* src = reinterpret_cast<const uint32_t*>(p);
  if (count < 16) {
    std::memcpy(buf, p, count * sizeof(uint32_t));
    src = buf;
  }
  for (size_t j = 0; j < 4; ++j) x[j] = vld1q_u32(src + 4 * j);
}

template <size_t R>
void QkBf16Rows(size_t d, size_t n, const float* q, size_t qs, const uint16_t* k, float* s,
                size_t ss) {
  const size_t block_elems = kKeyBlock * d;
  for (size_t p = 0; p < n; p += 16) {
    // Half a key block: positions p % kKeyBlock.. + 16 of each dimension pair.
    const uint16_t* kb = k + p / kKeyBlock * block_elems + (p % kKeyBlock) * 2;
    float32x4_t acc[R][4];
    for (size_t r = 0; r < R; ++r) acc[r][0] = acc[r][1] = acc[r][2] = acc[r][3] = vdupq_n_f32(0);
    for (size_t t = 0; t < d; t += 2) {
      uint32x4_t x[4];
      LoadPairs4(kb + t * kKeyBlock, 16, x);  // whole blocks are stored
      float32x4_t ke[4], ko[4];
      for (size_t j = 0; j < 4; ++j) ke[j] = PairLo(x[j]), ko[j] = PairHi(x[j]);
      for (size_t r = 0; r < R; ++r) {
        const float qe = q[r * qs + t], qo = q[r * qs + t + 1];
        for (size_t j = 0; j < 4; ++j) {
          acc[r][j] = vfmaq_n_f32(vfmaq_n_f32(acc[r][j], ke[j], qe), ko[j], qo);
        }
      }
    }
    for (size_t r = 0; r < R; ++r) Store4Any(s + r * ss + p, acc[r], n - p);
  }
}

// o[r, t0..t0+16) over position pairs; an odd n's last pair uses only its first position.
template <size_t R>
void PvBf16Tile(size_t d, size_t t0, size_t n, const float* pr, size_t ps, const uint16_t* v,
                float* o, size_t os) {
  const size_t count = std::min<size_t>(d - t0, 16);
  float32x4_t acc[R][4];
  for (size_t r = 0; r < R; ++r) acc[r][0] = acc[r][1] = acc[r][2] = acc[r][3] = vdupq_n_f32(0);
  for (size_t p = 0; p < n; p += 2) {
    uint32x4_t x[4];
    LoadPairs4(v + p * d + 2 * t0, count, x);  // pair p / 2 starts at (p / 2)·2·d
    const bool both = p + 1 < n;
    for (size_t j = 0; j < 4; ++j) {
      const float32x4_t ve = PairLo(x[j]), vo = PairHi(x[j]);
      for (size_t r = 0; r < R; ++r) {
        acc[r][j] = vfmaq_n_f32(acc[r][j], ve, pr[r * ps + p]);
        if (both) acc[r][j] = vfmaq_n_f32(acc[r][j], vo, pr[r * ps + p + 1]);
      }
    }
  }
  for (size_t r = 0; r < R; ++r) Store4Any(o + r * os + t0, acc[r], count);
}

}  // namespace

void qk_bf16_u16__neon(size_t rows, size_t d, size_t n, const float* q, size_t qs,
                       const uint16_t* k, float* s, size_t ss) {
  ForRowBlocks<4>(rows, [&](auto R, size_t r) {
    QkBf16Rows<decltype(R)::value>(d, n, q + r * qs, qs, k, s + r * ss, ss);
  });
}
void pv_bf16_u16__neon(size_t rows, size_t d, size_t n, const float* p, size_t ps,
                       const uint16_t* v, float* o, size_t os) {
  ForRowBlocks<4>(rows, [&](auto R, size_t r) {
    for (size_t t0 = 0; t0 < d; t0 += 16) {
      PvBf16Tile<decltype(R)::value>(d, t0, n, p + r * ps, ps, v, o + r * os, os);
    }
  });
}

void qk_f16_u16__neon(size_t rows, size_t d, size_t n, const float* q, size_t qs, const uint16_t* k,
                      float* s, size_t ss) {
  Qk(rows, d, n, q, qs, k, s, ss);
}
void qk_f32_u16__neon(size_t rows, size_t d, size_t n, const float* q, size_t qs, const float* k,
                      float* s, size_t ss) {
  Qk(rows, d, n, q, qs, k, s, ss);
}
void pv_f16_u16__neon(size_t rows, size_t d, size_t n, const float* p, size_t ps, const uint16_t* v,
                      float* o, size_t os) {
  Pv(rows, d, n, p, ps, v, o, os);
}
void pv_f32_u16__neon(size_t rows, size_t d, size_t n, const float* p, size_t ps, const float* v,
                      float* o, size_t os) {
  Pv(rows, d, n, p, ps, v, o, os);
}

}  // namespace lutra::kernels::attn
#endif  // __aarch64__
