// Activation quantization for the kquant kernels: int8 per super-block of 256, round to
// nearest, and the code sums per 16 that the Q4_K mins and the Q6_K offset multiply.
#include <cmath>

#include "kernels/kquant/kquant.h"

namespace lutra::kernels::kquant {

constexpr float kTinyBlock = 1e-36f;

void Quantize(size_t k, const float* x, int8_t* q, float* scale, int16_t* bsum) {
  for (size_t b = 0; b < k / kSuperBlock; ++b) {
    const float* xb = x + b * kSuperBlock;
    int8_t* qb = q + b * kSuperBlock;
    // Plain comparisons and rounding by truncation keep the loops vectorizable (no libm calls).
    float amax = 0.0f, s = 0.0f;
    for (size_t i = 0; i < kSuperBlock; ++i) {
      const float a = std::fabs(xb[i]);
      amax = a > amax ? a : amax;
      s += xb[i];
    }
    // The comparison drops NaN, the sum keeps it: a NaN activation must give NaN outputs.
    if (std::isnan(s)) amax = s;
    // Below kTinyBlock the block counts as zero (127 / amax must stay finite); a non-finite
    // amax keeps a non-finite scale with codes 0, so the product is non-finite, never UB.
    const bool usable = amax >= kTinyBlock && std::isfinite(amax);
    scale[b] = usable || !std::isfinite(amax) ? amax / 127.0f : 0.0f;
    const float inv = usable ? 127.0f / amax : 0.0f;
    for (size_t i = 0; i < kSuperBlock; ++i) {
      float v = xb[i] * inv;
      v = v == v ? v : 0.0f;
      qb[i] = int8_t(int(v + (v < 0.0f ? -0.5f : 0.5f)));
    }
    for (size_t g = 0; g < kSuperBlock / kSumGroup; ++g) {
      int total = 0;
      for (size_t i = 0; i < kSumGroup; ++i) total += qb[g * kSumGroup + i];
      bsum[b * (kSuperBlock / kSumGroup) + g] = int16_t(total);
    }
  }
}

}  // namespace lutra::kernels::kquant
