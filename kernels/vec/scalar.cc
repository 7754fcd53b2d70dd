// Portable vec kernels: the fallback on CPUs without a SIMD variant, and the baseline the
// SIMD variants are measured against. Four independent accumulators keep the dot product
// from being one long dependency chain.
#include <cmath>

#include "kernels/vec/variants.h"

namespace lutra::kernels::vec {

float dot_f32_u4__scalar(size_t n, const float* x, const float* y) {
  float acc0 = 0.0f, acc1 = 0.0f, acc2 = 0.0f, acc3 = 0.0f;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    acc0 += x[i + 0] * y[i + 0];
    acc1 += x[i + 1] * y[i + 1];
    acc2 += x[i + 2] * y[i + 2];
    acc3 += x[i + 3] * y[i + 3];
  }
  for (; i < n; ++i) acc0 += x[i] * y[i];
  return (acc0 + acc1) + (acc2 + acc3);
}

void axpy_f32_u4__scalar(size_t n, float a, const float* x, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void scale_f32_u4__scalar(size_t n, float a, const float* x, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = a * x[i];
}

void add_f32_u4__scalar(size_t n, const float* a, const float* b, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

void mul_f32_u4__scalar(size_t n, const float* a, const float* b, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = a[i] * b[i];
}

void silu_f32_u1__scalar(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] / (1.0f + std::exp(-x[i]));
}

// x·σ(z), z = 2·√(2/π)·(x + 0.044715·x³) = x·(kGeluA + kGeluB·x²).
void gelu_f32_u1__scalar(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; ++i) {
    const float z = x[i] * (kGeluA + kGeluB * x[i] * x[i]);
    y[i] = x[i] / (1.0f + std::exp(-z));
  }
}

void softcap_f32_u1__scalar(size_t n, float scale, float cap, const float* x, float* y) {
  const float a = scale / cap;
  for (size_t i = 0; i < n; ++i) y[i] = cap * std::tanh(a * x[i]);
}

}  // namespace lutra::kernels::vec
