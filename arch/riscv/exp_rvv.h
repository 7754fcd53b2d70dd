// Vectorised exp pieces for RVV kernel files (VLEN-agnostic, LMUL 2); static inline only.
// Same decomposition as arch/x86/exp_simd.h and arch/arm/exp_neon.h: exp(z) = 2^n · p(t),
// n = round(z·log2 e), t = z − n·ln 2 in two steps (Cody–Waite), degree-6 Taylor p on
// |t| ≤ ln2/2 (≤ 1.5 ulp), t clamped to [−1, 1], z clamped to ±1e38. Unordered (NaN) lanes
// pass through every clamp (compare + merge keeps them), so a NaN input gives a NaN p.
// RVV types cannot be struct members, so n comes back through a pointer.
#pragma once

#include <riscv_vector.h>

namespace lutra::arch::riscv {

// Lanes where v < lo (false for NaN) become lo, likewise for hi.
static inline vfloat32m2_t ClampKeepNaNRvv(vfloat32m2_t v, float lo, float hi, size_t vl) {
  v = __riscv_vfmerge_vfm_f32m2(v, lo, __riscv_vmflt_vf_f32m2_b16(v, lo, vl), vl);
  return __riscv_vfmerge_vfm_f32m2(v, hi, __riscv_vmfgt_vf_f32m2_b16(v, hi, vl), vl);
}

// Round to nearest even as a float. vfcvt saturates at ±2^31, so lanes with |v| ≥ 2^23
// (already integers) and NaN keep v.
static inline vfloat32m2_t RoundNearestRvv(vfloat32m2_t v, size_t vl) {
  const vfloat32m2_t r = __riscv_vfcvt_f_x_v_f32m2(__riscv_vfcvt_x_f_v_i32m2(v, vl), vl);
  const vbool16_t small = __riscv_vmflt_vf_f32m2_b16(__riscv_vfabs_v_f32m2(v, vl), 8388608.0f, vl);
  return __riscv_vmerge_vvm_f32m2(v, r, small, vl);
}

// exp(z) = p · 2^n: returns p, stores the integer-valued n.
static inline vfloat32m2_t ExpDecomposeRvv(vfloat32m2_t z, vfloat32m2_t* n_out, size_t vl) {
  z = ClampKeepNaNRvv(z, -1e38f, 1e38f, vl);
  const vfloat32m2_t n = RoundNearestRvv(__riscv_vfmul_vf_f32m2(z, 1.44269504088896341f, vl), vl);
  vfloat32m2_t t = __riscv_vfnmsac_vf_f32m2(z, 0.693147182464599609375f, n, vl);
  t = __riscv_vfnmsac_vf_f32m2(t, -1.904654299957768e-09f, n, vl);
  t = ClampKeepNaNRvv(t, -1.0f, 1.0f, vl);
  vfloat32m2_t p = __riscv_vfmv_v_f_f32m2(1.0f / 720, vl);
  p = __riscv_vfmadd_vv_f32m2(p, t, __riscv_vfmv_v_f_f32m2(1.0f / 120, vl), vl);
  p = __riscv_vfmadd_vv_f32m2(p, t, __riscv_vfmv_v_f_f32m2(1.0f / 24, vl), vl);
  p = __riscv_vfmadd_vv_f32m2(p, t, __riscv_vfmv_v_f_f32m2(1.0f / 6, vl), vl);
  p = __riscv_vfmadd_vv_f32m2(p, t, __riscv_vfmv_v_f_f32m2(0.5f, vl), vl);
  p = __riscv_vfmadd_vv_f32m2(p, t, __riscv_vfmv_v_f_f32m2(1.0f, vl), vl);
  p = __riscv_vfmadd_vv_f32m2(p, t, __riscv_vfmv_v_f_f32m2(1.0f, vl), vl);
  *n_out = n;
  return p;
}

// 2^d for integer-valued d ≤ 128; d < −126 (and NaN) gives 0.
static inline vfloat32m2_t ExpPow2Rvv(vfloat32m2_t d, size_t vl) {
  d = __riscv_vfmax_vf_f32m2(d, -127.0f, vl);  // maximumNumber: NaN becomes −127
  vint32m2_t e = __riscv_vadd_vx_i32m2(__riscv_vfcvt_x_f_v_i32m2(d, vl), 127, vl);
  e = __riscv_vmax_vx_i32m2(e, 0, vl);
  return __riscv_vreinterpret_v_i32m2_f32m2(__riscv_vsll_vx_i32m2(e, 23, vl));
}

// v · 2^d for integer-valued d ≤ 0, exact down to the denormals (one factor alone cannot go
// below 2^−126, two can).
static inline vfloat32m2_t ExpLdexpRvv(vfloat32m2_t v, vfloat32m2_t d, size_t vl) {
  const vfloat32m2_t d1 = __riscv_vfmax_vf_f32m2(d, -100.0f, vl);
  return __riscv_vfmul_vv_f32m2(__riscv_vfmul_vv_f32m2(v, ExpPow2Rvv(d1, vl), vl),
                                ExpPow2Rvv(__riscv_vfsub_vv_f32m2(d, d1, vl), vl), vl);
}

}  // namespace lutra::arch::riscv
