// Vectorised exp pieces for NEON kernel files (aarch64 and ARMv7 NEON); static inline only.
// Same decomposition as arch/x86/exp_simd.h: exp(z) = 2^n · p(t), degree-6 Taylor p on
// |t| ≤ ln2/2 (≤ 1.5 ulp), t clamped to [−1, 1], z clamped to ±1e38 (NaN passes through:
// the clamps are written as compare+select that keep unordered lanes).
#pragma once

#include <arm_neon.h>

namespace lutra::arch::arm {

struct ExpPartsNeon {
  float32x4_t p;
  float32x4_t n;  // integer-valued
};

static inline float32x4_t NeonFma(float32x4_t acc, float32x4_t a, float32x4_t b) {
#if defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
  return vfmaq_f32(acc, a, b);
#else
  return vmlaq_f32(acc, a, b);
#endif
}

// Clamp keeping NaN: lanes where v < lo (false for NaN) become lo, likewise for hi.
static inline float32x4_t ClampKeepNaN(float32x4_t v, float lo, float hi) {
  v = vbslq_f32(vcltq_f32(v, vdupq_n_f32(lo)), vdupq_n_f32(lo), v);
  return vbslq_f32(vcgtq_f32(v, vdupq_n_f32(hi)), vdupq_n_f32(hi), v);
}

static inline float32x4_t RoundNearest(float32x4_t v) {
#if defined(__aarch64__)
  return vrndnq_f32(v);
#else
  // 1.5·2^23 rounds to an integer for |v| < 2^22; larger floats are integers or off by ½,
  // which only matters where the result is dominated by n anyway (|z| > 2.9e6).
  const float32x4_t magic = vdupq_n_f32(12582912.0f);
  const float32x4_t r = vsubq_f32(vaddq_f32(v, magic), magic);
  return vbslq_f32(vcltq_f32(vabsq_f32(v), vdupq_n_f32(4194304.0f)), r, v);
#endif
}

static inline ExpPartsNeon ExpDecomposeNeon(float32x4_t z) {
  z = ClampKeepNaN(z, -1e38f, 1e38f);
  const float32x4_t n = RoundNearest(vmulq_f32(z, vdupq_n_f32(1.44269504088896341f)));
#if defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
  float32x4_t t = vfmsq_f32(z, n, vdupq_n_f32(0.693147182464599609375f));
  t = vfmsq_f32(t, n, vdupq_n_f32(-1.904654299957768e-09f));
#else
  // Without FMA, ln2_hi has 9 significant bits so n·ln2_hi is exact for |n| < 2^15.
  float32x4_t t = vmlsq_f32(z, n, vdupq_n_f32(0.693359375f));
  t = vmlsq_f32(t, n, vdupq_n_f32(-2.12194440e-4f));
#endif
  t = ClampKeepNaN(t, -1.0f, 1.0f);
  float32x4_t p = NeonFma(vdupq_n_f32(1.0f / 120), t, vdupq_n_f32(1.0f / 720));
  p = NeonFma(vdupq_n_f32(1.0f / 24), p, t);
  p = NeonFma(vdupq_n_f32(1.0f / 6), p, t);
  p = NeonFma(vdupq_n_f32(0.5f), p, t);
  p = NeonFma(vdupq_n_f32(1.0f), p, t);
  p = NeonFma(vdupq_n_f32(1.0f), p, t);
  return {p, n};
}

// 2^d for integer-valued d ≤ 128; d < −126 (and NaN) gives 0.
static inline float32x4_t ExpPow2Neon(float32x4_t d) {
  d = vmaxq_f32(d, vdupq_n_f32(-127.0f));  // NaN → don't care (the mantissa carries it)
  const int32x4_t e = vaddq_s32(vcvtq_s32_f32(d), vdupq_n_s32(127));
  return vreinterpretq_f32_s32(vshlq_n_s32(vmaxq_s32(e, vdupq_n_s32(0)), 23));
}

// v · 2^d for integer-valued d ≤ 0, exact down to the denormals.
static inline float32x4_t ExpLdexpNeon(float32x4_t v, float32x4_t d) {
  const float32x4_t d1 = vmaxq_f32(d, vdupq_n_f32(-100.0f));
  return vmulq_f32(vmulq_f32(v, ExpPow2Neon(d1)), ExpPow2Neon(vsubq_f32(d, d1)));
}

}  // namespace lutra::arch::arm
