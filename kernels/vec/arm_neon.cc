// NEON vec kernels (aarch64 and ARMv7): 16 floats per iteration in four independent q-register
// streams; the last < 4 floats go through a zero-padded stack copy, so no access leaves
// [0, n).
#include <arm_neon.h>

#include <cstring>

#include "arch/arm/exp_neon.h"
#include "kernels/vec/variants.h"

namespace lutra::kernels::vec {
namespace {

using arch::arm::NeonFma;

inline float32x4_t LoadTail(const float* p, size_t r) {
  float buf[4] = {0, 0, 0, 0};
  std::memcpy(buf, p, r * sizeof(float));
  return vld1q_f32(buf);
}

inline void StoreTail(float* p, float32x4_t v, size_t r) {
  float buf[4];
  vst1q_f32(buf, v);
  std::memcpy(p, buf, r * sizeof(float));
}

// Applies f (vector in, vector out, given the element offset) over [0, n).
template <typename F>
inline void ForEach(size_t n, float* y, F f) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const float32x4_t r0 = f(i, vld1q_f32), r1 = f(i + 4, vld1q_f32);
    const float32x4_t r2 = f(i + 8, vld1q_f32), r3 = f(i + 12, vld1q_f32);
    vst1q_f32(y + i, r0), vst1q_f32(y + i + 4, r1);
    vst1q_f32(y + i + 8, r2), vst1q_f32(y + i + 12, r3);
  }
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, f(i, vld1q_f32));
  if (i < n) {
    const size_t r = n - i;
    StoreTail(y + i, f(i, [r](const float* p) { return LoadTail(p, r); }), r);
  }
}

inline float32x4_t Divide(float32x4_t num, float32x4_t den) {
#if defined(__aarch64__)
  return vdivq_f32(num, den);
#else
  // ARMv7 has no vector divide: reciprocal estimate (8 bits) and two Newton steps (~23 bits).
  float32x4_t r = vrecpeq_f32(den);
  r = vmulq_f32(r, vrecpsq_f32(den, r));
  r = vmulq_f32(r, vrecpsq_f32(den, r));
  return vmulq_f32(num, r);
#endif
}

// x·σ(z) with σ from e = exp(−|z|) ≤ 1, so nothing overflows: σ = 1/(1+e) for z ≥ 0 and
// e/(1+e) for z < 0. For z < 0 the power of two of e is applied last, to x·p/(1+e): ARMv7
// NEON flushes denormals, and e itself is denormal for z < −87 while x·e is not yet.
// den lies in [1, 2], where the ARMv7 reciprocal steps are accurate.
inline float32x4_t SigmoidTimes(float32x4_t x, float32x4_t z) {
  const arch::arm::ExpPartsNeon parts = arch::arm::ExpDecomposeNeon(vnegq_f32(vabsq_f32(z)));
  const float32x4_t e = arch::arm::ExpLdexpNeon(parts.p, parts.n);
  const float32x4_t r = Divide(x, vaddq_f32(vdupq_n_f32(1.0f), e));
  // r·p would overflow for x near −FLT_MAX (GELU's z is then −∞ and the result 0): any r
  // below −1e30 gives the same 0.
  const float32x4_t rc = vmaxq_f32(r, vdupq_n_f32(-1e30f));
  const float32x4_t negative = arch::arm::ExpLdexpNeon(vmulq_f32(rc, parts.p), parts.n);
  return vbslq_f32(vcltq_f32(z, vdupq_n_f32(0.0f)), negative, r);
}

inline float32x4_t Silu(float32x4_t x) {
  return SigmoidTimes(x, x);
}

inline float32x4_t Gelu(float32x4_t x) {
  const float32x4_t inner = NeonFma(vdupq_n_f32(kGeluA), vmulq_f32(x, x), vdupq_n_f32(kGeluB));
  return SigmoidTimes(x, vmulq_f32(x, inner));
}

