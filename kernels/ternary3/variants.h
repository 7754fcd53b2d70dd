// ternary3 variants, defined in the per-ISA files (named lutra_ternary3_*__<level> in the
// registry).
#pragma once

#include "kernels/ternary3/ternary3.h"

namespace lutra::kernels::ternary3 {

// V[e] of a triple with activations a0..a2 (shared by the packer's tests and the kernels).
int TableEntry(int e, int a0, int a1, int a2);

void build__scalar(size_t k, size_t n, const int8_t* xq, size_t xq_stride, uint8_t* tables);
void gemm__scalar(const Weights& w, const uint8_t* tables, const float* act, size_t n,
                  size_t tile_begin, size_t tile_end, float* y, size_t y_stride);

#if LUTRA_HAVE_AVX512ICL
void build__avx512icl(size_t k, size_t n, const int8_t* xq, size_t xq_stride, uint8_t* tables);
void gemm__avx512icl(const Weights& w, const uint8_t* tables, const float* act, size_t n,
                     size_t tile_begin, size_t tile_end, float* y, size_t y_stride);
#endif

}  // namespace lutra::kernels::ternary3
