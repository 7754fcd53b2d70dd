// The NEON and dotprod q8block kernels' shared driver: four rows share each activation load;
// block dots are folded pairwise four blocks at a time so that the fp32 scale,
// activation-scale and min terms load contiguously (lanes = blocks). A last tile of 1–3 rows
// repeats a valid row and stores only its own lanes. `Dot::Add16(acc, w, a)` adds the int8
// products of 16 values into four int32 lanes. Included by the ARM ISA files only; everything
// is static, so each file compiles it with its own flags.
#pragma once

#include <arm_neon.h>

#include <cstring>

#include "arch/arm/exp_neon.h"
#include "kernels/q8block/q8block.h"

namespace lutra::kernels::q8block::arm {

using arch::arm::NeonFma;

constexpr size_t kRows = 4;

// vpaddq_s32 / vpaddq_f32, which ARMv7 lacks: [a0+a1, a2+a3, b0+b1, b2+b3].
static inline int32x4_t PairAdd(int32x4_t a, int32x4_t b) {
#if defined(__aarch64__)
  return vpaddq_s32(a, b);
#else
  return vcombine_s32(vpadd_s32(vget_low_s32(a), vget_high_s32(a)),
                      vpadd_s32(vget_low_s32(b), vget_high_s32(b)));
#endif
}

static inline float32x4_t PairAdd(float32x4_t a, float32x4_t b) {
#if defined(__aarch64__)
  return vpaddq_f32(a, b);
#else
  return vcombine_f32(vpadd_f32(vget_low_f32(a), vget_high_f32(a)),
                      vpadd_f32(vget_low_f32(b), vget_high_f32(b)));
#endif
}

// Lane i = the sum of v[i]'s lanes.
static inline float32x4_t Sum4(const float32x4_t v[4]) {
  return PairAdd(PairAdd(v[0], v[1]), PairAdd(v[2], v[3]));
}

// Int32 partials of block b of the four rows (lanes sum to the block dot).
template <size_t B, typename Dot>
static inline void BlockPartials(const int8_t* const wq[kRows], const int8_t* aq, size_t b,
                                 int32x4_t p[kRows]) {
  const int8x16_t a0 = vld1q_s8(aq + b * B);
  for (size_t r = 0; r < kRows; ++r) p[r] = Dot::Add16(vdupq_n_s32(0), vld1q_s8(wq[r] + b * B), a0);
  if constexpr (B == 32) {
    const int8x16_t a1 = vld1q_s8(aq + b * B + 16);
    for (size_t r = 0; r < kRows; ++r) p[r] = Dot::Add16(p[r], vld1q_s8(wq[r] + b * B + 16), a1);
  }
}

// Lane j of d[r] = dot of row r, block b + j, for j < count (the rest 0).
template <size_t B, typename Dot>
static inline void BlockDots(const int8_t* const wq[kRows], const int8_t* aq, size_t b,
                             size_t count, int32x4_t d[kRows]) {
  int32x4_t pair[2][kRows];
  for (size_t h = 0; h < 2; ++h) {
    int32x4_t p0[kRows], p1[kRows];
    for (size_t r = 0; r < kRows; ++r) p0[r] = p1[r] = vdupq_n_s32(0);
    if (2 * h < count) BlockPartials<B, Dot>(wq, aq, b + 2 * h, p0);
    if (2 * h + 1 < count) BlockPartials<B, Dot>(wq, aq, b + 2 * h + 1, p1);
    for (size_t r = 0; r < kRows; ++r) pair[h][r] = PairAdd(p0[r], p1[r]);
  }
  for (size_t r = 0; r < kRows; ++r) d[r] = PairAdd(pair[0][r], pair[1][r]);
}

// Padding lanes are 0, so their terms add 0·0.
static inline float32x4_t LoadBlocks(const float* p, size_t count) {
  if (count == 4) return vld1q_f32(p);
  float buf[4] = {0, 0, 0, 0};
  std::memcpy(buf, p, count * sizeof(float));
  return vld1q_f32(buf);
}

template <size_t B, typename Dot>
static inline void GemmRows(const Weights& w, const Activations& a, size_t row_begin,
                            size_t row_end, float* y, size_t y_stride) {
  const size_t blocks = w.k / B;
  const bool with_min = w.min != nullptr;
  for (size_t r0 = row_begin; r0 < row_end; r0 += kRows) {
    const size_t rows = row_end - r0 < kRows ? row_end - r0 : kRows;
    const int8_t* wq[kRows];
    const float *ws[kRows], *wm[kRows];
    for (size_t r = 0; r < kRows; ++r) {
      const size_t row = r < rows ? r0 + r : r0;
      wq[r] = w.q + row * w.k;
      ws[r] = w.scale + row * blocks;
      wm[r] = with_min ? w.min + row * blocks : nullptr;
    }
    for (size_t t = 0; t < a.n; ++t) {
      const int8_t* aq = a.q + t * a.k;
      const float* as = a.scale + t * blocks;
      const float* ax = a.sum + t * blocks;
      float32x4_t acc[kRows], mins[kRows];
      for (size_t r = 0; r < kRows; ++r) acc[r] = mins[r] = vdupq_n_f32(0.0f);
      // Four blocks per step (lanes = blocks); the last step pads with zero blocks.
      auto step = [&](size_t b, size_t count) {
        int32x4_t d[kRows];
        BlockDots<B, Dot>(wq, aq, b, count, d);
        const float32x4_t s = LoadBlocks(as + b, count);
        for (size_t r = 0; r < kRows; ++r) {
          acc[r] = NeonFma(acc[r], vcvtq_f32_s32(d[r]), vmulq_f32(LoadBlocks(ws[r] + b, count), s));
        }
        if (with_min) {
          const float32x4_t x = LoadBlocks(ax + b, count);
          for (size_t r = 0; r < kRows; ++r) {
            mins[r] = NeonFma(mins[r], LoadBlocks(wm[r] + b, count), x);
          }
        }
      };
      size_t b = 0;
      for (; b + 4 <= blocks; b += 4) step(b, 4);
      if (b < blocks) step(b, blocks - b);
      const float32x4_t out = vsubq_f32(Sum4(acc), Sum4(mins));
      float* yt = y + t * y_stride + r0;
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

}  // namespace lutra::kernels::q8block::arm
