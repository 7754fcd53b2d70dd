// AVX-512 F/BW kquant GEMMs (x86_avx512_impl.h), for CPUs without VNNI (Skylake-X).
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 flags the _mm512_undefined_*() placeholders inside its intrinsics; never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include "kernels/kquant/variants.h"
#include "kernels/kquant/x86_avx512_impl.h"

namespace lutra::kernels::kquant {

void q4k_gemm__avx512(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                      float* y, size_t y_stride) {
  using namespace avx512;
  Gemm<Q4KTile<false, 1>, Q4KTile<false, kTokenTile>>(w, a, row_begin, row_end, y, y_stride);
}

void q5k_gemm__avx512(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                      float* y, size_t y_stride) {
  using namespace avx512;
  Gemm<Q4KTile<false, 1, true>, Q4KTile<false, kTokenTile, true>>(w, a, row_begin, row_end, y,
                                                                  y_stride);
}

void q6k_gemm__avx512(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                      float* y, size_t y_stride) {
  using namespace avx512;
  Gemm<Q6KTile<false, 1>, Q6KTile<false, kTokenTile>>(w, a, row_begin, row_end, y, y_stride);
}

void q3k_gemm__avx512(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                      float* y, size_t y_stride) {
  using namespace avx512;
  Gemm<Q32KTile<false, 1, Format::kQ3K>, Q32KTile<false, kTokenTile, Format::kQ3K>>(
      w, a, row_begin, row_end, y, y_stride);
}

void q2k_gemm__avx512(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                      float* y, size_t y_stride) {
  using namespace avx512;
  Gemm<Q32KTile<false, 1, Format::kQ2K>, Q32KTile<false, kTokenTile, Format::kQ2K>>(
      w, a, row_begin, row_end, y, y_stride);
}

void q8_0_gemm__avx512(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                       float* y, size_t y_stride) {
  using namespace avx512;
  Gemm<Block32Tile<false, 1, Format::kQ8_0>, Block32Tile<false, kTokenTile, Format::kQ8_0>>(
      w, a, row_begin, row_end, y, y_stride);
}

void q5_0_gemm__avx512(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                       float* y, size_t y_stride) {
  using namespace avx512;
  Gemm<Block32Tile<false, 1, Format::kQ5_0>, Block32Tile<false, kTokenTile, Format::kQ5_0>>(
      w, a, row_begin, row_end, y, y_stride);
}

}  // namespace lutra::kernels::kquant
