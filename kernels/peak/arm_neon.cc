// NEON without dotprod (AArch64 and ARMv7): smull of each register half (int8 pairs to int16),
// smlal of the next 16 pairs into the same int16 lanes (2·127² < 2^15), sadalp into int32: the
// int8 multiply-add of cores before ARMv8.2 (Pi 4's A72). 4 chains × 32 byte pairs (ARMv7: 2),
// named variables (an array of vectors stays in memory: see arm_dotprod.cc), each with its own
// copies of b made opaque every iteration: the products do not depend on the accumulator, so the
// compiler would otherwise compute them once.
#include <arm_neon.h>

#include "kernels/peak/variants.h"

namespace lutra::kernels::peak {
namespace {

// 32 byte pairs (x, y), (x2, y2) into acc.
inline int32x4_t Step(int32x4_t acc, int8x16_t x, int8x16_t y, int8x16_t x2, int8x16_t y2) {
  int16x8_t lo = vmull_s8(vget_low_s8(x), vget_low_s8(y));
  int16x8_t hi = vmull_s8(vget_high_s8(x), vget_high_s8(y));
  lo = vmlal_s8(lo, vget_low_s8(x2), vget_low_s8(y2));
  hi = vmlal_s8(hi, vget_high_s8(x2), vget_high_s8(y2));
  return vpadalq_s16(vpadalq_s16(acc, lo), hi);
}

inline int64_t Total(int32x4_t sum) {
  int32_t lanes[4];
  vst1q_s32(lanes, sum);
  return int64_t(lanes[0]) + lanes[1] + lanes[2] + lanes[3];
}

}  // namespace

#if defined(__aarch64__)
int64_t peak_dot_i8_u128__neon(const int8_t* a, const int8_t* b, uint64_t iterations) {
  const int8x16_t a0 = vld1q_s8(a), a1 = vld1q_s8(a + 16), a2 = vld1q_s8(a + 32),
                  a3 = vld1q_s8(a + 48);
  const int8x16_t b0 = vld1q_s8(b), b1 = vld1q_s8(b + 16), b2 = vld1q_s8(b + 32),
                  b3 = vld1q_s8(b + 48);
  int32x4_t c0 = vdupq_n_s32(0), c1 = c0, c2 = c0, c3 = c0;
  int8x16_t d0 = b0, d1 = b1, d2 = b2, d3 = b3, e0 = b0, e1 = b1, e2 = b2, e3 = b3;
  for (uint64_t it = 0; it < iterations; ++it) {
    asm volatile("" : "+w"(d0), "+w"(d1), "+w"(d2), "+w"(d3));
    asm volatile("" : "+w"(e0), "+w"(e1), "+w"(e2), "+w"(e3));
    c0 = Step(c0, a0, d0, a1, d1);
    c1 = Step(c1, a2, d2, a3, d3);
    c2 = Step(c2, a0, e0, a1, e1);
    c3 = Step(c3, a2, e2, a3, e3);
    asm volatile("" : "+w"(c0), "+w"(c1), "+w"(c2), "+w"(c3));
  }
  return Total(vaddq_s32(vaddq_s32(c0, c1), vaddq_s32(c2, c3)));
}
#else
// ARMv7 has 16 q registers: two chains, so nothing spills.
int64_t peak_dot_i8_u64__neon(const int8_t* a, const int8_t* b, uint64_t iterations) {
  const int8x16_t a0 = vld1q_s8(a), a1 = vld1q_s8(a + 16), a2 = vld1q_s8(a + 32),
                  a3 = vld1q_s8(a + 48);
  int8x16_t d0 = vld1q_s8(b), d1 = vld1q_s8(b + 16), d2 = vld1q_s8(b + 32), d3 = vld1q_s8(b + 48);
  int32x4_t c0 = vdupq_n_s32(0), c1 = c0;
  for (uint64_t it = 0; it < iterations; ++it) {
    asm volatile("" : "+w"(d0), "+w"(d1), "+w"(d2), "+w"(d3));
    c0 = Step(c0, a0, d0, a1, d1);
    c1 = Step(c1, a2, d2, a3, d3);
    asm volatile("" : "+w"(c0), "+w"(c1));
  }
  return Total(vaddq_s32(c0, c1));
}
#endif

}  // namespace lutra::kernels::peak
