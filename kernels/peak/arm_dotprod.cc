// AArch64 dotprod: sdot on q registers, 12 chains of 16 byte pairs (four chains cover the 64
// pairs of the contract). The chains are named variables, not an array: GCC keeps an array of
// vectors in memory when the loop is unrolled late, and the loop would time loads and stores.
#include <arm_neon.h>

#include "kernels/peak/variants.h"

namespace lutra::kernels::peak {

int64_t peak_dot_i8_u192__dotprod(const int8_t* a, const int8_t* b, uint64_t iterations) {
  const int8x16_t a0 = vld1q_s8(a), a1 = vld1q_s8(a + 16), a2 = vld1q_s8(a + 32),
                  a3 = vld1q_s8(a + 48);
  const int8x16_t b0 = vld1q_s8(b), b1 = vld1q_s8(b + 16), b2 = vld1q_s8(b + 32),
                  b3 = vld1q_s8(b + 48);
  int32x4_t c0 = vdupq_n_s32(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0,
            c8 = c0, c9 = c0, c10 = c0, c11 = c0;
  for (uint64_t it = 0; it < iterations; ++it) {
    c0 = vdotq_s32(c0, a0, b0), c1 = vdotq_s32(c1, a1, b1), c2 = vdotq_s32(c2, a2, b2);
    c3 = vdotq_s32(c3, a3, b3), c4 = vdotq_s32(c4, a0, b0), c5 = vdotq_s32(c5, a1, b1);
    c6 = vdotq_s32(c6, a2, b2), c7 = vdotq_s32(c7, a3, b3), c8 = vdotq_s32(c8, a0, b0);
    c9 = vdotq_s32(c9, a1, b1), c10 = vdotq_s32(c10, a2, b2), c11 = vdotq_s32(c11, a3, b3);
    // Opaque: no folding of the loop-invariant products across iterations.
    asm volatile("" : "+w"(c0), "+w"(c1), "+w"(c2), "+w"(c3), "+w"(c4), "+w"(c5));
    asm volatile("" : "+w"(c6), "+w"(c7), "+w"(c8), "+w"(c9), "+w"(c10), "+w"(c11));
  }
  const int32x4_t sum = vaddq_s32(vaddq_s32(vaddq_s32(vaddq_s32(c0, c1), vaddq_s32(c2, c3)),
                                            vaddq_s32(vaddq_s32(c4, c5), vaddq_s32(c6, c7))),
                                  vaddq_s32(vaddq_s32(c8, c9), vaddq_s32(c10, c11)));
  int32_t lanes[4];
  vst1q_s32(lanes, sum);
  return int64_t(lanes[0]) + lanes[1] + lanes[2] + lanes[3];
}

}  // namespace lutra::kernels::peak
