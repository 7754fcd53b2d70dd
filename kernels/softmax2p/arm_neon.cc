// NEON softmax (aarch64 and ARMv7): the x86 design on 4-lane registers, four accumulator
// pairs (16 floats per iteration). NEON has no masked loads, so the last < 16 floats go
// through a zero-padded stack copy whose dead lanes leave the accumulators untouched.
#include <arm_neon.h>

#include <cmath>
#include <cstring>

#include "arch/arm/exp_neon.h"
#include "kernels/softmax2p/extexp.h"
#include "kernels/softmax2p/variants.h"

namespace lutra::kernels::softmax2p {
namespace {

using namespace lutra::arch::arm;

inline float32x4_t Z(const float* x, const float* mask, float32x4_t scale, size_t i) {
  const float32x4_t v = vmulq_f32(vld1q_f32(x + i), scale);
  return mask != nullptr ? vaddq_f32(v, vld1q_f32(mask + i)) : v;
}

inline void Accumulate(float32x4_t z, float32x4_t& m, float32x4_t& e) {
  const ExpPartsNeon q = ExpDecomposeNeon(z);
  const float32x4_t emax = vmaxq_f32(e, q.n);  // NaN propagates on NEON
  m = NeonFma(vmulq_f32(m, ExpPow2Neon(vsubq_f32(e, emax))), q.p,
              ExpPow2Neon(vsubq_f32(q.n, emax)));
  e = emax;
}

// Loads the `r` < 4 floats at i into a zero-padded vector; lane mask of the live ones.
inline float32x4_t LoadTail(const float* p, size_t i, size_t r) {
  float buf[4] = {0, 0, 0, 0};
  std::memcpy(buf, p + i, r * sizeof(float));
  return vld1q_f32(buf);
}
inline uint32x4_t LiveLanes(size_t r) {
  const uint32_t idx[4] = {0, 1, 2, 3};
  return vcltq_u32(vld1q_u32(idx), vdupq_n_u32(uint32_t(r)));
}
inline void StoreTail(float* p, size_t i, size_t r, float32x4_t v) {
  float buf[4];
  vst1q_f32(buf, v);
  std::memcpy(p + i, buf, r * sizeof(float));
}
inline float32x4_t ZTail(const float* x, const float* mask, float32x4_t scale, size_t i, size_t r) {
  const float32x4_t v = vmulq_f32(LoadTail(x, i, r), scale);
  return mask != nullptr ? vaddq_f32(v, LoadTail(mask, i, r)) : v;
}

inline float HorizontalMax(float32x4_t v) {
  float b[4];
  vst1q_f32(b, v);
  return std::fmax(std::fmax(b[0], b[1]), std::fmax(b[2], b[3]));
}
inline float HorizontalSum(float32x4_t v) {
  float b[4];
  vst1q_f32(b, v);
  return (b[0] + b[1]) + (b[2] + b[3]);
}

// max(z) in every lane. A NaN z gives a NaN exponential in the callers' next pass, hence a
// NaN sum and NaN everywhere.
float32x4_t MaxZ(size_t n, const float* x, const float* mask, float32x4_t scale) {
  const float32x4_t ninf = vdupq_n_f32(-INFINITY);
  float32x4_t x0 = ninf, x1 = ninf, x2 = ninf, x3 = ninf;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    x0 = vmaxq_f32(x0, Z(x, mask, scale, i));
    x1 = vmaxq_f32(x1, Z(x, mask, scale, i + 4));
    x2 = vmaxq_f32(x2, Z(x, mask, scale, i + 8));
    x3 = vmaxq_f32(x3, Z(x, mask, scale, i + 12));
  }
  for (; i + 4 <= n; i += 4) x0 = vmaxq_f32(x0, Z(x, mask, scale, i));
  if (i < n) {
    x1 = vmaxq_f32(x1, vbslq_f32(LiveLanes(n - i), ZTail(x, mask, scale, i, n - i), ninf));
  }
  return vdupq_n_f32(HorizontalMax(vmaxq_f32(vmaxq_f32(x0, x1), vmaxq_f32(x2, x3))));
}

}  // namespace

void softmax2p_f32_u16__neon(size_t n, const float* x, const float* mask, float scale_f, float* y) {
  const float32x4_t scale = vdupq_n_f32(scale_f);
  float32x4_t m0 = vdupq_n_f32(0.0f), m1 = m0, m2 = m0, m3 = m0;
  float32x4_t e0 = vdupq_n_f32(-INFINITY), e1 = e0, e2 = e0, e3 = e0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    Accumulate(Z(x, mask, scale, i), m0, e0);
    Accumulate(Z(x, mask, scale, i + 4), m1, e1);
    Accumulate(Z(x, mask, scale, i + 8), m2, e2);
    Accumulate(Z(x, mask, scale, i + 12), m3, e3);
  }
  for (; i + 4 <= n; i += 4) Accumulate(Z(x, mask, scale, i), m0, e0);
  if (i < n) {
    float32x4_t mt = m1, et = e1;
    Accumulate(ZTail(x, mask, scale, i, n - i), mt, et);
    const uint32x4_t live = LiveLanes(n - i);
    m1 = vbslq_f32(live, mt, m1);
    e1 = vbslq_f32(live, et, e1);
  }
  float ms[16], es[16];
  vst1q_f32(ms, m0), vst1q_f32(ms + 4, m1), vst1q_f32(ms + 8, m2), vst1q_f32(ms + 12, m3);
  vst1q_f32(es, e0), vst1q_f32(es + 4, e1), vst1q_f32(es + 8, e2), vst1q_f32(es + 12, e3);
  const ExtSum s = CombineLanes(ms, es, 16);

  const float32x4_t inv = vdupq_n_f32(1.0f / s.m);
  const float32x4_t esum = vdupq_n_f32(s.e);
  auto out = [&](float32x4_t z) {
    const ExpPartsNeon q = ExpDecomposeNeon(z);
    return ExpLdexpNeon(vmulq_f32(q.p, inv), vsubq_f32(q.n, esum));
  };
  for (i = 0; i + 16 <= n; i += 16) {
    // All loads before any store: y may equal x.
    const float32x4_t z0 = Z(x, mask, scale, i), z1 = Z(x, mask, scale, i + 4);
    const float32x4_t z2 = Z(x, mask, scale, i + 8), z3 = Z(x, mask, scale, i + 12);
    vst1q_f32(y + i, out(z0));
    vst1q_f32(y + i + 4, out(z1));
    vst1q_f32(y + i + 8, out(z2));
    vst1q_f32(y + i + 12, out(z3));
  }
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, out(Z(x, mask, scale, i)));
  if (i < n) StoreTail(y, i, n - i, out(ZTail(x, mask, scale, i, n - i)));
}

