// NEON q4rows GEMM (AArch64 and ARMv7, no dot product): the same unpack as the dotprod kernel
// (shl #4 / and #0xF0: 16·(q − 8) as int8), then widening byte multiplies. A register's half
// is two rows × four k; vmull_s8 of it with the four activations of that k-quad broadcast,
// plus vmlal_s8 of the other nibble's k-quad, sums two products per int16 lane
// (|16·8·127|·2 = 32512 < 2^15: no saturation), and vpadalq_s16 folds pairs into int32 lanes.
// One group of four rows per step, up to two tokens per weight load (ARMv7 has 16 q registers).
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

// k-quad i of the low nibbles (activations a0) and of the high nibbles (a1) into rows 0, 1
// (acc01, pairs of lanes per row) and rows 2, 3 (acc23).
template <int i>
inline void Quads(int8x16_t lo, int8x16_t hi, int8x16_t a0, int8x16_t a1, int32x4_t& acc01,
                  int32x4_t& acc23) {
  const int8x8_t x0 = Quad<i>(a0), x1 = Quad<i>(a1);
  acc01 = vpadalq_s16(acc01, vmlal_s8(vmull_s8(vget_low_s8(lo), x0), vget_low_s8(hi), x1));
  acc23 = vpadalq_s16(acc23, vmlal_s8(vmull_s8(vget_high_s8(lo), x0), vget_high_s8(hi), x1));
}

template <size_t T>
inline void Tile(const Weights& w, const Activations& a, size_t g, size_t t0, size_t row_end,
                 float* y, size_t y_stride) {
  const size_t blocks = w.k / kBlock, spans = Spans(w.k);
  const int8x16_t mask = vdupq_n_s8(int8_t(0xF0));
  const uint8_t* scales = w.data + g * GroupBytes(w.k);
  const int8_t* codes = reinterpret_cast<const int8_t*>(scales + blocks * kRows * 2);
  float32x4_t acc[T];
  for (size_t t = 0; t < T; ++t) acc[t] = vdupq_n_f32(0.0f);
  for (size_t span = 0; span < spans; ++span) {
    const size_t b0 = span * kBlocksPerSpan;
    const size_t b1 = blocks - b0 < kBlocksPerSpan ? blocks : b0 + kBlocksPerSpan;
    float32x4_t part[T];
    for (size_t t = 0; t < T; ++t) part[t] = vdupq_n_f32(0.0f);
    for (size_t b = b0; b < b1; ++b) {
      const int8_t* c = codes + b * (kRows * kBlock / 2);
      int8x16_t lo[4], hi[4];
      for (size_t i = 0; i < 4; ++i) {
        const int8x16_t v = vld1q_s8(c + 16 * i);
        lo[i] = vshlq_n_s8(v, 4);
        hi[i] = vandq_s8(v, mask);
      }
      const float32x4_t d = Scales(scales + b * kRows * 2);
      for (size_t t = 0; t < T; ++t) {
        const int8_t* ab = a.q + (t0 + t) * a.k + b * kBlock;
        const int8x16_t a0 = vld1q_s8(ab), a1 = vld1q_s8(ab + 16);
        int32x4_t acc01 = vdupq_n_s32(0), acc23 = vdupq_n_s32(0);
        Quads<0>(lo[0], hi[0], a0, a1, acc01, acc23);
        Quads<1>(lo[1], hi[1], a0, a1, acc01, acc23);
        Quads<2>(lo[2], hi[2], a0, a1, acc01, acc23);
        Quads<3>(lo[3], hi[3], a0, a1, acc01, acc23);
        const int32x4_t dot = PairAdd(acc01, acc23);  // rows 0..3, 16× the block dots
        part[t] = NeonFma(part[t], vcvtq_n_f32_s32(dot, 4), d);
      }
    }
    for (size_t t = 0; t < T; ++t) {
      const float s = a.scale[(t0 + t) * spans + span];
      acc[t] = NeonFma(acc[t], part[t], vdupq_n_f32(s));
    }
  }
  const size_t r0 = g * kRows;
  const size_t rows = row_end - r0 < kRows ? row_end - r0 : kRows;
  for (size_t t = 0; t < T; ++t) {
    float* yt = y + (t0 + t) * y_stride + r0;
    if (rows == kRows) {
      vst1q_f32(yt, acc[t]);
    } else {
      float buf[kRows];
      vst1q_f32(buf, acc[t]);
      std::memcpy(yt, buf, rows * sizeof(float));
    }
  }
}

}  // namespace

void gemm_r4t2__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                     float* y, size_t y_stride) {
  for (size_t g = row_begin / kRows; g < Groups(row_end); ++g) {
    size_t t = 0;
    for (; t + 2 <= a.n; t += 2) Tile<2>(w, a, g, t, row_end, y, y_stride);
    if (t < a.n) Tile<1>(w, a, g, t, row_end, y, y_stride);
  }
}

}  // namespace lutra::kernels::q4rows
