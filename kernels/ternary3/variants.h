// ternary3 variants, defined in the per-ISA files (named lutra_ternary3_*__<level> in the
// registry).
#pragma once

#include "kernels/ternary3/ternary3.h"

namespace lutra::kernels::ternary3 {

// Digit d of e = 9·c0 + 3·c1 + c2 in balanced ternary (c_d ∈ {−1, 0, +1}) for the table
// entries e < 14, and 0 for the unused entries 14 and 15: V[e] = Σ_d c_d(e)·a_d.
constexpr int BalancedDigit(int e, int d) {
  if (e >= 14) return 0;
  int v = e, c = 0;
  for (int i = 2; i >= d; --i) {
    c = v % 3 == 2 ? -1 : v % 3;
    v = (v - c) / 3;
  }
  return c;
}

void build__scalar(size_t k, size_t n, const int8_t* xq, size_t xq_stride, uint8_t* tables);
void gemm__scalar(const Weights& w, const uint8_t* tables, const float* act, size_t n,
                  size_t tile_begin, size_t tile_end, float* y, size_t y_stride);

#if LUTRA_HAVE_AVX512ICL
void build__avx512icl(size_t k, size_t n, const int8_t* xq, size_t xq_stride, uint8_t* tables);
void gemm__avx512icl(const Weights& w, const uint8_t* tables, const float* act, size_t n,
                     size_t tile_begin, size_t tile_end, float* y, size_t y_stride);
#endif
#if LUTRA_HAVE_DOTPROD
void build__dotprod(size_t k, size_t n, const int8_t* xq, size_t xq_stride, uint8_t* tables);
void gemm__dotprod(const Weights& w, const uint8_t* tables, const float* act, size_t n,
                   size_t tile_begin, size_t tile_end, float* y, size_t y_stride);
#endif

}  // namespace lutra::kernels::ternary3
