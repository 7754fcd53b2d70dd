// Activation quantization for the ternary2 kernels: int8 per token, round to nearest, and the
// sums the kernels subtract for the offset code of fields 0..2.
#include <cmath>

#include "kernels/ternary2/ternary2.h"

namespace lutra::kernels::ternary2 {

constexpr float kTiny = 1e-36f;

void Sums(size_t k, const int8_t* q, int32_t* sums) {
  int32_t total = 0;
  for (size_t b = 0; b < Blocks(k); ++b) {
    int32_t sum = 0;
    for (size_t i = b * kBlock; i < (b + 1) * kBlock; ++i) {
      if (i % kChunk < 48) sum += q[i];  // fields 0..2 (ternary2.h)
    }
    sums[b] = sum;
    total += sum;
  }
  sums[Blocks(k)] = total;
}

void Quantize(size_t k, const float* x, int8_t* q, float* scale, int32_t* sums) {
  // Plain comparisons and round-half-away by truncation keep both loops vectorizable.
  float amax = 0.0f, sum = 0.0f;
  for (size_t i = 0; i < k; ++i) {
    const float a = std::fabs(x[i]);
    amax = a > amax ? a : amax;
    sum += x[i];
  }
  // The comparison drops NaN; the sum keeps it, and so must the scale (NaN outputs, as in the
  // fp32 paths).
  if (std::isnan(sum)) amax = sum;
  const bool usable = amax >= kTiny && std::isfinite(amax);
  const float d = usable || !std::isfinite(amax) ? amax / 127.0f : 0.0f;
  const float inv = usable ? 127.0f / amax : 0.0f;
  for (size_t i = 0; i < k; ++i) {
    float v = x[i] * inv;  // |v| ≤ 127, or NaN where x is ±inf or NaN
    v = v == v ? v : 0.0f;
    q[i] = int8_t(int(v + (v < 0.0f ? -0.5f : 0.5f)));
  }
  *scale = d;
  Sums(k, q, sums);
}

}  // namespace lutra::kernels::ternary2
