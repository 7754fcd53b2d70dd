// NEON rmsnorm (aarch64 and ARMv7): four q-register accumulators of x² (16 floats per
// iteration); the last < 4 floats go through a zero-padded stack copy.
#include <arm_neon.h>

#include <cstring>

#include "kernels/rmsnorm/scale.h"
#include "kernels/rmsnorm/variants.h"

namespace lutra::kernels::rmsnorm {
namespace {

inline float32x4_t Fma(float32x4_t acc, float32x4_t a, float32x4_t b) {
#if defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
  return vfmaq_f32(acc, a, b);
#else
  return vmlaq_f32(acc, a, b);
#endif
}

inline float32x4_t LoadTail(const float* p, size_t r) {
  float buf[4] = {0, 0, 0, 0};
  std::memcpy(buf, p, r * sizeof(float));
  return vld1q_f32(buf);
}

float SumSq(size_t n, const float* x, float scale_f) {
  const float32x4_t scale = vdupq_n_f32(scale_f);
  float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const float32x4_t v0 = vmulq_f32(vld1q_f32(x + i), scale);
    const float32x4_t v1 = vmulq_f32(vld1q_f32(x + i + 4), scale);
    const float32x4_t v2 = vmulq_f32(vld1q_f32(x + i + 8), scale);
    const float32x4_t v3 = vmulq_f32(vld1q_f32(x + i + 12), scale);
    a0 = Fma(a0, v0, v0), a1 = Fma(a1, v1, v1), a2 = Fma(a2, v2, v2), a3 = Fma(a3, v3, v3);
  }
  for (; i + 4 <= n; i += 4) {
    const float32x4_t v = vmulq_f32(vld1q_f32(x + i), scale);
    a0 = Fma(a0, v, v);
  }
  if (i < n) {
    const float32x4_t v = vmulq_f32(LoadTail(x + i, n - i), scale);
    a1 = Fma(a1, v, v);
  }
  float b[4];
  vst1q_f32(b, vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
  return (b[0] + b[1]) + (b[2] + b[3]);
}

}  // namespace

void rmsnorm_f32_u16__neon(size_t n, const float* x, const float* weight, float eps, float* y) {
  const float32x4_t inv = vdupq_n_f32(InvRms(n, eps, [&](float s) { return SumSq(n, x, s); }));
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (size_t u = 0; u < 16; u += 4) {
      vst1q_f32(y + i + u,
                vmulq_f32(vmulq_f32(vld1q_f32(x + i + u), inv), vld1q_f32(weight + i + u)));
    }
  }
  for (; i + 4 <= n; i += 4) {
    vst1q_f32(y + i, vmulq_f32(vmulq_f32(vld1q_f32(x + i), inv), vld1q_f32(weight + i)));
  }
  if (i < n) {
    const size_t r = n - i;
    float b[4];
    vst1q_f32(b, vmulq_f32(vmulq_f32(LoadTail(x + i, r), inv), LoadTail(weight + i, r)));
    std::memcpy(y + i, b, r * sizeof(float));
  }
}

}  // namespace lutra::kernels::rmsnorm