void softmax3p_f32_u16__neon(size_t n, const float* x, const float* mask, float scale_f, float* y) {
  const float32x4_t scale = vdupq_n_f32(scale_f);
  const float32x4_t zmax = MaxZ(n, x, mask, scale);
  size_t i = 0;
  auto ex = [&](float32x4_t z) {
    const ExpPartsNeon q = ExpDecomposeNeon(vsubq_f32(z, zmax));
    return ExpLdexpNeon(q.p, q.n);
  };
  float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0;
  for (i = 0; i + 16 <= n; i += 16) {
    s0 = vaddq_f32(s0, ex(Z(x, mask, scale, i)));
    s1 = vaddq_f32(s1, ex(Z(x, mask, scale, i + 4)));
    s2 = vaddq_f32(s2, ex(Z(x, mask, scale, i + 8)));
    s3 = vaddq_f32(s3, ex(Z(x, mask, scale, i + 12)));
  }
  for (; i + 4 <= n; i += 4) s0 = vaddq_f32(s0, ex(Z(x, mask, scale, i)));
  if (i < n) {
    const float32x4_t v = ex(ZTail(x, mask, scale, i, n - i));
    s1 = vaddq_f32(s1, vbslq_f32(LiveLanes(n - i), v, vdupq_n_f32(0.0f)));
  }
  const float32x4_t inv =
      vdupq_n_f32(1.0f / HorizontalSum(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3))));
  auto out = [&](float32x4_t z) {
    const ExpPartsNeon q = ExpDecomposeNeon(vsubq_f32(z, zmax));
    return ExpLdexpNeon(vmulq_f32(q.p, inv), q.n);
  };
  for (i = 0; i + 16 <= n; i += 16) {
    const float32x4_t z0 = Z(x, mask, scale, i), z1 = Z(x, mask, scale, i + 4);
    const float32x4_t z2 = Z(x, mask, scale, i + 8), z3 = Z(x, mask, scale, i + 12);
    vst1q_f32(y + i, out(z0));
    vst1q_f32(y + i + 4, out(z1));
    vst1q_f32(y + i + 8, out(z2));
    vst1q_f32(y + i + 12, out(z3));
  }
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, out(Z(x, mask, scale, i)));
  if (i < n) StoreTail(y, i, n - i, out(ZTail(x, mask, scale, i, n - i)));
}

// Stored three-pass (see softmax2p.h): exp(z − max) kept in y, then rescaled.
void softmax3s_f32_u16__neon(size_t n, const float* x, const float* mask, float scale_f, float* y) {
  const float32x4_t scale = vdupq_n_f32(scale_f);
  const float32x4_t zmax = MaxZ(n, x, mask, scale);
  auto ex = [&](float32x4_t z) {
    const ExpPartsNeon q = ExpDecomposeNeon(vsubq_f32(z, zmax));
    return ExpLdexpNeon(q.p, q.n);
  };
  float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const float32x4_t e0 = ex(Z(x, mask, scale, i)), e1 = ex(Z(x, mask, scale, i + 4));
    const float32x4_t e2 = ex(Z(x, mask, scale, i + 8)), e3 = ex(Z(x, mask, scale, i + 12));
    vst1q_f32(y + i, e0), vst1q_f32(y + i + 4, e1), vst1q_f32(y + i + 8, e2);
    vst1q_f32(y + i + 12, e3);
    s0 = vaddq_f32(s0, e0), s1 = vaddq_f32(s1, e1), s2 = vaddq_f32(s2, e2);
    s3 = vaddq_f32(s3, e3);
  }
  for (; i + 4 <= n; i += 4) {
    const float32x4_t e = ex(Z(x, mask, scale, i));
    vst1q_f32(y + i, e);
    s0 = vaddq_f32(s0, e);
  }
  if (i < n) {
    const float32x4_t e = ex(ZTail(x, mask, scale, i, n - i));
    StoreTail(y, i, n - i, e);
    s1 = vaddq_f32(s1, vbslq_f32(LiveLanes(n - i), e, vdupq_n_f32(0.0f)));
  }
  const float32x4_t inv =
      vdupq_n_f32(1.0f / HorizontalSum(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3))));
  for (i = 0; i + 4 <= n; i += 4) vst1q_f32(y + i, vmulq_f32(vld1q_f32(y + i), inv));
  for (; i < n; ++i) y[i] *= vgetq_lane_f32(inv, 0);
}

}  // namespace lutra::kernels::softmax2p
