// q8block variants, defined in the per-ISA files (named lutra_q8block_gemm_w8a8_r<rows>__<level>
// in the registry).
#pragma once

#include "kernels/q8block/q8block.h"

namespace lutra::kernels::q8block {

void gemm_w8a8_r1__scalar(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                          float* y, size_t y_stride);

#if LUTRA_HAVE_AVX2
void gemm_w8a8_r4__avx2(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y, size_t y_stride);
#endif
#if LUTRA_HAVE_AVX512VNNI
void gemm_w8a8_r4__avx512vnni(const Weights& w, const Activations& a, size_t row_begin,
                              size_t row_end, float* y, size_t y_stride);
#endif
#if LUTRA_HAVE_NEON
void gemm_w8a8_r4__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y, size_t y_stride);
#endif
#if LUTRA_HAVE_DOTPROD
void gemm_w8a8_r4__dotprod(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                           float* y, size_t y_stride);
#endif
#if LUTRA_HAVE_RVV
void gemm_w8a8_r1__rvv(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                       float* y, size_t y_stride);
#endif

}  // namespace lutra::kernels::q8block
