// The lattice i-quants on ARM (NEON and dotprod), as a block type of the shared driver
// (arm_blocks.h, GemmRows): each super-block decodes once into sixteen registers of 16 signed
// codes and its sixteen integer scales, then every token of the call dots with them (Q6_K's
// Add without its offset). A sub-block's grid rows, sign bits and scales come from
// iq_fields.h's IqSubBlock (scalar loads and integer arithmetic); two rows make a register,
// the sign bits become a mask by vtst against each byte's bit, and (r ^ m) − m negates where
// the mask is set. IQ1's codes 8·g ± 1: its rows (8·g) plus the shifts, −1 where the group's
// byte is 0xff (m | 1). |code| ≤ 62: the widening multiplies' two products per int16 lane stay
// below 2·62·128 < 2^15.
// Included by the ARM ISA files only; everything is static, so each file compiles it with its
// own flags.
#pragma once

#include <arm_neon.h>

#include <cstring>

#include "kernels/kquant/arm_blocks.h"
#include "kernels/kquant/iq_fields.h"

namespace lutra::kernels::kquant::arm {

static inline float HalfBits(uint16_t bits) {
#if defined(__aarch64__)
  __fp16 h;
  std::memcpy(&h, &bits, sizeof h);
  return float(h);
#else
  return f16::HalfToFloat(bits);
#endif
}

// Weights 0..15 of two groups: rows r0, r1 and the groups' sign bytes in bits 0..7, 8..15.
template <Format F>
static inline int8x16_t IqCodes16(uint64_t r0, uint64_t r1, uint32_t signs) {
  const uint8x16_t r = vcombine_u8(vcreate_u8(r0), vcreate_u8(r1));
  const uint8x16_t sb = vcombine_u8(vdup_n_u8(uint8_t(signs)), vdup_n_u8(uint8_t(signs >> 8)));
  if constexpr (F == Format::kIQ1S || F == Format::kIQ1M) {
    return vreinterpretq_s8_u8(vaddq_u8(r, vorrq_u8(sb, vdupq_n_u8(1))));
  } else {
    static constexpr uint8_t kBits[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t m = vtstq_u8(sb, vld1q_u8(kBits));
    return vreinterpretq_s8_u8(vsubq_u8(veorq_u8(r, m), m));
  }
}

template <bool kChained, Format F>
struct IqBlock {
  static constexpr size_t kBytes = BlockBytes(F);
  using Acc = float;

  int8x16_t q[16];  // sub-block i of 16: weights 16i..16i+15
  int32x4_t sc[4];  // sub-blocks 4g..4g+3: sc_i, or sc_i − sc_i+1 within a half (Q6K)
  float factor;

  explicit IqBlock(const uint8_t* blk) {
    uint8_t s[16];
    for (int ib = 0; ib < 8; ++ib) {
      const IqGroups g = IqSubBlock<F>(blk, ib);
      q[2 * ib] = IqCodes16<F>(g.row[0], g.row[1], g.signs);
      q[2 * ib + 1] = IqCodes16<F>(g.row[2], g.row[3], g.signs >> 16);
      s[2 * ib] = uint8_t(g.lo), s[2 * ib + 1] = uint8_t(g.hi);
    }
    const uint8x16_t s8 = vld1q_u8(s);
    // sc_8 and sc_16 count as 0 (the chains end there); |sc_i − sc_i+1| ≤ 31.
    const uint8x16_t next =
        kChained ? vreinterpretq_u8_u64(vshrq_n_u64(vreinterpretq_u64_u8(s8), 8)) : vdupq_n_u8(0);
    const int16x8_t d0 = vreinterpretq_s16_u16(vsubl_u8(vget_low_u8(s8), vget_low_u8(next)));
    const int16x8_t d1 = vreinterpretq_s16_u16(vsubl_u8(vget_high_u8(s8), vget_high_u8(next)));
    sc[0] = vmovl_s16(vget_low_s16(d0));
    sc[1] = vmovl_s16(vget_high_s16(d0));
    sc[2] = vmovl_s16(vget_low_s16(d1));
    sc[3] = vmovl_s16(vget_high_s16(d1));
    factor = HalfBits(IqHalfBits(F, blk)) * IqFactorScale(F);
  }

  static Acc Zero() { return 0.0f; }
  static float Result(Acc acc) { return acc; }

  template <typename Dot>
  void Add(Acc& acc, const int8_t* a, const int16_t*, float s) const {
    int32x4_t p[2] = {vdupq_n_s32(0), vdupq_n_s32(0)}, t[2];
    Unroll<16>([&](auto nc) {
      // sdot: the halves' chains interleave; widening multiplies go in order (as Q6K).
      constexpr int n = nc, h = kChained ? n % 2 : 0, i = kChained ? 8 * h + n / 2 : n;
      if constexpr (kChained) {
        p[h] = Dot::Add16(p[h], q[i], vld1q_s8(a + 16 * i));
      } else {
        p[h] = Dot::Sum16(q[i], vld1q_s8(a + 16 * i));
      }
      if constexpr (n < (kChained ? 2 : 1)) {
        t[h] = MulLane<i % 4>(p[h], sc[i / 4]);
      } else {
        t[h] = MlaLane<i % 4>(t[h], p[h], sc[i / 4]);
      }
    });
    const int32x4_t total = kChained ? vaddq_s32(t[0], t[1]) : t[0];
    acc += factor * s * float(AddLanes(total));
  }
};

template <typename Dot, Format F>
static inline void IqGemm(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                          float* y, size_t y_stride) {
  GemmRows<IqBlock<Dot::kChained, F>, Dot>(w, a, row_begin, row_end, y, y_stride);
}

}  // namespace lutra::kernels::kquant::arm
