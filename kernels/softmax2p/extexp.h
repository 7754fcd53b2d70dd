// Extended-range sums shared by the softmax2p kernel files: a value is m·2^e with a float
// mantissa m and an integer-valued float exponent e. Static inline only.
#pragma once

#include <cmath>
#include <cstddef>

namespace lutra::kernels::softmax2p {

struct ExtSum {
  float m;  // NaN when any input was NaN
  float e;
};

// Σ m[i]·2^e[i] over `lanes` accumulators, rescaled to the largest exponent. Terms more
// than 2^-126 below the largest are dropped (they cannot change a float sum).
static inline ExtSum CombineLanes(const float* m, const float* e, size_t lanes) {
  float emax = -INFINITY;
  bool nan = false;
  for (size_t i = 0; i < lanes; ++i) {
    nan |= std::isnan(m[i]) || std::isnan(e[i]);
    if (e[i] > emax) emax = e[i];
  }
  if (nan) return {NAN, 0.0f};
  double sum = 0.0;
  for (size_t i = 0; i < lanes; ++i) {
    const float d = e[i] - emax;
    if (d >= -200.0f) sum += std::ldexp(double(m[i]), int(d));
  }
  return {float(sum), emax};
}

}  // namespace lutra::kernels::softmax2p
