// RVV rmsnorm, VLEN-agnostic: Σx² in an LMUL-8 accumulator (tail-undisturbed, so a short last
// strip keeps the other lanes' partial sums), one unordered reduction, then y = x·inv·w.
#include <riscv_vector.h>

#include "kernels/rmsnorm/scale.h"
#include "kernels/rmsnorm/variants.h"

namespace lutra::kernels::rmsnorm {
namespace {

float SumSq(size_t n, const float* x, float scale) {
  const size_t vlmax = __riscv_vsetvlmax_e32m8();
  vfloat32m8_t acc = __riscv_vfmv_v_f_f32m8(0.0f, vlmax);
  for (size_t i = 0; i < n;) {
    const size_t vl = __riscv_vsetvl_e32m8(n - i);
    const vfloat32m8_t v = __riscv_vfmul_vf_f32m8(__riscv_vle32_v_f32m8(x + i, vl), scale, vl);
    acc = __riscv_vfmacc_vv_f32m8_tu(acc, v, v, vl);
    i += vl;
  }
  return __riscv_vfmv_f_s_f32m1_f32(
      __riscv_vfredusum_vs_f32m8_f32m1(acc, __riscv_vfmv_s_f_f32m1(0.0f, 1), vlmax));
}

}  // namespace

void rmsnorm_f32_u8v__rvv(size_t n, const float* x, const float* weight, float eps, float* y) {
  const float inv = InvRms(n, eps, [&](float s) { return SumSq(n, x, s); });
  for (size_t i = 0; i < n;) {
    const size_t vl = __riscv_vsetvl_e32m8(n - i);
    const vfloat32m8_t v = __riscv_vfmul_vf_f32m8(__riscv_vle32_v_f32m8(x + i, vl), inv, vl);
    __riscv_vse32_v_f32m8(y + i,
                          __riscv_vfmul_vv_f32m8(v, __riscv_vle32_v_f32m8(weight + i, vl), vl), vl);
    i += vl;
  }
}

}  // namespace lutra::kernels::rmsnorm
