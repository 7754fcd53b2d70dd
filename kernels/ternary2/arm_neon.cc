// NEON ternary2 GEMM (AArch64 and ARMv7, no dot product): the same unpack as the dotprod
// kernel (`and` per field: 4^f·(w + 1), field 3 64·w), then widening byte multiplies. A code
// register's half is two rows × four k; smull / smlal of it with the field's four activations
// replicated (one ld1r per quad, shared by every group of the step) chain the four registers
// of a chunk in int16 (at most 4·64·127 = 32512 per lane, field 3; no overflow), the fields'
// chains are combined with exact arithmetic shifts (ssra #2, #4, #6: each is a multiple of
// its power of four) and one sadalp per half folds pairs into int32 lanes. The multiplies are
// the bound on the A72 (one pipe: 32 per 256 weights). AArch64: two groups per step on one
// token; ARMv7: one. Two tokens per weight load on both.
#include <arm_neon.h>

#include <cstring>

#include "arch/arm/exp_neon.h"
#include "kernels/f16/convert.h"
#include "kernels/ternary2/variants.h"

namespace lutra::kernels::ternary2 {
namespace {

using arch::arm::NeonFma;

// [a0+a1, a2+a3, b0+b1, b2+b3] (vpaddq_s32 is AArch64 only).
inline int32x4_t PairAdd(int32x4_t a, int32x4_t b) {
#if defined(__aarch64__)
  return vpaddq_s32(a, b);
#else
  return vcombine_s32(vpadd_s32(vget_low_s32(a), vget_high_s32(a)),
                      vpadd_s32(vget_low_s32(b), vget_high_s32(b)));
#endif
}

// The four fp16 scales at p as fp32. ARMv7's fp16 conversions need -mfp16-format, which the
// armhf NEON group does not set, so it converts in software.
inline float32x4_t BlockScales(const uint16_t* p) {
#if defined(__aarch64__)
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
#else
  float v[kRows];
  for (size_t j = 0; j < kRows; ++j) v[j] = f16::HalfToFloat(p[j]);
  return vld1q_f32(v);
#endif
}

// Four activations (4-byte aligned) in every 32-bit lane.
inline int8x16_t Quad(const int8_t* p) {
  return vreinterpretq_s8_s32(vld1q_dup_s32(reinterpret_cast<const int32_t*>(p)));
}

// Field f of a chunk's four registers for G groups and T tokens, added to comb (int16 lanes,
// per group, token and half) with its power of four removed.
template <int f, size_t G, size_t T>
inline void Field(const uint8x16_t (&v)[G][4], uint8x16_t mask, const int8_t* const (&act)[T],
                  int16x8_t (&comb)[G][T][2]) {
  int16x8_t ch[G][T][2];
  for (int s = 0; s < 4; ++s) {
    int8x16_t quad[T];
    for (size_t t = 0; t < T; ++t) quad[t] = Quad(act[t] + 16 * f + 4 * s);
    for (size_t g = 0; g < G; ++g) {
      const int8x16_t wf = vreinterpretq_s8_u8(vandq_u8(v[g][s], mask));
      for (size_t t = 0; t < T; ++t) {
        const int8x8_t lo = vget_low_s8(wf), hi = vget_high_s8(wf);
        if (s == 0) {
          ch[g][t][0] = vmull_s8(lo, vget_low_s8(quad[t]));
          ch[g][t][1] = vmull_s8(hi, vget_high_s8(quad[t]));
        } else {
          ch[g][t][0] = vmlal_s8(ch[g][t][0], lo, vget_low_s8(quad[t]));
          ch[g][t][1] = vmlal_s8(ch[g][t][1], hi, vget_high_s8(quad[t]));
        }
      }
    }
  }
  for (size_t g = 0; g < G; ++g) {
    for (size_t t = 0; t < T; ++t) {
      for (size_t h = 0; h < 2; ++h) {
        if constexpr (f == 0) {
          comb[g][t][h] = ch[g][t][h];
        } else {
          comb[g][t][h] = vsraq_n_s16(comb[g][t][h], ch[g][t][h], 2 * f);
        }
      }
    }
  }
}

// G groups (rows 4·g0 .. 4·(g0 + G)), T tokens from t0; kBlocks: fp16 scale per block.
template <size_t G, size_t T, bool kBlocks>
void Tile(const Weights& w, const Activations& a, size_t g0, size_t t0, size_t row_end, float* y,
          size_t y_stride) {
  const size_t blocks = Blocks(w.k), sums = SumCount(w.k);
  const uint8x16_t m0 = vdupq_n_u8(0x03), m1 = vdupq_n_u8(0x0C), m2 = vdupq_n_u8(0x30),
                   m3 = vdupq_n_u8(0xC0);
  const uint8_t* codes[G];
  for (size_t g = 0; g < G; ++g) codes[g] = w.codes + (g0 + g) * GroupBytes(w.k);
  // Rows 0, 1 (acc[..][0]) and 2, 3 ([1]), pairs of lanes per row.
  int32x4_t acc[G][T][2];
  float32x4_t part[G][T];
  for (size_t g = 0; g < G; ++g) {
    for (size_t t = 0; t < T; ++t) {
      part[g][t] = vdupq_n_f32(0.0f);
      acc[g][t][0] = acc[g][t][1] = vdupq_n_s32(0);
    }
  }
  for (size_t b = 0; b < blocks; ++b) {
    for (size_t c = b * (kBlock / kChunk); c < (b + 1) * (kBlock / kChunk); ++c) {
      uint8x16_t v[G][4];
      for (size_t g = 0; g < G; ++g) {
        for (size_t s = 0; s < 4; ++s) v[g][s] = vld1q_u8(codes[g] + c * 64 + 16 * s);
      }
      const int8_t* act[T];
      for (size_t t = 0; t < T; ++t) act[t] = a.q + (t0 + t) * a.k + c * kChunk;
      int16x8_t comb[G][T][2];
      Field<0>(v, m0, act, comb);
      Field<1>(v, m1, act, comb);
      Field<2>(v, m2, act, comb);
      Field<3>(v, m3, act, comb);
      for (size_t g = 0; g < G; ++g) {
        for (size_t t = 0; t < T; ++t) {
          for (size_t h = 0; h < 2; ++h) acc[g][t][h] = vpadalq_s16(acc[g][t][h], comb[g][t][h]);
        }
      }
    }
    if constexpr (kBlocks) {
      for (size_t g = 0; g < G; ++g) {
        const float32x4_t d = BlockScales(w.block_scale + ((g0 + g) * blocks + b) * kRows);
        for (size_t t = 0; t < T; ++t) {
          const int32x4_t dot = vsubq_s32(PairAdd(acc[g][t][0], acc[g][t][1]),
                                          vdupq_n_s32(a.sums[(t0 + t) * sums + b]));
          part[g][t] = NeonFma(part[g][t], vcvtq_f32_s32(dot), d);
          acc[g][t][0] = acc[g][t][1] = vdupq_n_s32(0);
        }
      }
    }
  }
  for (size_t g = 0; g < G; ++g) {
    const size_t r0 = (g0 + g) * kRows;
    const size_t rows = row_end - r0 < kRows ? row_end - r0 : kRows;
    for (size_t t = 0; t < T; ++t) {
      const float s = a.scale[t0 + t];
      float32x4_t out;
      if constexpr (kBlocks) {
        out = vmulq_n_f32(part[g][t], s);
      } else {
        const int32x4_t dot = vsubq_s32(PairAdd(acc[g][t][0], acc[g][t][1]),
                                        vdupq_n_s32(a.sums[(t0 + t) * sums + blocks]));
        out = vmulq_n_f32(vmulq_f32(vcvtq_f32_s32(dot), vld1q_f32(w.row_scale + r0)), s);
      }
      float* yt = y + (t0 + t) * y_stride + r0;
      if (rows == kRows) {
        vst1q_f32(yt, out);
      } else {
        float buf[kRows];
        vst1q_f32(buf, out);
        std::memcpy(yt, buf, rows * sizeof(float));
      }
    }
  }
}

// One token: G groups per step; several tokens: one group, two tokens per weight load.
template <size_t G, bool kBlocks>
void Gemm(const Weights& w, const Activations& a, size_t row_begin, size_t row_end, float* y,
          size_t y_stride) {
  const size_t g_begin = row_begin / kRows, g_end = Groups(row_end);
  if (a.n == 1) {
    size_t g = g_begin;
    for (; g + G <= g_end; g += G) Tile<G, 1, kBlocks>(w, a, g, 0, row_end, y, y_stride);
    if (g < g_end) Tile<1, 1, kBlocks>(w, a, g, 0, row_end, y, y_stride);
    return;
  }
  for (size_t g = g_begin; g < g_end; ++g) {
    size_t t = 0;
    for (; t + 2 <= a.n; t += 2) Tile<1, 2, kBlocks>(w, a, g, t, row_end, y, y_stride);
    if (t < a.n) Tile<1, 1, kBlocks>(w, a, g, t, row_end, y, y_stride);
  }
}

template <size_t G>
void Dispatch(const Weights& w, const Activations& a, size_t row_begin, size_t row_end, float* y,
              size_t y_stride) {
  if (w.block_scale != nullptr) {
    Gemm<G, true>(w, a, row_begin, row_end, y, y_stride);
  } else {
    Gemm<G, false>(w, a, row_begin, row_end, y, y_stride);
  }
}

}  // namespace

#if defined(__aarch64__)
// AArch64 (32 registers): two groups per step on one token share the activation quads.
void gemm_r8t2__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                     float* y, size_t y_stride) {
  Dispatch<2>(w, a, row_begin, row_end, y, y_stride);
}
#else
// ARMv7 (16 q registers): one group per step.
void gemm_r4t2__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                     float* y, size_t y_stride) {
  Dispatch<1>(w, a, row_begin, row_end, y, y_stride);
}
#endif

}  // namespace lutra::kernels::ternary2
