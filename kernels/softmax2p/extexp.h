// Extended-range sums shared by the softmax2p kernel files: a value is m·2^e with a float
// mantissa m and an integer-valued float exponent e. Static inline only.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace lutra::kernels::softmax2p {

struct ExtSum {
  float m;  // NaN when any input was NaN
  float e;
};

// 2^d as a double for integer d ∈ [−1022, 1023], built from its exponent bits: exact, and
// without std::ldexp's call (64 of them per row were a third of a 2048-long row's time).
static inline double Pow2(int d) {
  const uint64_t bits = uint64_t(1023 + d) << 52;
  double v;
  std::memcpy(&v, &bits, sizeof(v));
  return v;
}

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
    if (d >= -200.0f) sum += double(m[i]) * Pow2(int(d));
  }
  return {float(sum), emax};
}

}  // namespace lutra::kernels::softmax2p
