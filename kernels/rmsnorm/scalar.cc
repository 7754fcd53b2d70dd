// Portable rmsnorm: Σx² in double (no overflow or underflow for any finite float x), four
// accumulators so the adds are not one dependency chain.
#include <cmath>

#include "kernels/rmsnorm/variants.h"

namespace lutra::kernels::rmsnorm {

void rmsnorm_f32_u4__scalar(size_t n, const float* x, const float* weight, float eps, float* y) {
  double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 += double(x[i]) * x[i];
    a1 += double(x[i + 1]) * x[i + 1];
    a2 += double(x[i + 2]) * x[i + 2];
    a3 += double(x[i + 3]) * x[i + 3];
  }
  for (; i < n; ++i) a0 += double(x[i]) * x[i];
  const double inv = 1.0 / std::sqrt(((a0 + a1) + (a2 + a3)) / double(n) + double(eps));
  for (i = 0; i < n; ++i) y[i] = float(double(x[i]) * inv * weight[i]);
}

}  // namespace lutra::kernels::rmsnorm
