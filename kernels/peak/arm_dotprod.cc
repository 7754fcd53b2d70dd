// AArch64 dotprod: sdot on q registers, 12 chains of 16 byte pairs (four chains cover the 64
// pairs of the contract).
#include <arm_neon.h>

#include "kernels/peak/variants.h"

namespace lutra::kernels::peak {

int64_t peak_dot_i8_u192__dotprod(const int8_t* a, const int8_t* b, uint64_t iterations) {
  constexpr int kChains = 12;
  int8x16_t va[4], vb[4];
  for (int q = 0; q < 4; ++q) va[q] = vld1q_s8(a + 16 * q), vb[q] = vld1q_s8(b + 16 * q);
  int32x4_t acc[kChains];
  for (int32x4_t& v : acc) v = vdupq_n_s32(0);
  for (uint64_t it = 0; it < iterations; ++it) {
    for (int c = 0; c < kChains; ++c) {
      acc[c] = vdotq_s32(acc[c], va[c % 4], vb[c % 4]);
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
