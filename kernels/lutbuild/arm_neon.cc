// NEON table builders (AArch64 and ARMv7): one quad per step, two 4-lane vectors = entries
// 8..15 (bit 3 set); the mirror T[15 − t] = −T[t] gives entries 7..0 by one byte reverse and
// a negation. Quantized mode forms every quad's entries of a block and their largest magnitude
// (pass 1), then quantizes (pass 2); exact mode works on the int8 activations in int16 lanes.
#include <arm_neon.h>

#include <algorithm>

#include "kernels/lutbuild/variants.h"

namespace lutra::kernels::lutbuild {
namespace {

// Sign patterns of x0, x1, x2 for entries 8 + i, i = 0..3 (x2 −) and 4..7 (x2 +).
constexpr float kS0[4] = {-1, 1, -1, 1};
constexpr float kS1[4] = {-1, -1, 1, 1};

// Round to nearest, ties to even (like nearbyint in the default rounding mode); |v| ≤ 127.
static inline int32x4_t RoundToInt(float32x4_t v) {
#if defined(__aarch64__)
  return vcvtnq_s32_f32(v);
#else
  // ARMv7 has only truncating conversion: adding 1.5·2^23 leaves the nearest-even integer in
  // the mantissa for |v| < 2^22, and the subtraction recovers it exactly.
  const float32x4_t magic = vdupq_n_f32(12582912.0f);
  return vcvtq_s32_f32(vsubq_f32(vaddq_f32(v, magic), magic));
#endif
}

static inline float MaxAcross(float32x4_t v) {
#if defined(__aarch64__)
  return vmaxvq_f32(v);
#else
  float32x2_t m = vmax_f32(vget_low_f32(v), vget_high_f32(v));
  m = vpmax_f32(m, m);
  return vget_lane_f32(m, 0);
#endif
}

static inline float SumAcross(float32x4_t v) {
#if defined(__aarch64__)
  return vaddvq_f32(v);
#else
  float32x2_t s = vadd_f32(vget_low_f32(v), vget_high_f32(v));
  s = vpadd_f32(s, s);
  return vget_lane_f32(s, 0);
#endif
}

// x[k..k+3] with zero padding past n (the last, partial quad).
static inline float32x4_t LoadQuad(const float* x, size_t n, size_t k) {
  if (k + 4 <= n) return vld1q_f32(x + k);
  float xs[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  for (size_t u = 0; k + u < n && u < 4; ++u) xs[u] = x[k + u];
  return vld1q_f32(xs);
}

// The 16 table bytes from entries 8..15 (as 8 int16): [−e7 … −e0, e0 … e7], low bytes.
static inline int8x16_t Mirror(int8x8_t e) {
  return vcombine_s8(vrev64_s8(vneg_s8(e)), e);
}

}  // namespace

void f32_g4__neon(size_t n, size_t block, const float* x, uint8_t* tables, float* scale,
                  float* sum) {
  const size_t blocks = (n + block - 1) / block, quads = block / 4;
  const float32x4_t s0 = vld1q_f32(kS0), s1 = vld1q_f32(kS1);
  const uint8x16_t offset = vdupq_n_u8(0x80);
  float32x4_t entries[32][2];  // a block's quads (G ≤ 128), entries 8..11 and 12..15
  for (size_t b = 0; b < blocks; ++b) {
    const size_t k0 = b * block;
    float32x4_t vmax = vdupq_n_f32(0.0f), vsum = vdupq_n_f32(0.0f);
    for (size_t j = 0; j < quads; ++j) {
      const float32x4_t xv = LoadQuad(x, n, k0 + 4 * j);
      vsum = vaddq_f32(vsum, xv);
      // Same evaluation order as the scalar builder: ((x3 ± x0) ± x1) ± x2.
      float32x4_t t = vdupq_n_f32(vgetq_lane_f32(xv, 3));
      t = vaddq_f32(t, vmulq_n_f32(s0, vgetq_lane_f32(xv, 0)));
      t = vaddq_f32(t, vmulq_n_f32(s1, vgetq_lane_f32(xv, 1)));
      const float32x4_t x2 = vdupq_n_f32(vgetq_lane_f32(xv, 2));
      entries[j][0] = vsubq_f32(t, x2);
      entries[j][1] = vaddq_f32(t, x2);
      vmax = vmaxq_f32(vmax, vmaxq_f32(vabsq_f32(entries[j][0]), vabsq_f32(entries[j][1])));
    }
    const float maxsum = MaxAcross(vmax);
    scale[b] = maxsum / 127.0f;
    sum[b] = SumAcross(vsum);
    const float inv = maxsum > 0.0f ? 127.0f / maxsum : 0.0f;
    const float32x4_t lim = vdupq_n_f32(127.0f), nlim = vdupq_n_f32(-127.0f);
    for (size_t j = 0; j < quads; ++j) {
      const int32x4_t q0 =
          RoundToInt(vmaxq_f32(vminq_f32(vmulq_n_f32(entries[j][0], inv), lim), nlim));
      const int32x4_t q1 =
          RoundToInt(vmaxq_f32(vminq_f32(vmulq_n_f32(entries[j][1], inv), lim), nlim));
      const int8x8_t e = vmovn_s16(vcombine_s16(vmovn_s32(q0), vmovn_s32(q1)));
      vst1q_u8(tables + (b * quads + j) * 16, veorq_u8(vreinterpretq_u8_s8(Mirror(e)), offset));
    }
  }
}

void a8_g4__neon(size_t n, size_t block, const float* x, float inv_scale, float act_scale,
                 uint8_t* lo, uint8_t* hi, float* scale, float* sum) {
  const size_t blocks = (n + block - 1) / block, quads = block / 4;
  const int16x8_t s0 = {-1, 1, -1, 1, -1, 1, -1, 1};
  const int16x8_t s1 = {-1, -1, 1, 1, -1, -1, 1, 1};
  const int16x8_t s2 = {-1, -1, -1, -1, 1, 1, 1, 1};
  const float32x4_t lim = vdupq_n_f32(127.0f), nlim = vdupq_n_f32(-127.0f);
  const uint8x16_t offset = vdupq_n_u8(0x80);
  for (size_t b = 0; b < blocks; ++b) {
    int32x4_t vsum = vdupq_n_s32(0);
    for (size_t j = 0; j < quads; ++j) {
      const float32x4_t xv = LoadQuad(x, n, b * block + 4 * j);
      // clamp(round(v)) = round(clamp(v)) for the integer bounds ±127; clamping first keeps the
      // ARMv7 rounding trick in range.
      const int32x4_t xq = RoundToInt(vmaxq_f32(vminq_f32(vmulq_n_f32(xv, inv_scale), lim), nlim));
      vsum = vaddq_s32(vsum, xq);
      int16x8_t t = vdupq_n_s16(int16_t(vgetq_lane_s32(xq, 3)));
      t = vmlaq_n_s16(t, s0, int16_t(vgetq_lane_s32(xq, 0)));
      t = vmlaq_n_s16(t, s1, int16_t(vgetq_lane_s32(xq, 1)));
      t = vmlaq_n_s16(t, s2, int16_t(vgetq_lane_s32(xq, 2)));  // entries 8..15, |T| ≤ 508
      // Entries 7..0: −T reversed. lo = T & 0xFF, hi = (T >> 8) + 128 (arithmetic shift).
      const int16x8_t neg = vnegq_s16(t);
      int16x8_t m = vrev64q_s16(neg);
      m = vcombine_s16(vget_high_s16(m), vget_low_s16(m));
      const size_t at = (b * quads + j) * 16;
      vst1q_u8(lo + at, vreinterpretq_u8_s8(vcombine_s8(vmovn_s16(m), vmovn_s16(t))));
      vst1q_u8(
          hi + at,
          veorq_u8(vreinterpretq_u8_s8(vcombine_s8(vshrn_n_s16(m, 8), vshrn_n_s16(t, 8))), offset));
    }
    scale[b] = act_scale;
#if defined(__aarch64__)
    sum[b] = float(vaddvq_s32(vsum));
#else
    const int32x2_t s2v = vadd_s32(vget_low_s32(vsum), vget_high_s32(vsum));
    sum[b] = float(vget_lane_s32(vpadd_s32(s2v, s2v), 0));
#endif
  }
}

}  // namespace lutra::kernels::lutbuild
