// AVX-512 VNNI kquant GEMMs. Few tokens: the AVX-512 scheme (x86_avx512_impl.h) with vpdpwssd
// summing the scaled pairs. From kMinTiledTokens tokens on, the token-interleaved activations
// (kquant.h TokenTiles) and the register-blocked path of x86_avx512vnni_blocked.h: one token
// per int32 lane, each k-quad of a row's codes broadcast to all lanes for one vpdpbusd (64
// multiply-adds: 4 codes × 16 tokens), rows and tiles blocked so every load feeds several.
// IQ4_XS and IQ4_NL decode (one token) have their own kernels (x86_avx512vnni_iq4.h).
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 flags the _mm512_undefined_*() placeholders inside its intrinsics; never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include "kernels/kquant/variants.h"
#include "kernels/kquant/x86_avx512_impl.h"
#include "kernels/kquant/x86_avx512vnni_blocked.h"
#include "kernels/kquant/x86_avx512vnni_iq4.h"

namespace lutra::kernels::kquant {

void q4k_gemm__avx512vnni(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                          float* y, size_t y_stride) {
  using namespace avx512;
  if (a.tiles.q != nullptr && a.n >= kMinTiledTokens) {
    vnni_blocked::TiledGemm<Format::kQ4K>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  Gemm<Q4KTile<true, 1>, Q4KTile<true, kTokenTile>>(w, a, row_begin, row_end, y, y_stride);
}

void q5k_gemm__avx512vnni(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                          float* y, size_t y_stride) {
  using namespace avx512;
  if (a.tiles.q != nullptr && a.n >= kMinTiledTokens) {
    vnni_blocked::TiledGemm<Format::kQ5K>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  Gemm<Q4KTile<true, 1, true>, Q4KTile<true, kTokenTile, true>>(w, a, row_begin, row_end, y,
                                                                y_stride);
}

void q6k_gemm__avx512vnni(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                          float* y, size_t y_stride) {
  using namespace avx512;
  if (a.tiles.q != nullptr && a.n >= kMinTiledTokens) {
    vnni_blocked::TiledGemm<Format::kQ6K>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  Gemm<Q6KTile<true, 1>, Q6KTile<true, kTokenTile>>(w, a, row_begin, row_end, y, y_stride);
}

void q3k_gemm__avx512vnni(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                          float* y, size_t y_stride) {
  using namespace avx512;
  if (a.tiles.q != nullptr && a.n >= kMinTiledTokens) {
    vnni_blocked::TiledGemm<Format::kQ3K>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  Gemm<Q32KTile<true, 1, Format::kQ3K>, Q32KTile<true, kTokenTile, Format::kQ3K>>(
      w, a, row_begin, row_end, y, y_stride);
}

void q2k_gemm__avx512vnni(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                          float* y, size_t y_stride) {
  using namespace avx512;
  if (a.tiles.q != nullptr && a.n >= kMinTiledTokens) {
    vnni_blocked::TiledGemm<Format::kQ2K>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  Gemm<Q32KTile<true, 1, Format::kQ2K>, Q32KTile<true, kTokenTile, Format::kQ2K>>(
      w, a, row_begin, row_end, y, y_stride);
}

void q8_0_gemm__avx512vnni(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                           float* y, size_t y_stride) {
  using namespace avx512;
  if (a.tiles.q != nullptr && a.n >= kMinTiledTokens) {
    vnni_blocked::TiledGemm32<Format::kQ8_0>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  Gemm<Block32Tile<true, 1, Format::kQ8_0>, Block32Tile<true, kTokenTile, Format::kQ8_0>>(
      w, a, row_begin, row_end, y, y_stride);
}

void q5_0_gemm__avx512vnni(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                           float* y, size_t y_stride) {
  using namespace avx512;
  if (a.tiles.q != nullptr && a.n >= kMinTiledTokens) {
    vnni_blocked::TiledGemm32<Format::kQ5_0>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  Gemm<Block32Tile<true, 1, Format::kQ5_0>, Block32Tile<true, kTokenTile, Format::kQ5_0>>(
      w, a, row_begin, row_end, y, y_stride);
}

namespace {

// Q4_0 and IQ4_NL: the tiled many-token GEMM, the regrouped one-token decode, the two-block
// steps in between.
template <Format F>
void Nibble32Gemm(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                  float* y, size_t y_stride) {
  using namespace avx512;
  if (a.tiles.q != nullptr && a.n >= kMinTiledTokens) {
    vnni_blocked::TiledGemm32<F>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  if (a.n == 1) {
    vnni_iq4::Block32Decode<F>(w, a, row_begin, row_end, y);
    return;
  }
  Gemm<Block32Tile<true, 1, F>, Block32Tile<true, kTokenTile, F>>(w, a, row_begin, row_end, y,
                                                                  y_stride);
}

}  // namespace

void q4_0_gemm__avx512vnni(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                           float* y, size_t y_stride) {
  Nibble32Gemm<Format::kQ4_0>(w, a, row_begin, row_end, y, y_stride);
}

void iq4nl_gemm__avx512vnni(const Weights& w, const Activations& a, size_t row_begin,
                            size_t row_end, float* y, size_t y_stride) {
  Nibble32Gemm<Format::kIQ4NL>(w, a, row_begin, row_end, y, y_stride);
}

void iq4xs_gemm__avx512vnni(const Weights& w, const Activations& a, size_t row_begin,
                            size_t row_end, float* y, size_t y_stride) {
  using namespace avx512;
  if (a.tiles.q != nullptr && a.n >= kMinTiledTokens) {
    vnni_blocked::TiledGemm<Format::kIQ4XS>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  if (a.n == 1) {
    vnni_iq4::IQ4XSDecode(w, a, row_begin, row_end, y);
    return;
  }
  Gemm<IQ4XSTile<true, 1>, IQ4XSTile<true, kTokenTile>>(w, a, row_begin, row_end, y, y_stride);
}

#define LUTRA_IQ_VNNI(name, format)                                                      \
  void name##_gemm__avx512vnni(const Weights& w, const Activations& a, size_t row_begin, \
                               size_t row_end, float* y, size_t y_stride) {              \
    using namespace avx512;                                                              \
    constexpr Format kF = Format::k##format;                                             \
    if (a.tiles.q != nullptr && a.n >= kMinTiledTokens) {                                \
      vnni_blocked::TiledGemm<kF>(w, a, row_begin, row_end, y, y_stride);                \
      return;                                                                            \
    }                                                                                    \
    Gemm<IqTile<true, 1, kF>, IqTile<true, kTokenTile, kF>>(w, a, row_begin, row_end, y, \
                                                            y_stride);                   \
  }
LUTRA_IQ_VNNI(iq2xxs, IQ2XXS)
LUTRA_IQ_VNNI(iq2xs, IQ2XS)
LUTRA_IQ_VNNI(iq2s, IQ2S)
LUTRA_IQ_VNNI(iq3xxs, IQ3XXS)
LUTRA_IQ_VNNI(iq3s, IQ3S)
LUTRA_IQ_VNNI(iq1s, IQ1S)
LUTRA_IQ_VNNI(iq1m, IQ1M)
#undef LUTRA_IQ_VNNI

}  // namespace lutra::kernels::kquant
