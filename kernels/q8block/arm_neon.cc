// NEON q8block GEMM (AArch64 and ARMv7): int8 × int8 products by vmull_s8, widened to int32
// pairwise; the rest is the shared ARM driver (arm_rows.h).
#include <arm_neon.h>

#include "kernels/q8block/arm_rows.h"
#include "kernels/q8block/variants.h"

namespace lutra::kernels::q8block {
namespace {

struct MullDot {
  // Four int32 partial sums of one 16-value half-block. Each vmull_s8 lane holds one product,
  // |q·a| ≤ 128·128 = 16384 ≤ 32767 even for a = −128, which the quantizer never emits but
  // nothing here relies on; vpadalq_s16 widens before any two products meet. A vmlal_s8 pair
  // would reach 2·128·128 = 32768 and wrap. An int32 lane sums at most 8 products (≤ 2^17).
  static int32x4_t Add16(int32x4_t acc, int8x16_t w, int8x16_t a) {
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(w), vget_low_s8(a)));
    return vpadalq_s16(acc, vmull_s8(vget_high_s8(w), vget_high_s8(a)));
  }
};

}  // namespace

void gemm_w8a8_r4__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y, size_t y_stride) {
  if (w.block == 16) {
    arm::GemmRows<16, MullDot>(w, a, row_begin, row_end, y, y_stride);
  } else {
    arm::GemmRows<32, MullDot>(w, a, row_begin, row_end, y, y_stride);
  }
}

}  // namespace lutra::kernels::q8block
