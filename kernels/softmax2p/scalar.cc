// Portable softmax kernels. The two-pass one keeps four extended-range (mantissa, exponent)
// accumulators; exp(z) = 2^n·p(t) with the reduction done in double so it stays exact for
// any finite z. The three-pass one is the classic max / Σexp / normalise baseline,
// recomputing exp in the last pass; the stored three-pass one keeps exp(z − max) in y and
// rescales it, for rows that stay in cache.
#include <cmath>
#include <limits>

#include "kernels/softmax2p/extexp.h"
#include "kernels/softmax2p/variants.h"

namespace lutra::kernels::softmax2p {
namespace {

constexpr double kLog2e = 1.4426950408889634;
constexpr double kLn2 = 0.6931471805599453;

struct Parts {
  float p;
  float n;
};

// See arch/x86/exp_simd.h for the clamps; NaN is handled by the callers.
inline Parts Decompose(float z) {
  if (z < -1e38f) z = -1e38f;
  if (z > 1e38f) z = 1e38f;
  const double n = std::nearbyint(double(z) * kLog2e);
  float t = float(double(z) - n * kLn2);
  t = t < -1.0f ? -1.0f : (t > 1.0f ? 1.0f : t);
  float p = 1.0f / 720;
  p = p * t + 1.0f / 120;
  p = p * t + 1.0f / 24;
  p = p * t + 1.0f / 6;
  p = p * t + 1.0f / 2;
  p = p * t + 1.0f;
  p = p * t + 1.0f;
  return {p, float(n)};
}

inline float Ldexp(float m, float d) {
  if (d < -300.0f) return 0.0f;
  return std::ldexp(m, int(d));
}

inline float Z(const float* x, const float* mask, float scale, size_t i) {
  return mask != nullptr ? x[i] * scale + mask[i] : x[i] * scale;
}

void FillNaN(size_t n, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = std::numeric_limits<float>::quiet_NaN();
}

// max(z) into *zmax; false if some z is NaN.
bool MaxZ(size_t n, const float* x, const float* mask, float scale, float* zmax) {
  *zmax = -INFINITY;
  for (size_t i = 0; i < n; ++i) {
    const float z = Z(x, mask, scale, i);
    if (std::isnan(z)) return false;
    if (z > *zmax) *zmax = z;
  }
  return true;
}

}  // namespace

void softmax2p_f32_u4__scalar(size_t n, const float* x, const float* mask, float scale, float* y) {
  float m[4] = {0, 0, 0, 0};
  float e[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
  for (size_t i = 0; i < n; ++i) {
    const float z = Z(x, mask, scale, i);
    if (std::isnan(z)) return FillNaN(n, y);
    const Parts q = Decompose(z);
    float& mu = m[i % 4];
    float& eu = e[i % 4];
    const float emax = q.n > eu ? q.n : eu;
    mu = Ldexp(mu, eu - emax) + Ldexp(q.p, q.n - emax);
    eu = emax;
  }
  const ExtSum s = CombineLanes(m, e, 4);
  if (std::isnan(s.m)) return FillNaN(n, y);
  const double inv = 1.0 / double(s.m);
  for (size_t i = 0; i < n; ++i) {
    const Parts q = Decompose(Z(x, mask, scale, i));
    const float d = q.n - s.e;
    // One rounding to float, so denormal outputs are correctly rounded products.
    y[i] = d < -300.0f ? 0.0f : float(std::ldexp(double(q.p) * inv, int(d)));
  }
}

void softmax3p_f32_u4__scalar(size_t n, const float* x, const float* mask, float scale, float* y) {
  float zmax;
  if (!MaxZ(n, x, mask, scale, &zmax)) return FillNaN(n, y);
  double acc[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < n; ++i) {
    const Parts q = Decompose(Z(x, mask, scale, i) - zmax);
    acc[i % 4] += Ldexp(q.p, q.n);
  }
  const double inv = 1.0 / ((acc[0] + acc[1]) + (acc[2] + acc[3]));
  for (size_t i = 0; i < n; ++i) {
    const Parts q = Decompose(Z(x, mask, scale, i) - zmax);
    y[i] = q.n < -300.0f ? 0.0f : float(std::ldexp(double(q.p) * inv, int(q.n)));
  }
}

void softmax3s_f32_u4__scalar(size_t n, const float* x, const float* mask, float scale, float* y) {
  float zmax;
  if (!MaxZ(n, x, mask, scale, &zmax)) return FillNaN(n, y);
  double acc[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < n; ++i) {
    const Parts q = Decompose(Z(x, mask, scale, i) - zmax);
    acc[i % 4] += (y[i] = Ldexp(q.p, q.n));
  }
  const float inv = float(1.0 / ((acc[0] + acc[1]) + (acc[2] + acc[3])));
  for (size_t i = 0; i < n; ++i) y[i] *= inv;
}

}  // namespace lutra::kernels::softmax2p
