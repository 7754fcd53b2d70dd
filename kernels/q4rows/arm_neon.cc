// NEON q4rows GEMM (AArch64 and ARMv7, no dot product): the same unpack as the dotprod kernel
// (shl #4 / and #0xF0: 16·(q − 8) as int8), then widening byte multiplies. A register's half
// is two rows × four k; vmull_s8 of it with the four activations of that k-quad broadcast,
// plus vmlal_s8 of the other nibble's k-quad, sums two products per int16 lane
// (|16·8·127|·2 = 32512 < 2^15: no saturation), and vpadalq_s16 folds pairs into int32 lanes.
// AArch64: two groups of four rows per step on one token; ARMv7 (16 q registers): one group.
// Up to two tokens per weight load on both.
#include <arm_neon.h>

#include <cstring>

#include "arch/arm/exp_neon.h"
#include "kernels/f16/convert.h"
#include "kernels/q4rows/variants.h"

namespace lutra::kernels::q4rows {
namespace {

using arch::arm::NeonFma;

constexpr size_t kBlocksPerSpan = kSpan / kBlock;

// Lane `lane` (four bytes) of v in both halves of a d register.
template <int lane>
inline int8x8_t Quad(int8x16_t v) {
  const int32x2_t half = vreinterpret_s32_s8(lane < 2 ? vget_low_s8(v) : vget_high_s8(v));
  return vreinterpret_s8_s32(vdup_lane_s32(half, lane % 2));
}

// The four fp16 d at p (any alignment) as fp32. ARMv7's fp16 conversions need -mfp16-format,
// which the armhf NEON group does not set, so it converts in software.
inline float32x4_t Scales(const uint8_t* p) {
#if defined(__aarch64__)
  uint64_t bits;
  std::memcpy(&bits, p, sizeof bits);
  return vcvt_f32_f16(vreinterpret_f16_u64(vcreate_u64(bits)));
#else
  float v[kRows];
  for (size_t j = 0; j < kRows; ++j) {
    uint16_t h;
    std::memcpy(&h, p + 2 * j, sizeof h);
    v[j] = f16::HalfToFloat(h);
  }
  return vld1q_f32(v);
#endif
}

// [a0+a1, a2+a3, b0+b1, b2+b3] (vpaddq_s32 is AArch64 only).
inline int32x4_t PairAdd(int32x4_t a, int32x4_t b) {
#if defined(__aarch64__)
  return vpaddq_s32(a, b);
#else
  return vcombine_s32(vpadd_s32(vget_low_s32(a), vget_high_s32(a)),
                      vpadd_s32(vget_low_s32(b), vget_high_s32(b)));
#endif
}

// k-quad i of the low nibbles (activations a0) and of the high nibbles (a1) of G groups into
// rows 0, 1 (acc01, pairs of lanes per row) and rows 2, 3 (acc23); the broadcasts serve every
// group.
template <int i, size_t G>
inline void Quads(const int8x16_t (&lo)[G][4], const int8x16_t (&hi)[G][4], int8x16_t a0,
                  int8x16_t a1, int32x4_t (&acc01)[G], int32x4_t (&acc23)[G]) {
  const int8x8_t x0 = Quad<i>(a0), x1 = Quad<i>(a1);
  for (size_t g = 0; g < G; ++g) {
    acc01[g] = vpadalq_s16(
        acc01[g], vmlal_s8(vmull_s8(vget_low_s8(lo[g][i]), x0), vget_low_s8(hi[g][i]), x1));
    acc23[g] = vpadalq_s16(
        acc23[g], vmlal_s8(vmull_s8(vget_high_s8(lo[g][i]), x0), vget_high_s8(hi[g][i]), x1));
  }
}

// G groups (rows 4·g0 .. 4·(g0 + G)), T tokens from t0.
template <size_t G, size_t T>
inline void Tile(const Weights& w, const Activations& a, size_t g0, size_t t0, size_t row_end,
                 float* y, size_t y_stride) {
  const size_t blocks = w.k / kBlock, spans = Spans(w.k);
  const int8x16_t mask = vdupq_n_s8(int8_t(0xF0));
  const uint8_t* scales[G];
  const int8_t* codes[G];
  for (size_t g = 0; g < G; ++g) {
    scales[g] = w.data + (g0 + g) * GroupBytes(w.k);
    codes[g] = reinterpret_cast<const int8_t*>(scales[g] + blocks * kRows * 2);
  }
  float32x4_t acc[G][T];
  for (size_t g = 0; g < G; ++g) {
    for (size_t t = 0; t < T; ++t) acc[g][t] = vdupq_n_f32(0.0f);
  }
  for (size_t span = 0; span < spans; ++span) {
    const size_t b0 = span * kBlocksPerSpan;
    const size_t b1 = blocks - b0 < kBlocksPerSpan ? blocks : b0 + kBlocksPerSpan;
    float32x4_t part[G][T];
    for (size_t g = 0; g < G; ++g) {
      for (size_t t = 0; t < T; ++t) part[g][t] = vdupq_n_f32(0.0f);
    }
    for (size_t b = b0; b < b1; ++b) {
      int8x16_t lo[G][4], hi[G][4];
      float32x4_t d[G];
      for (size_t g = 0; g < G; ++g) {
        const int8_t* c = codes[g] + b * (kRows * kBlock / 2);
        for (size_t i = 0; i < 4; ++i) {
          const int8x16_t v = vld1q_s8(c + 16 * i);
          lo[g][i] = vshlq_n_s8(v, 4);
          hi[g][i] = vandq_s8(v, mask);
        }
        d[g] = Scales(scales[g] + b * kRows * 2);
      }
      for (size_t t = 0; t < T; ++t) {
        const int8_t* ab = a.q + (t0 + t) * a.k + b * kBlock;
        const int8x16_t a0 = vld1q_s8(ab), a1 = vld1q_s8(ab + 16);
        int32x4_t acc01[G], acc23[G];
        for (size_t g = 0; g < G; ++g) acc01[g] = acc23[g] = vdupq_n_s32(0);
        Quads<0>(lo, hi, a0, a1, acc01, acc23);
        Quads<1>(lo, hi, a0, a1, acc01, acc23);
        Quads<2>(lo, hi, a0, a1, acc01, acc23);
        Quads<3>(lo, hi, a0, a1, acc01, acc23);
        for (size_t g = 0; g < G; ++g) {
          const int32x4_t dot = PairAdd(acc01[g], acc23[g]);  // rows 0..3, 16× the block dots
          part[g][t] = NeonFma(part[g][t], vcvtq_n_f32_s32(dot, 4), d[g]);
        }
      }
    }
    for (size_t t = 0; t < T; ++t) {
      const float s = a.scale[(t0 + t) * spans + span];
      for (size_t g = 0; g < G; ++g) acc[g][t] = NeonFma(acc[g][t], part[g][t], vdupq_n_f32(s));
    }
  }
  for (size_t g = 0; g < G; ++g) {
    const size_t r0 = (g0 + g) * kRows;
    const size_t rows = row_end - r0 < kRows ? row_end - r0 : kRows;
    for (size_t t = 0; t < T; ++t) {
      float* yt = y + (t0 + t) * y_stride + r0;
      if (rows == kRows) {
        vst1q_f32(yt, acc[g][t]);
      } else {
        float buf[kRows];
        vst1q_f32(buf, acc[g][t]);
        std::memcpy(yt, buf, rows * sizeof(float));
      }
    }
  }
}

}  // namespace

#if defined(__aarch64__)
// One token on AArch64 (32 registers): two groups per step share the activation broadcasts
// and give the in-order cores two independent multiply chains (ARM cycle model per 256
// weights: A55 192.7 → 159.1, A72 65.1 → 60.2). Several tokens: one group, two tokens per
// weight load.
void gemm_r8t2__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                     float* y, size_t y_stride) {
  const size_t g_begin = row_begin / kRows, g_end = Groups(row_end);
  if (a.n == 1) {
    size_t g = g_begin;
    for (; g + 2 <= g_end; g += 2) Tile<2, 1>(w, a, g, 0, row_end, y, y_stride);
    if (g < g_end) Tile<1, 1>(w, a, g, 0, row_end, y, y_stride);
    return;
  }
  for (size_t g = g_begin; g < g_end; ++g) {
    size_t t = 0;
    for (; t + 2 <= a.n; t += 2) Tile<1, 2>(w, a, g, t, row_end, y, y_stride);
    if (t < a.n) Tile<1, 1>(w, a, g, t, row_end, y, y_stride);
  }
}
#else
// ARMv7 (16 q registers): one group per step, two tokens per weight load.
void gemm_r4t2__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                     float* y, size_t y_stride) {
  for (size_t g = row_begin / kRows; g < Groups(row_end); ++g) {
    size_t t = 0;
    for (; t + 2 <= a.n; t += 2) Tile<1, 2>(w, a, g, t, row_end, y, y_stride);
    if (t < a.n) Tile<1, 1>(w, a, g, t, row_end, y, y_stride);
  }
}
#endif

}  // namespace lutra::kernels::q4rows
