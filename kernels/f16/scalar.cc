// Portable f16 kernels: exact bit-level conversion; four accumulators in the dot product.
#include "kernels/f16/convert.h"
#include "kernels/f16/variants.h"

namespace lutra::kernels::f16 {

void tof32_f16_u4__scalar(size_t n, const uint16_t* x, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = HalfToFloat(x[i]);
}

void fromf32_f16_u4__scalar(size_t n, const float* x, uint16_t* y) {
  for (size_t i = 0; i < n; ++i) y[i] = FloatToHalf(x[i]);
}

float dot_f16_u4__scalar(size_t n, const uint16_t* x, const float* y) {
  float acc0 = 0.0f, acc1 = 0.0f, acc2 = 0.0f, acc3 = 0.0f;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    acc0 += HalfToFloat(x[i + 0]) * y[i + 0];
    acc1 += HalfToFloat(x[i + 1]) * y[i + 1];
    acc2 += HalfToFloat(x[i + 2]) * y[i + 2];
    acc3 += HalfToFloat(x[i + 3]) * y[i + 3];
  }
  for (; i < n; ++i) acc0 += HalfToFloat(x[i]) * y[i];
  return (acc0 + acc1) + (acc2 + acc3);
}

void axpy_f16_u4__scalar(size_t n, float a, const uint16_t* x, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] += a * HalfToFloat(x[i]);
}

}  // namespace lutra::kernels::f16
