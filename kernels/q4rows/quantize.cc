// Activation quantization for the q4rows kernels: int8 per span of kSpan, round to nearest.
#include <cmath>

#include "kernels/q4rows/q4rows.h"

namespace lutra::kernels::q4rows {

constexpr float kTinySpan = 1e-36f;

void Quantize(size_t k, const float* x, int8_t* q, float* scale) {
  for (size_t s0 = 0, span = 0; s0 < k; s0 += kSpan, ++span) {
    const size_t len = k - s0 < kSpan ? k - s0 : kSpan;
    const float* xs = x + s0;
    // Plain comparisons and round-half-away by truncation (not fmax and lrintf, library calls
    // here) keep both loops vectorizable at the baseline ISA.
    float amax = 0.0f, sum = 0.0f;
    for (size_t i = 0; i < len; ++i) {
      const float a = std::fabs(xs[i]);
      amax = a > amax ? a : amax;
      sum += xs[i];
    }
    // The comparison drops NaN; the sum keeps it, and so must the scale, so that a NaN
    // activation yields NaN outputs as in the fp32 paths.
    if (std::isnan(sum)) amax = sum;
    // Spans below kTinySpan count as zero (an error under 1e-36 per value): 127 / amax must stay
    // finite. NaN and ±inf amax keep their scale (NaN or inf products) with codes 0.
    const bool usable = amax >= kTinySpan && std::isfinite(amax);
    const float d = usable || !std::isfinite(amax) ? amax / 127.0f : 0.0f;
    const float inv = usable ? 127.0f / amax : 0.0f;
    for (size_t i = 0; i < len; ++i) {
      float v = xs[i] * inv;  // |v| ≤ 127, or NaN where x is ±inf or NaN
      v = v == v ? v : 0.0f;
      q[s0 + i] = int8_t(int(v + (v < 0.0f ? -0.5f : 0.5f)));
    }
    scale[span] = d;
  }
}

}  // namespace lutra::kernels::q4rows
