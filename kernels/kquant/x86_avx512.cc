// AVX-512 F/BW kquant GEMMs (x86_avx512_impl.h), for CPUs without VNNI (Skylake-X).
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 flags the _mm512_undefined_*() placeholders inside its intrinsics; never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include "kernels/kquant/variants.h"
#include "kernels/kquant/x86_avx512_impl.h"

#include <cmath>
#include <limits>

namespace lutra::kernels::kquant {
namespace {

// Quantize() of quantize.cc sixteen values at a time: amax, then x·(127 / amax) rounded half
// away from zero by adding ±0.5 and truncating, exactly the portable loop's float operations.
template <size_t G>
void QuantizeGroups(size_t k, const float* x, int8_t* q, float* scale, int16_t* bsum) {
  constexpr float kTinyBlock = 1e-36f;  // as quantize.cc
  const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
  const __m512 sign_mask = _mm512_castsi512_ps(_mm512_set1_epi32(int(0x80000000u)));
  const __m512 half = _mm512_set1_ps(0.5f);
  for (size_t b = 0; b < k / G; ++b) {
    const float* xb = x + b * G;
    __m512 vmax = _mm512_setzero_ps();
    __mmask16 nan = 0;
    for (size_t i = 0; i < G; i += 16) {
      const __m512 v = _mm512_loadu_ps(xb + i);
      vmax = _mm512_max_ps(vmax, _mm512_and_ps(v, abs_mask));
      nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    }
    const float amax = nan ? std::numeric_limits<float>::quiet_NaN() : _mm512_reduce_max_ps(vmax);
    const bool usable = amax >= kTinyBlock && std::isfinite(amax);
    scale[b] = usable || !std::isfinite(amax) ? amax / 127.0f : 0.0f;
    const __m512 inv = _mm512_set1_ps(usable ? 127.0f / amax : 0.0f);
    for (size_t i = 0; i < G; i += 16) {
      __m512 v = _mm512_mul_ps(_mm512_loadu_ps(xb + i), inv);
      v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), v);  // NaN (inf·0) → 0
      const __m512 r = _mm512_add_ps(v, _mm512_or_ps(_mm512_and_ps(v, sign_mask), half));
      const __m512i codes = _mm512_cvttps_epi32(r);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(q + b * G + i), _mm512_cvtsepi32_epi8(codes));
      bsum[(b * G + i) / kSumGroup] = int16_t(_mm512_reduce_add_epi32(codes));
    }
  }
}

}  // namespace

void quantize__avx512(Format format, size_t k, const float* x, int8_t* q, float* scale,
                      int16_t* bsum) {
  if (ScaleGroup(format) == 32) {
    QuantizeGroups<32>(k, x, q, scale, bsum);
  } else {
    QuantizeGroups<kSuperBlock>(k, x, q, scale, bsum);
  }
}

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

void q4_0_gemm__avx512(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                       float* y, size_t y_stride) {
  using namespace avx512;
  Gemm<Block32Tile<false, 1, Format::kQ4_0>, Block32Tile<false, kTokenTile, Format::kQ4_0>>(
      w, a, row_begin, row_end, y, y_stride);
}

void iq4nl_gemm__avx512(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y, size_t y_stride) {
  using namespace avx512;
  Gemm<Block32Tile<false, 1, Format::kIQ4NL>, Block32Tile<false, kTokenTile, Format::kIQ4NL>>(
      w, a, row_begin, row_end, y, y_stride);
}

void iq4xs_gemm__avx512(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y, size_t y_stride) {
  using namespace avx512;
  Gemm<IQ4XSTile<false, 1>, IQ4XSTile<false, kTokenTile>>(w, a, row_begin, row_end, y, y_stride);
}
#define LUTRA_IQ_AVX512(name, format)                                                        \
  void name##_gemm__avx512(const Weights& w, const Activations& a, size_t row_begin,         \
                           size_t row_end, float* y, size_t y_stride) {                      \
    using namespace avx512;                                                                  \
    Gemm<IqTile<false, 1, Format::k##format>, IqTile<false, kTokenTile, Format::k##format>>( \
        w, a, row_begin, row_end, y, y_stride);                                              \
  }
LUTRA_IQ_AVX512(iq2xxs, IQ2XXS)
LUTRA_IQ_AVX512(iq2xs, IQ2XS)
LUTRA_IQ_AVX512(iq2s, IQ2S)
LUTRA_IQ_AVX512(iq3xxs, IQ3XXS)
LUTRA_IQ_AVX512(iq3s, IQ3S)
LUTRA_IQ_AVX512(iq1s, IQ1S)
LUTRA_IQ_AVX512(iq1m, IQ1M)
#undef LUTRA_IQ_AVX512

}  // namespace lutra::kernels::kquant
