// Activation quantization for the q8block kernels: int8 per block, round to nearest.
#include <cmath>

#include "kernels/q8block/q8block.h"

namespace lutra::kernels::q8block {

constexpr float kTinyBlock = 1e-36f;

void Quantize(size_t k, size_t block, const float* x, int8_t* q, float* scale, float* sum,
              int32_t* qsum) {
  for (size_t b = 0; b < k / block; ++b) {
    const float* xb = x + b * block;
    // Plain comparisons and round-half-away by truncation (not fmax and lrintf, which are
    // library calls here) keep both loops vectorizable at the baseline ISA.
    float amax = 0.0f, s = 0.0f;
    for (size_t i = 0; i < block; ++i) {
      const float a = std::fabs(xb[i]);
      amax = a > amax ? a : amax;
      s += xb[i];
    }
    // The comparison drops NaN; the sum keeps it, and the scale must too so the block's
    // product is NaN (a NaN activation yields NaN outputs, as in the fp32 paths).
    if (std::isnan(s)) amax = s;
    // Blocks below kTinyBlock count as zero (an error under 1e-36 per value): 127 / amax must
    // stay finite, or x·inv would be ±inf or NaN. NaN and ±inf amax keep their scale, so the
    // block's product is NaN, and their codes are 0.
    const bool usable = amax >= kTinyBlock && std::isfinite(amax);
    const float d = usable || !std::isfinite(amax) ? amax / 127.0f : 0.0f;
    const float inv = usable ? 127.0f / amax : 0.0f;
    int32_t total = 0;
    for (size_t i = 0; i < block; ++i) {
      float v = xb[i] * inv;  // |v| ≤ 127, or NaN where x is ±inf or NaN
      v = v == v ? v : 0.0f;
      const int code = int(v + (v < 0.0f ? -0.5f : 0.5f));
      q[b * block + i] = int8_t(code);
      total += code;
    }
    scale[b] = d;
    sum[b] = s;
    qsum[b] = total;
  }
}

}  // namespace lutra::kernels::q8block
