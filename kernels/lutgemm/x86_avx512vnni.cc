// AVX-512 VNNI dot-product GEMM on the canonical plane order (x86_avx512_dot.h).
//
// GCC 12 reports the _mm512_undefined_*() placeholders inside its own intrinsics as
// maybe-uninitialized; the values are never read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "kernels/lutgemm/variants.h"
#include "kernels/lutgemm/x86_avx512_dot.h"

namespace lutra::kernels::lutgemm {

constexpr auto kCanonical = packw::PlaneOrder::kCanonical;

LUTRA_LUTGEMM_DEFINE(w1a8_32x8g4__avx512vnni, avx512_dot::Gemm<kCanonical, 1, false>)
LUTRA_LUTGEMM_DEFINE(w2a8_32x8g4__avx512vnni, avx512_dot::Gemm<kCanonical, 2, false>)
LUTRA_LUTGEMM_DEFINE(w3a8_32x8g4__avx512vnni, avx512_dot::Gemm<kCanonical, 3, false>)
LUTRA_LUTGEMM_DEFINE(w4a8_32x8g4__avx512vnni, avx512_dot::Gemm<kCanonical, 4, false>)
// Per-block (fp32 activation) prefill variants, at 3 and 4 bits only (kernels.inc).
LUTRA_LUTGEMM_DEFINE(w3_32x8g4__avx512vnni, avx512_dot::Gemm<kCanonical, 3, true>)
LUTRA_LUTGEMM_DEFINE(w4_32x8g4__avx512vnni, avx512_dot::Gemm<kCanonical, 4, true>)

}  // namespace lutra::kernels::lutgemm
