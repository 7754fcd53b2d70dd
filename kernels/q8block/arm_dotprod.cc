// Dot-product q8block GEMM (AArch64 + dotprod): each 16 values of a block dot are one
// vdotq_s32 (four exact int8 products per int32 lane); the rest is the shared ARM driver
// (arm_rows.h).
#include <arm_neon.h>

#include "kernels/q8block/arm_rows.h"
#include "kernels/q8block/variants.h"

namespace lutra::kernels::q8block {
namespace {

struct Sdot {
  static int32x4_t Add16(int32x4_t acc, int8x16_t w, int8x16_t a) { return vdotq_s32(acc, w, a); }
};

}  // namespace

void gemm_w8a8_r4__dotprod(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                           float* y, size_t y_stride) {
  if (w.block == 16) {
    arm::GemmRows<16, Sdot>(w, a, row_begin, row_end, y, y_stride);
  } else {
    arm::GemmRows<32, Sdot>(w, a, row_begin, row_end, y, y_stride);
  }
}

}  // namespace lutra::kernels::q8block
