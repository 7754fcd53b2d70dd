// NEON (AArch64): fcvtl/fcvtl2 widen 8 halves per pair of instructions, fcvtn narrows with
// the FPCR rounding mode (round to nearest even by default). ARMv7 keeps the scalar kernels:
// its fp16 conversion intrinsics need -mfp16-format, which the armhf NEON group does not set.
#if defined(__aarch64__)

#include <arm_neon.h>

#include <cstring>

#include "kernels/f16/variants.h"

namespace lutra::kernels::f16 {
namespace {

inline void Load8(const uint16_t* x, float32x4_t* lo, float32x4_t* hi) {
  const float16x8_t h = vreinterpretq_f16_u16(vld1q_u16(x));
  *lo = vcvt_f32_f16(vget_low_f16(h));
  *hi = vcvt_high_f32_f16(h);
}

}  // namespace

void tof32_f16_u16__neon(size_t n, const uint16_t* x, float* y) {
  size_t i = 0;
  float32x4_t a, b, c, d;
  for (; i + 16 <= n; i += 16) {
    Load8(x + i, &a, &b);
    Load8(x + i + 8, &c, &d);
    vst1q_f32(y + i, a);
    vst1q_f32(y + i + 4, b);
    vst1q_f32(y + i + 8, c);
    vst1q_f32(y + i + 12, d);
  }
  if (i < n) {
    uint16_t hb[16] = {};
    float fb[16];
    std::memcpy(hb, x + i, (n - i) * sizeof(uint16_t));
    Load8(hb, &a, &b);
    Load8(hb + 8, &c, &d);
    vst1q_f32(fb, a);
    vst1q_f32(fb + 4, b);
    vst1q_f32(fb + 8, c);
    vst1q_f32(fb + 12, d);
    std::memcpy(y + i, fb, (n - i) * sizeof(float));
  }
}

void fromf32_f16_u16__neon(size_t n, const float* x, uint16_t* y) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const float16x8_t h = vcvt_high_f16_f32(vcvt_f16_f32(vld1q_f32(x + i)), vld1q_f32(x + i + 4));
    vst1q_u16(y + i, vreinterpretq_u16_f16(h));
  }
  if (i < n) {
    float fb[8] = {};
    uint16_t hb[8];
    std::memcpy(fb, x + i, (n - i) * sizeof(float));
    const float16x8_t h = vcvt_high_f16_f32(vcvt_f16_f32(vld1q_f32(fb)), vld1q_f32(fb + 4));
    vst1q_u16(hb, vreinterpretq_u16_f16(h));
    std::memcpy(y + i, hb, (n - i) * sizeof(uint16_t));
  }
}

float dot_f16_u16__neon(size_t n, const uint16_t* x, const float* y) {
  float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  float32x4_t a, b, c, d;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    Load8(x + i, &a, &b);
    Load8(x + i + 8, &c, &d);
    acc0 = vfmaq_f32(acc0, a, vld1q_f32(y + i));
    acc1 = vfmaq_f32(acc1, b, vld1q_f32(y + i + 4));
    acc2 = vfmaq_f32(acc2, c, vld1q_f32(y + i + 8));
    acc3 = vfmaq_f32(acc3, d, vld1q_f32(y + i + 12));
  }
  if (i < n) {
    uint16_t hb[16] = {};
    float fb[16] = {};
    std::memcpy(hb, x + i, (n - i) * sizeof(uint16_t));
    std::memcpy(fb, y + i, (n - i) * sizeof(float));
    Load8(hb, &a, &b);
    Load8(hb + 8, &c, &d);
    acc0 = vfmaq_f32(acc0, a, vld1q_f32(fb));
    acc1 = vfmaq_f32(acc1, b, vld1q_f32(fb + 4));
    acc2 = vfmaq_f32(acc2, c, vld1q_f32(fb + 8));
    acc3 = vfmaq_f32(acc3, d, vld1q_f32(fb + 12));
  }
  return vaddvq_f32(vaddq_f32(vaddq_f32(acc0, acc1), vaddq_f32(acc2, acc3)));
}

void axpy_f16_u16__neon(size_t n, float a, const uint16_t* x, float* y) {
  float32x4_t p, q, r, s;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    Load8(x + i, &p, &q);
    Load8(x + i + 8, &r, &s);
    vst1q_f32(y + i, vfmaq_n_f32(vld1q_f32(y + i), p, a));
    vst1q_f32(y + i + 4, vfmaq_n_f32(vld1q_f32(y + i + 4), q, a));
    vst1q_f32(y + i + 8, vfmaq_n_f32(vld1q_f32(y + i + 8), r, a));
    vst1q_f32(y + i + 12, vfmaq_n_f32(vld1q_f32(y + i + 12), s, a));
  }
  if (i < n) {
    uint16_t hb[16] = {};
    float fb[16] = {};
    std::memcpy(hb, x + i, (n - i) * sizeof(uint16_t));
    std::memcpy(fb, y + i, (n - i) * sizeof(float));
    Load8(hb, &p, &q);
    Load8(hb + 8, &r, &s);
    vst1q_f32(fb, vfmaq_n_f32(vld1q_f32(fb), p, a));
    vst1q_f32(fb + 4, vfmaq_n_f32(vld1q_f32(fb + 4), q, a));
    vst1q_f32(fb + 8, vfmaq_n_f32(vld1q_f32(fb + 8), r, a));
    vst1q_f32(fb + 12, vfmaq_n_f32(vld1q_f32(fb + 12), s, a));
    std::memcpy(y + i, fb, (n - i) * sizeof(float));
  }
}

}  // namespace lutra::kernels::f16

#endif  // __aarch64__
