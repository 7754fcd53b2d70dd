// RVV softmax, VLEN-agnostic, LMUL 2 (the exp needs room for temporaries). The two-pass form
// keeps one (mantissa, exponent) accumulator pair per lane; strips shorter than VLMAX update
// only their lanes (vmv tail-undisturbed), so the lanes past a short last strip keep their
// sums. The lanes are combined in-register: the largest exponent by reduction, then the
// mantissas rescaled to it and summed (a lane more than 2^126 below the largest contributes
// nothing a float sum could show).
#include <riscv_vector.h>

#include <cmath>

#include "arch/riscv/exp_rvv.h"
#include "kernels/softmax2p/variants.h"

namespace lutra::kernels::softmax2p {
namespace {

using namespace lutra::arch::riscv;

inline vfloat32m2_t Z(const float* x, const float* mask, float scale, size_t i, size_t vl) {
  const vfloat32m2_t v = __riscv_vfmul_vf_f32m2(__riscv_vle32_v_f32m2(x + i, vl), scale, vl);
  return mask != nullptr ? __riscv_vfadd_vv_f32m2(v, __riscv_vle32_v_f32m2(mask + i, vl), vl) : v;
}

// max(z). A NaN z gives a NaN exponential in the callers' next pass, hence a NaN sum and NaN
// everywhere.
float MaxZ(size_t n, const float* x, const float* mask, float scale) {
  const size_t vlmax = __riscv_vsetvlmax_e32m2();
  vfloat32m2_t vmax = __riscv_vfmv_v_f_f32m2(-INFINITY, vlmax);
  for (size_t i = 0; i < n;) {
    const size_t vl = __riscv_vsetvl_e32m2(n - i);
    vmax = __riscv_vfmax_vv_f32m2_tu(vmax, vmax, Z(x, mask, scale, i, vl), vl);
    i += vl;
  }
  return __riscv_vfmv_f_s_f32m1_f32(
      __riscv_vfredmax_vs_f32m2_f32m1(vmax, __riscv_vfmv_s_f_f32m1(-INFINITY, 1), vlmax));
}

}  // namespace

void softmax2p_f32_u2v__rvv(size_t n, const float* x, const float* mask, float scale, float* y) {
  const size_t vlmax = __riscv_vsetvlmax_e32m2();
  vfloat32m2_t m = __riscv_vfmv_v_f_f32m2(0.0f, vlmax);
  vfloat32m2_t e = __riscv_vfmv_v_f_f32m2(-INFINITY, vlmax);
  for (size_t i = 0; i < n;) {
    const size_t vl = __riscv_vsetvl_e32m2(n - i);
    vfloat32m2_t k;
    const vfloat32m2_t p = ExpDecomposeRvv(Z(x, mask, scale, i, vl), &k, vl);
    // vfmax drops NaN exponents, but a NaN z has a NaN p, which makes m NaN.
    const vfloat32m2_t emax = __riscv_vfmax_vv_f32m2(e, k, vl);
    const vfloat32m2_t mnew = __riscv_vfmacc_vv_f32m2(
        __riscv_vfmul_vv_f32m2(m, ExpPow2Rvv(__riscv_vfsub_vv_f32m2(e, emax, vl), vl), vl), p,
        ExpPow2Rvv(__riscv_vfsub_vv_f32m2(k, emax, vl), vl), vl);
    m = __riscv_vmv_v_v_f32m2_tu(m, mnew, vl);
    e = __riscv_vmv_v_v_f32m2_tu(e, emax, vl);
    i += vl;
  }
  const float esum = __riscv_vfmv_f_s_f32m1_f32(
      __riscv_vfredmax_vs_f32m2_f32m1(e, __riscv_vfmv_s_f_f32m1(-INFINITY, 1), vlmax));
  const vfloat32m2_t scaled =
      __riscv_vfmul_vv_f32m2(m, ExpPow2Rvv(__riscv_vfsub_vf_f32m2(e, esum, vlmax), vlmax), vlmax);
  const float msum = __riscv_vfmv_f_s_f32m1_f32(
      __riscv_vfredusum_vs_f32m2_f32m1(scaled, __riscv_vfmv_s_f_f32m1(0.0f, 1), vlmax));

  const float inv = 1.0f / msum;
  for (size_t i = 0; i < n;) {
    const size_t vl = __riscv_vsetvl_e32m2(n - i);
    vfloat32m2_t k;
    const vfloat32m2_t p = ExpDecomposeRvv(Z(x, mask, scale, i, vl), &k, vl);
    const vfloat32m2_t out =
        ExpLdexpRvv(__riscv_vfmul_vf_f32m2(p, inv, vl), __riscv_vfsub_vf_f32m2(k, esum, vl), vl);
    __riscv_vse32_v_f32m2(y + i, out, vl);  // loads of this strip came first: y may equal x
    i += vl;
  }
}

void softmax3p_f32_u2v__rvv(size_t n, const float* x, const float* mask, float scale, float* y) {
  const size_t vlmax = __riscv_vsetvlmax_e32m2();
  const float zmax = MaxZ(n, x, mask, scale);
  auto ex = [&](size_t i, size_t vl, float factor) {
    vfloat32m2_t k;
    const vfloat32m2_t p =
        ExpDecomposeRvv(__riscv_vfsub_vf_f32m2(Z(x, mask, scale, i, vl), zmax, vl), &k, vl);
    return ExpLdexpRvv(__riscv_vfmul_vf_f32m2(p, factor, vl), k, vl);
  };
  vfloat32m2_t sum = __riscv_vfmv_v_f_f32m2(0.0f, vlmax);
  for (size_t i = 0; i < n;) {
    const size_t vl = __riscv_vsetvl_e32m2(n - i);
    sum = __riscv_vfadd_vv_f32m2_tu(sum, sum, ex(i, vl, 1.0f), vl);
    i += vl;
  }
  const float inv = 1.0f / __riscv_vfmv_f_s_f32m1_f32(__riscv_vfredusum_vs_f32m2_f32m1(
                               sum, __riscv_vfmv_s_f_f32m1(0.0f, 1), vlmax));
  for (size_t i = 0; i < n;) {
    const size_t vl = __riscv_vsetvl_e32m2(n - i);
    __riscv_vse32_v_f32m2(y + i, ex(i, vl, inv), vl);
    i += vl;
  }
}

// Stored three-pass (see softmax2p.h): exp(z − max) kept in y, then rescaled.
void softmax3s_f32_u2v__rvv(size_t n, const float* x, const float* mask, float scale, float* y) {
  const size_t vlmax = __riscv_vsetvlmax_e32m2();
  const float zmax = MaxZ(n, x, mask, scale);
  vfloat32m2_t sum = __riscv_vfmv_v_f_f32m2(0.0f, vlmax);
  for (size_t i = 0; i < n;) {
    const size_t vl = __riscv_vsetvl_e32m2(n - i);
    vfloat32m2_t k;
    const vfloat32m2_t p =
        ExpDecomposeRvv(__riscv_vfsub_vf_f32m2(Z(x, mask, scale, i, vl), zmax, vl), &k, vl);
    const vfloat32m2_t e = ExpLdexpRvv(p, k, vl);
    __riscv_vse32_v_f32m2(y + i, e, vl);
    sum = __riscv_vfadd_vv_f32m2_tu(sum, sum, e, vl);
    i += vl;
  }
  const float inv = 1.0f / __riscv_vfmv_f_s_f32m1_f32(__riscv_vfredusum_vs_f32m2_f32m1(
                               sum, __riscv_vfmv_s_f_f32m1(0.0f, 1), vlmax));
  for (size_t i = 0; i < n;) {
    const size_t vl = __riscv_vsetvl_e32m2(n - i);
    __riscv_vse32_v_f32m2(y + i, __riscv_vfmul_vf_f32m2(__riscv_vle32_v_f32m2(y + i, vl), inv, vl),
                          vl);
    i += vl;
  }
}

}  // namespace lutra::kernels::softmax2p