// tanh(t): the odd Taylor polynomial below kTanhSeriesBelow, else sign(t)·(1 − e)/(1 + e)
// with e = exp(−2|t|) ∈ (0, 0.61] (1 + e in [1, 2] for the ARMv7 reciprocal).
inline float32x4_t Tanh(float32x4_t t) {
  const float32x4_t a = vabsq_f32(t);
  const arch::arm::ExpPartsNeon parts = arch::arm::ExpDecomposeNeon(vmulq_n_f32(a, -2.0f));
  const float32x4_t e = arch::arm::ExpLdexpNeon(parts.p, parts.n);
  const float32x4_t one = vdupq_n_f32(1.0f);
  const float32x4_t q = Divide(vsubq_f32(one, e), vaddq_f32(one, e));
  const float32x4_t big = vbslq_f32(vdupq_n_u32(0x80000000u), t, q);
  const float32x4_t t2 = vmulq_f32(t, t);
  float32x4_t p = NeonFma(vdupq_n_f32(kTanhC7), t2, vdupq_n_f32(kTanhC9));
  p = NeonFma(vdupq_n_f32(kTanhC5), p, t2);
  p = NeonFma(vdupq_n_f32(kTanhC3), p, t2);
  const float32x4_t small = NeonFma(t, vmulq_f32(t, t2), p);
  return vbslq_f32(vcltq_f32(a, vdupq_n_f32(kTanhSeriesBelow)), small, big);
}

inline float HorizontalSum(float32x4_t v) {
  float b[4];
  vst1q_f32(b, v);
  return (b[0] + b[1]) + (b[2] + b[3]);
}

}  // namespace

float dot_f32_u16__neon(size_t n, const float* x, const float* y) {
  float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = NeonFma(a0, vld1q_f32(x + i), vld1q_f32(y + i));
    a1 = NeonFma(a1, vld1q_f32(x + i + 4), vld1q_f32(y + i + 4));
    a2 = NeonFma(a2, vld1q_f32(x + i + 8), vld1q_f32(y + i + 8));
    a3 = NeonFma(a3, vld1q_f32(x + i + 12), vld1q_f32(y + i + 12));
  }
  for (; i + 4 <= n; i += 4) a0 = NeonFma(a0, vld1q_f32(x + i), vld1q_f32(y + i));
  if (i < n) a1 = NeonFma(a1, LoadTail(x + i, n - i), LoadTail(y + i, n - i));
  return HorizontalSum(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
}

void axpy_f32_u16__neon(size_t n, float a, const float* x, float* y) {
  const float32x4_t va = vdupq_n_f32(a);
  ForEach(n, y, [&](size_t i, auto load) { return NeonFma(load(y + i), va, load(x + i)); });
}

void scale_f32_u16__neon(size_t n, float a, const float* x, float* y) {
  const float32x4_t va = vdupq_n_f32(a);
  ForEach(n, y, [&](size_t i, auto load) { return vmulq_f32(va, load(x + i)); });
}

void add_f32_u16__neon(size_t n, const float* a, const float* b, float* y) {
  ForEach(n, y, [&](size_t i, auto load) { return vaddq_f32(load(a + i), load(b + i)); });
}

void mul_f32_u16__neon(size_t n, const float* a, const float* b, float* y) {
  ForEach(n, y, [&](size_t i, auto load) { return vmulq_f32(load(a + i), load(b + i)); });
}

void silu_f32_u16__neon(size_t n, const float* x, float* y) {
  ForEach(n, y, [&](size_t i, auto load) { return Silu(load(x + i)); });
}

void gelu_f32_u16__neon(size_t n, const float* x, float* y) {
  ForEach(n, y, [&](size_t i, auto load) { return Gelu(load(x + i)); });
}

void softcap_f32_u16__neon(size_t n, float scale, float cap, const float* x, float* y) {
  const float a = scale / cap;
  ForEach(n, y,
          [&](size_t i, auto load) { return vmulq_n_f32(Tanh(vmulq_n_f32(load(x + i), a)), cap); });
}

}  // namespace lutra::kernels::vec
