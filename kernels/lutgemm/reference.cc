#include "kernels/lutgemm/reference.h"

#include <algorithm>
#include <cmath>

namespace lutra::kernels::lutgemm {

void ReferenceGemm(const packw::Shape& s, const packw::Unpacked& w, size_t n, const float* x,
                   double* y) {
  const size_t groups = packw::Groups(s);
  const double half = 0.5 * double((1u << s.bits) - 1);
  for (size_t t = 0; t < n; ++t) {
    for (size_t row = 0; row < s.m; ++row) {
      double acc = 0.0;
      for (size_t col = 0; col < s.k; ++col) {
        const size_t g = col / s.group;
        const double z = s.asymmetric ? double(w.zero[row * groups + g]) : half;
        const double wv = double(w.scale[row * groups + g]) * (double(w.q[row * s.k + col]) - z);
        acc += wv * double(x[t * s.k + col]);
      }
      y[t * s.m + row] = acc;
    }
  }
}

void ReferenceExact(const packw::Shape& s, const packw::Unpacked& w, size_t n, const float* x,
                    int64_t* i2, float* act_scale) {
  const size_t groups = packw::Groups(s);
  const int64_t two_half = int64_t((1u << s.bits) - 1);
  for (size_t t = 0; t < n; ++t) {
    float amax = 0.0f;
    for (size_t col = 0; col < s.k; ++col) amax = std::max(amax, std::fabs(x[t * s.k + col]));
    const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    act_scale[t] = amax / 127.0f;
    for (size_t row = 0; row < s.m; ++row) {
      for (size_t g = 0; g < groups; ++g) {
        const int64_t two_z = s.asymmetric ? 2 * int64_t(w.zero[row * groups + g]) : two_half;
        int64_t acc = 0;
        for (size_t col = g * s.group; col < std::min(s.k, (g + 1) * s.group); ++col) {
          const int64_t xq =
              std::clamp<int64_t>(int64_t(std::nearbyint(x[t * s.k + col] * inv)), -127, 127);
          acc += (2 * int64_t(w.q[row * s.k + col]) - two_z) * xq;
        }
        i2[(t * s.m + row) * groups + g] = acc;
      }
    }
  }
}

}  // namespace lutra::kernels::lutgemm
