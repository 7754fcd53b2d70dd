// Scalar int8 multiply-adds: the fallback's ceiling (one 64-pair dot per iteration; the
// barrier keeps the compiler from folding the loop-invariant products into one multiply).
#include "kernels/peak/variants.h"

namespace lutra::kernels::peak {

int64_t peak_dot_i8_u64__scalar(const int8_t* a, const int8_t* b, uint64_t iterations) {
  int32_t acc[4] = {0, 0, 0, 0};
  for (uint64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < 64; i += 4) {
      for (int j = 0; j < 4; ++j) acc[j] += int32_t(a[i + j]) * int32_t(b[i + j]);
    }
    asm volatile("" : : "r"(acc) : "memory");
  }
  return int64_t(acc[0]) + acc[1] + acc[2] + acc[3];
}

}  // namespace lutra::kernels::peak
