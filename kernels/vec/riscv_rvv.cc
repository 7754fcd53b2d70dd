// RVV vec kernels, VLEN-agnostic: strip-mined with vsetvl, LMUL 8 for the streaming
// operations (one instruction covers 8 registers, so loop overhead is small at any VLEN) and
// LMUL 2 for SiLU, GELU and soft-capping, whose exp needs room for temporaries. The dot product
// accumulates with the tail-undisturbed policy so a short last strip leaves the other lanes'
// partial sums intact.
#include <riscv_vector.h>

#include "arch/riscv/exp_rvv.h"
#include "kernels/vec/variants.h"

namespace lutra::kernels::vec {

float dot_f32_u8v__rvv(size_t n, const float* x, const float* y) {
  const size_t vlmax = __riscv_vsetvlmax_e32m8();
  vfloat32m8_t acc = __riscv_vfmv_v_f_f32m8(0.0f, vlmax);
  for (size_t i = 0; i < n;) {
    const size_t vl = __riscv_vsetvl_e32m8(n - i);
    acc = __riscv_vfmacc_vv_f32m8_tu(acc, __riscv_vle32_v_f32m8(x + i, vl),
                                     __riscv_vle32_v_f32m8(y + i, vl), vl);
    i += vl;
  }
  const vfloat32m1_t sum =
      __riscv_vfredusum_vs_f32m8_f32m1(acc, __riscv_vfmv_s_f_f32m1(0.0f, 1), vlmax);
  return __riscv_vfmv_f_s_f32m1_f32(sum);
}

void axpy_f32_u8v__rvv(size_t n, float a, const float* x, float* y) {
  for (size_t i = 0; i < n;) {
    const size_t vl = __riscv_vsetvl_e32m8(n - i);
    const vfloat32m8_t vy = __riscv_vle32_v_f32m8(y + i, vl);
    __riscv_vse32_v_f32m8(y + i,
                          __riscv_vfmacc_vf_f32m8(vy, a, __riscv_vle32_v_f32m8(x + i, vl), vl), vl);
    i += vl;
  }
}

void scale_f32_u8v__rvv(size_t n, float a, const float* x, float* y) {
  for (size_t i = 0; i < n;) {
    const size_t vl = __riscv_vsetvl_e32m8(n - i);
    __riscv_vse32_v_f32m8(y + i, __riscv_vfmul_vf_f32m8(__riscv_vle32_v_f32m8(x + i, vl), a, vl),
                          vl);
    i += vl;
  }
}

void add_f32_u8v__rvv(size_t n, const float* a, const float* b, float* y) {
  for (size_t i = 0; i < n;) {
    const size_t vl = __riscv_vsetvl_e32m8(n - i);
    __riscv_vse32_v_f32m8(y + i,
                          __riscv_vfadd_vv_f32m8(__riscv_vle32_v_f32m8(a + i, vl),
                                                 __riscv_vle32_v_f32m8(b + i, vl), vl),
                          vl);
    i += vl;
  }
}

void mul_f32_u8v__rvv(size_t n, const float* a, const float* b, float* y) {
  for (size_t i = 0; i < n;) {
    const size_t vl = __riscv_vsetvl_e32m8(n - i);
    __riscv_vse32_v_f32m8(y + i,
                          __riscv_vfmul_vv_f32m8(__riscv_vle32_v_f32m8(a + i, vl),
                                                 __riscv_vle32_v_f32m8(b + i, vl), vl),
                          vl);
    i += vl;
  }
}

namespace {

// x·σ(z) with σ from e = exp(−|z|) ≤ 1, so nothing overflows: σ = 1/(1+e) for z ≥ 0 and
// e/(1+e) for z < 0.
inline vfloat32m2_t SigmoidTimes(vfloat32m2_t x, vfloat32m2_t z, size_t vl) {
  vfloat32m2_t k;
  const vfloat32m2_t p =
      arch::riscv::ExpDecomposeRvv(__riscv_vfneg_v_f32m2(__riscv_vfabs_v_f32m2(z, vl), vl), &k, vl);
  const vfloat32m2_t e = arch::riscv::ExpLdexpRvv(p, k, vl);
  const vfloat32m2_t num = __riscv_vmerge_vvm_f32m2(__riscv_vfmv_v_f_f32m2(1.0f, vl), e,
                                                    __riscv_vmflt_vf_f32m2_b16(z, 0.0f, vl), vl);
  const vfloat32m2_t den = __riscv_vfadd_vf_f32m2(e, 1.0f, vl);
  return __riscv_vfmul_vv_f32m2(x, __riscv_vfdiv_vv_f32m2(num, den, vl), vl);
}

// tanh(t): the odd Taylor polynomial below kTanhSeriesBelow, else sign(t)·(1 − e)/(1 + e)
// with e = exp(−2|t|).
inline vfloat32m2_t Tanh(vfloat32m2_t t, size_t vl) {
  const vfloat32m2_t a = __riscv_vfabs_v_f32m2(t, vl);
  vfloat32m2_t k;
  const vfloat32m2_t p = arch::riscv::ExpDecomposeRvv(__riscv_vfmul_vf_f32m2(a, -2.0f, vl), &k, vl);
  const vfloat32m2_t e = arch::riscv::ExpLdexpRvv(p, k, vl);
  const vfloat32m2_t q = __riscv_vfdiv_vv_f32m2(__riscv_vfrsub_vf_f32m2(e, 1.0f, vl),
                                                __riscv_vfadd_vf_f32m2(e, 1.0f, vl), vl);
  const vfloat32m2_t big = __riscv_vfsgnj_vv_f32m2(q, t, vl);
  const vfloat32m2_t t2 = __riscv_vfmul_vv_f32m2(t, t, vl);
  vfloat32m2_t s = __riscv_vfmv_v_f_f32m2(kTanhC9, vl);
  s = __riscv_vfmadd_vv_f32m2(s, t2, __riscv_vfmv_v_f_f32m2(kTanhC7, vl), vl);
  s = __riscv_vfmadd_vv_f32m2(s, t2, __riscv_vfmv_v_f_f32m2(kTanhC5, vl), vl);
  s = __riscv_vfmadd_vv_f32m2(s, t2, __riscv_vfmv_v_f_f32m2(kTanhC3, vl), vl);
  const vfloat32m2_t small = __riscv_vfmacc_vv_f32m2(t, __riscv_vfmul_vv_f32m2(t, t2, vl), s, vl);
  return __riscv_vmerge_vvm_f32m2(big, small, __riscv_vmflt_vf_f32m2_b16(a, kTanhSeriesBelow, vl),
                                  vl);
}

}  // namespace

void silu_f32_u2v__rvv(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n;) {
    const size_t vl = __riscv_vsetvl_e32m2(n - i);
    const vfloat32m2_t v = __riscv_vle32_v_f32m2(x + i, vl);
    __riscv_vse32_v_f32m2(y + i, SigmoidTimes(v, v, vl), vl);
    i += vl;
  }
}

