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

#define LUTRA_VNNI_GEMM(b)                                                                 \
  void w##b##a8_32x8g4__avx512vnni(const Weights& w, const Tables& t, size_t n, size_t tb, \
                                   size_t te, float* y, size_t ys) {                       \
    avx512_dot::Gemm<packw::PlaneOrder::kCanonical, b, false>(w, t, n, tb, te, y, ys);     \
  }
LUTRA_VNNI_GEMM(1)
LUTRA_VNNI_GEMM(2)
LUTRA_VNNI_GEMM(3)
LUTRA_VNNI_GEMM(4)
#undef LUTRA_VNNI_GEMM

// Per-block (fp32 activation) prefill variants, at 3 and 4 bits only (registry.cc).
void w3_32x8g4__avx512vnni(const Weights& w, const Tables& t, size_t n, size_t tb, size_t te,
                           float* y, size_t ys) {
  avx512_dot::Gemm<packw::PlaneOrder::kCanonical, 3, true>(w, t, n, tb, te, y, ys);
}
void w4_32x8g4__avx512vnni(const Weights& w, const Tables& t, size_t n, size_t tb, size_t te,
                           float* y, size_t ys) {
  avx512_dot::Gemm<packw::PlaneOrder::kCanonical, 4, true>(w, t, n, tb, te, y, ys);
}

}  // namespace lutra::kernels::lutgemm
