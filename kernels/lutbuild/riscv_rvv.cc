// RVV table builders, VLEN-agnostic: vectorised across quads (lane = quad; x0..x3 of up to
// VLMAX quads come from four 16-byte-strided loads). Entry 8 + i is ((x3 ± x0) ± x1) ± x2, the
// scalar builder's evaluation order; the mirror T[7 − i] = −T[8 + i] is one negation, and both
// are written with 16-byte-strided byte stores (one table per quad).
// Quantized mode takes λ from the quads' Σ|x| (in the scalar order, so λ matches the portable
// builder bit for bit) and clamps to ±127, which only matters for the last-ulp overshoot of
// an entry's |T| over its Σ|x|.
#include <riscv_vector.h>

#include <algorithm>
#include <cstring>

#include "kernels/lutbuild/variants.h"

namespace lutra::kernels::lutbuild {
namespace {

constexpr ptrdiff_t kQuadStride = 16;  // bytes between quads' x0 (4 floats) and tables

// The block's activations, zero padded past n when it is the last, partial block.
static inline const float* BlockInput(const float* x, size_t n, size_t k0, size_t block,
                                      float* pad) {
  if (k0 + block <= n) return x + k0;
  std::fill(pad, pad + block, 0.0f);
  if (k0 < n) std::memcpy(pad, x + k0, (n - k0) * sizeof(float));
  return pad;
}

// Activation u of vl consecutive quads (RVV types cannot form structs or arrays).
static inline vfloat32m4_t LoadX(const float* xb, int u, size_t vl) {
  return __riscv_vlse32_v_f32m4(xb + u, kQuadStride, vl);
}

// xq = clamp(nearbyint(x·inv), ±127); clamping the float first is the same for integer bounds.
static inline vint32m4_t QuantizeX(const float* xb, int u, float inv, size_t vl) {
  vfloat32m4_t v = __riscv_vfmul_vf_f32m4(LoadX(xb, u, vl), inv, vl);
  v = __riscv_vfmax_vf_f32m4(__riscv_vfmin_vf_f32m4(v, 127.0f, vl), -127.0f, vl);
  return __riscv_vfcvt_x_f_v_i32m4(v, vl);
}

}  // namespace

void f32_g4__rvv(size_t n, size_t block, const float* x, uint8_t* tables, float* scale,
                 float* sum) {
  const size_t blocks = (n + block - 1) / block, quads = block / 4;
  float pad[128];
  for (size_t b = 0; b < blocks; ++b) {
    const float* xb = BlockInput(x, n, b * block, block, pad);
    // Pass 1: λ from the largest Σ|x| of a quad, and the block sum.
    vfloat32m1_t vmax = __riscv_vfmv_s_f_f32m1(0.0f, 1), vsum = __riscv_vfmv_s_f_f32m1(0.0f, 1);
    for (size_t j = 0; j < quads;) {
      const size_t vl = __riscv_vsetvl_e32m4(quads - j);
      const float* xj = xb + 4 * j;
      const vfloat32m4_t x0 = LoadX(xj, 0, vl), x1 = LoadX(xj, 1, vl), x2 = LoadX(xj, 2, vl),
                         x3 = LoadX(xj, 3, vl);
      vfloat32m4_t a =
          __riscv_vfadd_vv_f32m4(__riscv_vfabs_v_f32m4(x0, vl), __riscv_vfabs_v_f32m4(x1, vl), vl);
      a = __riscv_vfadd_vv_f32m4(a, __riscv_vfabs_v_f32m4(x2, vl), vl);
      a = __riscv_vfadd_vv_f32m4(a, __riscv_vfabs_v_f32m4(x3, vl), vl);
      vmax = __riscv_vfredmax_vs_f32m4_f32m1(a, vmax, vl);
      vfloat32m4_t s = __riscv_vfadd_vv_f32m4(x0, x1, vl);
      s = __riscv_vfadd_vv_f32m4(s, __riscv_vfadd_vv_f32m4(x2, x3, vl), vl);
      vsum = __riscv_vfredusum_vs_f32m4_f32m1(s, vsum, vl);
      j += vl;
    }
    const float maxsum = __riscv_vfmv_f_s_f32m1_f32(vmax);
    scale[b] = maxsum / 127.0f;
    sum[b] = __riscv_vfmv_f_s_f32m1_f32(vsum);
    const float inv = maxsum > 0.0f ? 127.0f / maxsum : 0.0f;
    // Pass 2: entries 8 + i and their mirrors 7 − i, quantized (round to nearest even).
    for (size_t j = 0; j < quads;) {
      const size_t vl = __riscv_vsetvl_e32m4(quads - j);
      const float* xj = xb + 4 * j;
      const vfloat32m4_t x0 = LoadX(xj, 0, vl), x1 = LoadX(xj, 1, vl), x2 = LoadX(xj, 2, vl),
                         x3 = LoadX(xj, 3, vl);
      uint8_t* tj = tables + (b * quads + j) * 16;
      for (int i = 0; i < 8; ++i) {
        vfloat32m4_t e =
            (i & 1) ? __riscv_vfadd_vv_f32m4(x3, x0, vl) : __riscv_vfsub_vv_f32m4(x3, x0, vl);
        e = (i & 2) ? __riscv_vfadd_vv_f32m4(e, x1, vl) : __riscv_vfsub_vv_f32m4(e, x1, vl);
        e = (i & 4) ? __riscv_vfadd_vv_f32m4(e, x2, vl) : __riscv_vfsub_vv_f32m4(e, x2, vl);
        e = __riscv_vfmul_vf_f32m4(e, inv, vl);
        e = __riscv_vfmax_vf_f32m4(__riscv_vfmin_vf_f32m4(e, 127.0f, vl), -127.0f, vl);
        const vint8m1_t q8 = __riscv_vncvt_x_x_w_i8m1(
            __riscv_vncvt_x_x_w_i16m2(__riscv_vfcvt_x_f_v_i32m4(e, vl), vl), vl);
        const vuint8m1_t u = __riscv_vreinterpret_v_i8m1_u8m1(q8);
        __riscv_vsse8_v_u8m1(tj + 8 + i, kQuadStride, __riscv_vxor_vx_u8m1(u, 0x80, vl), vl);
        __riscv_vsse8_v_u8m1(tj + 7 - i, kQuadStride, __riscv_vrsub_vx_u8m1(u, 0x80, vl), vl);
      }
      j += vl;
    }
  }
}

void a8_g4__rvv(size_t n, size_t block, const float* x, float inv_scale, float act_scale,
                uint8_t* lo, uint8_t* hi, float* scale, float* sum) {
  const size_t blocks = (n + block - 1) / block, quads = block / 4;
  float pad[128];
  for (size_t b = 0; b < blocks; ++b) {
    const float* xb = BlockInput(x, n, b * block, block, pad);
    vint32m1_t vsum = __riscv_vmv_s_x_i32m1(0, 1);
    for (size_t j = 0; j < quads;) {
      const size_t vl = __riscv_vsetvl_e32m4(quads - j);
      const float* xj = xb + 4 * j;
      const vint32m4_t q0 = QuantizeX(xj, 0, inv_scale, vl), q1 = QuantizeX(xj, 1, inv_scale, vl),
                       q2 = QuantizeX(xj, 2, inv_scale, vl), q3 = QuantizeX(xj, 3, inv_scale, vl);
      vint32m4_t s = __riscv_vadd_vv_i32m4(q0, q1, vl);
      s = __riscv_vadd_vv_i32m4(s, __riscv_vadd_vv_i32m4(q2, q3, vl), vl);
      vsum = __riscv_vredsum_vs_i32m4_i32m1(s, vsum, vl);
      const size_t at = (b * quads + j) * 16;
      for (int i = 0; i < 8; ++i) {
        vint32m4_t e =
            (i & 1) ? __riscv_vadd_vv_i32m4(q3, q0, vl) : __riscv_vsub_vv_i32m4(q3, q0, vl);
        e = (i & 2) ? __riscv_vadd_vv_i32m4(e, q1, vl) : __riscv_vsub_vv_i32m4(e, q1, vl);
        e = (i & 4) ? __riscv_vadd_vv_i32m4(e, q2, vl) : __riscv_vsub_vv_i32m4(e, q2, vl);
        for (int mirror = 0; mirror < 2; ++mirror) {
          const vint32m4_t t = mirror ? __riscv_vneg_v_i32m4(e, vl) : e;
          const size_t pos = mirror ? size_t(7 - i) : size_t(8 + i);
          // lo = T & 0xFF (truncating narrow), hi = (T >> 8) + 128.
          const vint8m1_t lb = __riscv_vncvt_x_x_w_i8m1(__riscv_vncvt_x_x_w_i16m2(t, vl), vl);
          const vint8m1_t hb = __riscv_vncvt_x_x_w_i8m1(
              __riscv_vncvt_x_x_w_i16m2(__riscv_vsra_vx_i32m4(t, 8, vl), vl), vl);
          __riscv_vsse8_v_u8m1(lo + at + pos, kQuadStride, __riscv_vreinterpret_v_i8m1_u8m1(lb),
                               vl);
          __riscv_vsse8_v_u8m1(hi + at + pos, kQuadStride,
                               __riscv_vxor_vx_u8m1(__riscv_vreinterpret_v_i8m1_u8m1(hb), 0x80, vl),
                               vl);
        }
      }
      j += vl;
    }
    scale[b] = act_scale;
    sum[b] = float(__riscv_vmv_x_s_i32m1_i32(vsum));
  }
}

}  // namespace lutra::kernels::lutbuild
