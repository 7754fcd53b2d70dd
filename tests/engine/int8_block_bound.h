// The error the q8block path may add to a row's product through its int8 activations:
// every activation moves by at most half a step, s_b / 2 with s_b = max |x| over its block
// / 127, so |Σ w·x − Σ w·x̂| ≤ Σ_b (s_b / 2)·Σ_{i∈b} |w_i| (with 1% slack for rounding).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace lutra::testing {

inline double Int8BlockRoundingBound(const float* w, const float* x, size_t k, size_t block) {
  double bound = 0.0;
  for (size_t b = 0; b < k / block; ++b) {
    double amax = 0.0, absw = 0.0;
    for (size_t i = b * block; i < (b + 1) * block; ++i) {
      amax = std::max(amax, std::fabs(double(x[i])));
      absw += std::fabs(double(w[i]));
    }
    bound += amax / 127.0 / 2.0 * absw;
  }
  return bound * 1.01;
}

}  // namespace lutra::testing