void gelu_f32_u2v__rvv(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n;) {
    const size_t vl = __riscv_vsetvl_e32m2(n - i);
    const vfloat32m2_t v = __riscv_vle32_v_f32m2(x + i, vl);
    const vfloat32m2_t inner = __riscv_vfmadd_vv_f32m2(__riscv_vfmul_vv_f32m2(v, v, vl),
                                                       __riscv_vfmv_v_f_f32m2(kGeluB, vl),
                                                       __riscv_vfmv_v_f_f32m2(kGeluA, vl), vl);
    __riscv_vse32_v_f32m2(y + i, SigmoidTimes(v, __riscv_vfmul_vv_f32m2(v, inner, vl), vl), vl);
    i += vl;
  }
}

void softcap_f32_u2v__rvv(size_t n, float scale, float cap, const float* x, float* y) {
  const float a = scale / cap;
  for (size_t i = 0; i < n;) {
    const size_t vl = __riscv_vsetvl_e32m2(n - i);
    const vfloat32m2_t t = __riscv_vfmul_vf_f32m2(__riscv_vle32_v_f32m2(x + i, vl), a, vl);
    __riscv_vse32_v_f32m2(y + i, __riscv_vfmul_vf_f32m2(Tanh(t, vl), cap, vl), vl);
    i += vl;
  }
}

}  // namespace lutra::kernels::vec
