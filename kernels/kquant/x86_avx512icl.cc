// AVX-512 VBMI + VNNI GEMMs of IQ2_XXS and IQ2_XS: the VNNI file's paths (x86_avx512vnni.cc)
// compiled with VBMI, where the block decode (x86_iq_avx512.h) looks IQ2_XXS's 256-point grid
// up by byte permutes, expands the points by vpmultishiftqb and vpermb, spreads the scales by
// vpermb and takes the sign bits with their parity from kIqSigns by one vpermi2b. Measured per
// format against the VNNI variant (docs/kernels.md): IQ2_S, IQ3_XXS and IQ3_S were not faster
// (their larger grids keep the word lookups, their signs are stored whole), so they keep the VNNI
// variant, as IQ1_S and IQ1_M (scalar-index loads) do.
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 flags the _mm512_undefined_*() placeholders inside its intrinsics; never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include "kernels/kquant/variants.h"
#include "kernels/kquant/x86_avx512_impl.h"
#include "kernels/kquant/x86_avx512vnni_blocked.h"

namespace lutra::kernels::kquant {

#define LUTRA_IQ_ICL(name, format)                                                       \
  void name##_gemm__avx512icl(const Weights& w, const Activations& a, size_t row_begin,  \
                              size_t row_end, float* y, size_t y_stride) {               \
    using namespace avx512;                                                              \
    constexpr Format kF = Format::k##format;                                             \
    if (a.tiles.q != nullptr && a.n >= kMinTiledTokens) {                                \
      vnni_blocked::TiledGemm<kF>(w, a, row_begin, row_end, y, y_stride);                \
      return;                                                                            \
    }                                                                                    \
    Gemm<IqTile<true, 1, kF>, IqTile<true, kTokenTile, kF>>(w, a, row_begin, row_end, y, \
                                                            y_stride);                   \
  }
LUTRA_IQ_ICL(iq2xxs, IQ2XXS)
LUTRA_IQ_ICL(iq2xs, IQ2XS)
#undef LUTRA_IQ_ICL

}  // namespace lutra::kernels::kquant
