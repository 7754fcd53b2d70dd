// RVV 1.0 q8block GEMM, VLEN-agnostic (VLEN ≥ 128): one row at a time, each block dot as one
// e8/m2 strip (vl = block ≤ 32 = VLMAX at VLEN 128), widening products into int16 and a
// widening reduction into int32; the fp32 scale and min terms follow in scalar, in the scalar
// kernel's order.
#include <riscv_vector.h>

#include "kernels/q8block/variants.h"

namespace lutra::kernels::q8block {

void gemm_w8a8_r1__rvv(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                       float* y, size_t y_stride) {
  const size_t block = w.block, blocks = w.k / block;
  // vl = block needs no vsetvl per block: block ≤ 32 ≤ VLMAX(e8, m2) for every VLEN ≥ 128.
  const vint32m1_t zero = __riscv_vmv_s_x_i32m1(0, 1);
  for (size_t r = row_begin; r < row_end; ++r) {
    const int8_t* wq = w.q + r * w.k;
    const float* ws = w.scale + r * blocks;
    const float* wm = w.min != nullptr ? w.min + r * blocks : nullptr;
    for (size_t t = 0; t < a.n; ++t) {
      const int8_t* aq = a.q + t * a.k;
      const float* as = a.scale + t * blocks;
      const float* ax = a.sum + t * blocks;
      float acc = 0.0f, mins = 0.0f;
      for (size_t b = 0; b < blocks; ++b) {
        // Each int16 lane is one product, |q·a| ≤ 128·128 = 16384; the reduction sums them
        // in int32 (|dot| ≤ 32·16384 = 2^19), so nothing wraps.
        const vint16m4_t prod =
            __riscv_vwmul_vv_i16m4(__riscv_vle8_v_i8m2(wq + b * block, block),
                                   __riscv_vle8_v_i8m2(aq + b * block, block), block);
        const int32_t dot =
            __riscv_vmv_x_s_i32m1_i32(__riscv_vwredsum_vs_i16m4_i32m1(prod, zero, block));
        acc += ws[b] * as[b] * float(dot);
        if (wm != nullptr) mins += wm[b] * ax[b];
      }
      y[t * y_stride + r] = acc - mins;
    }
  }
}

}  // namespace lutra::kernels::q8block
