// Turning a float Σx² into 1/rms with the rescaled retry described in rmsnorm.h. Shared by
// the SIMD kernel files; static inline only.
#pragma once

#include <cfloat>
#include <cmath>
#include <cstddef>

namespace lutra::kernels::rmsnorm {

// sumsq(scale) returns Σ(scale·x)² in float.
template <typename SumSq>
static inline float InvRms(size_t n, float eps, SumSq sumsq) {
  constexpr float kDown = 0x1p-80f, kUp = 0x1p80f;
  const float s = sumsq(1.0f);
  double mean;
  if (!(s <= FLT_MAX)) {
    mean = std::ldexp(double(sumsq(kDown)), 160) / double(n);  // overflowed (or NaN)
  } else if (s < float(n) * 0x1p-100f) {
    mean = std::ldexp(double(sumsq(kUp)), -160) / double(n);  // squares may have flushed
  } else {
    mean = double(s) / double(n);
  }
  return float(1.0 / std::sqrt(mean + double(eps)));
}

}  // namespace lutra::kernels::rmsnorm
