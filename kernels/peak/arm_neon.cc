// NEON without dotprod (AArch64 and ARMv7): smull of each register half (int8 pairs to int16),
// smlal of the next 16 pairs into the same int16 lanes (2·127² < 2^15), sadalp into int32:
// the int8 multiply-add of cores before ARMv8.2 (Pi 4's A72). 4 chains × 32 byte pairs.
#include <arm_neon.h>

#include "kernels/peak/variants.h"

namespace lutra::kernels::peak {

int64_t peak_dot_i8_u128__neon(const int8_t* a, const int8_t* b, uint64_t iterations) {
  constexpr int kChains = 4;
  int8x16_t va[4], vb[4];
  for (int q = 0; q < 4; ++q) va[q] = vld1q_s8(a + 16 * q), vb[q] = vld1q_s8(b + 16 * q);
  int32x4_t acc[kChains];
  for (int32x4_t& v : acc) v = vdupq_n_s32(0);
  for (uint64_t it = 0; it < iterations; ++it) {
    for (int c = 0; c < kChains; ++c) {
      // Chain c: pairs 32·(c % 2) .. +31, as two 16-pair registers.
      const int q = 2 * (c % 2);
      int16x8_t lo = vmull_s8(vget_low_s8(va[q]), vget_low_s8(vb[q]));
      int16x8_t hi = vmull_s8(vget_high_s8(va[q]), vget_high_s8(vb[q]));
      lo = vmlal_s8(lo, vget_low_s8(va[q + 1]), vget_low_s8(vb[q + 1]));
      hi = vmlal_s8(hi, vget_high_s8(va[q + 1]), vget_high_s8(vb[q + 1]));
      acc[c] = vpadalq_s16(vpadalq_s16(acc[c], lo), hi);
      asm volatile("" : "+w"(acc[c]));
    }
  }
  int64_t total = 0;
  for (const int32x4_t& v : acc) {
    int32_t lanes[4];
    vst1q_s32(lanes, v);
    for (int32_t l : lanes) total += l;
  }
  return total;
}

}  // namespace lutra::kernels::peak
