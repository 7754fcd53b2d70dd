// The lutgemm registry: per bit width and table mode, best first, scalar last.
#include "kernels/common/select.h"
#include "kernels/lutgemm/lutgemm.h"
#include "kernels/lutgemm/variants.h"

namespace lutra::kernels::lutgemm {
namespace {

#define K_ORDER(fn, isa, bits, nr, exact, order) \
  {"lutra_lutgemm_" #fn,                         \
   isa,                                          \
   bits,                                         \
   32,                                           \
   nr,                                           \
   4,                                            \
   exact,                                        \
   exact ? Input::kExactTables : Input::kTables, \
   1,                                            \
   fn,                                           \
   order},
#define K(fn, isa, bits, nr, exact) K_ORDER(fn, isa, bits, nr, exact, packw::PlaneOrder::kCanonical)
// The unpack-to-int8 + vpdpbusd kernels (8 tokens per unpack, preferred from 4 tokens on).
#define K_DOT(fn, isa, bits, exact, input, order) \
  {"lutra_lutgemm_" #fn, isa, bits, 32, 8, 4, exact, input, 4, fn, order},

// Per ISA group: the bit width's quantized and exact variants, or nothing when not compiled.
#if LUTRA_HAVE_AVX512VNNI
// Unpack-to-int8 + vpdpbusd: exact like the a8 lookup kernels, faster from a few tokens on.
#define K_VNNI(b)                                                                   \
  K_DOT(w##b##a8_32x8g4__avx512vnni, arch::kLevelAVX512VNNI, b, true, Input::kInt8, \
        packw::PlaneOrder::kCanonical)
// Unpack-to-int8 + vpdpbusd with per-block int8 activations: the prefill kernel for 3 and 4
// bits, where one vpdpbusd per 64 weights beats b lookups per 4 weights (DESIGN.md §4).
#define K_VNNI_BLOCKS(b)                                                                 \
  K_DOT(w##b##_32x8g4__avx512vnni, arch::kLevelAVX512VNNI, b, false, Input::kInt8Blocks, \
        packw::PlaneOrder::kCanonical)
#else
#define K_VNNI(b)
#define K_VNNI_BLOCKS(b)
#endif
#if LUTRA_HAVE_AVX512ICL
constexpr auto kRowQuads = packw::PlaneOrder::kRowQuads;
// vpermb lookups summed by vpdpbusd: fewer operations per weight than the BW lookup kernel.
// The row-quad ("rq") variants come first, so that LutMatrix reorders the bits it packs; the
// canonical ones serve matrices mapped from packed files. Each row-quad lookup kernel has
// row-quad dot-product partners for many tokens (the VNNI kernels' code, x86_avx512_dot.h).
#define K_ICL(b)                                                                      \
  K_ORDER(w##b##_32x4g4rq__avx512icl, arch::kLevelAVX512ICL, b, 4, false, kRowQuads)  \
  K_ORDER(w##b##a8_32x2g4rq__avx512icl, arch::kLevelAVX512ICL, b, 2, true, kRowQuads) \
  K(w##b##_32x4g4__avx512icl, arch::kLevelAVX512ICL, b, 4, false)                     \
  K(w##b##a8_32x2g4__avx512icl, arch::kLevelAVX512ICL, b, 2, true)
#define K_ICL_DOT(b) \
  K_DOT(w##b##a8_32x8g4rq__avx512icl, arch::kLevelAVX512ICL, b, true, Input::kInt8, kRowQuads)
#define K_ICL_DOT_BLOCKS(b) \
  K_DOT(w##b##_32x8g4rq__avx512icl, arch::kLevelAVX512ICL, b, false, Input::kInt8Blocks, kRowQuads)
#else
#define K_ICL(b)
#define K_ICL_DOT(b)
#define K_ICL_DOT_BLOCKS(b)
#endif
#if LUTRA_HAVE_AVX512
#define K_AVX512(b)                                         \
  K(w##b##_32x4g4__avx512, arch::kLevelAVX512, b, 4, false) \
  K(w##b##a8_32x2g4__avx512, arch::kLevelAVX512, b, 2, true)
#else
#define K_AVX512(b)
#endif
#if LUTRA_HAVE_AVX2
#define K_AVX2(b)                                       \
  K(w##b##_32x2g4__avx2, arch::kLevelAVX2, b, 2, false) \
  K(w##b##a8_32x1g4__avx2, arch::kLevelAVX2, b, 1, true)
#else
#define K_AVX2(b)
#endif
#if LUTRA_HAVE_NEON && defined(__aarch64__)
#define K_NEON(b)                                       \
  K(w##b##_32x4g4__neon, arch::kLevelNEON, b, 4, false) \
  K(w##b##a8_32x2g4__neon, arch::kLevelNEON, b, 2, true)
#elif LUTRA_HAVE_NEON
#define K_NEON(b)                                       \
  K(w##b##_32x2g4__neon, arch::kLevelNEON, b, 2, false) \
  K(w##b##a8_32x1g4__neon, arch::kLevelNEON, b, 1, true)
#else
#define K_NEON(b)
#endif
#if LUTRA_HAVE_RVV
#define K_RVV(b)                                      \
  K(w##b##_32x2g4__rvv, arch::kLevelRVV, b, 2, false) \
  K(w##b##a8_32x1g4__rvv, arch::kLevelRVV, b, 1, true)
#else
#define K_RVV(b)
#endif
#define K_SCALAR(b)                                         \
  K(w##b##_32x1g4__scalar, arch::kLevelScalar, b, 1, false) \
  K(w##b##a8_32x1g4__scalar, arch::kLevelScalar, b, 1, true)
#define K_BITS(b) \
  K_ICL_DOT(b) K_VNNI(b) K_ICL(b) K_AVX512(b) K_AVX2(b) K_NEON(b) K_RVV(b) K_SCALAR(b)

// Per-block dot-product prefill at 3 and 4 bits only: at 1 and 2 bits the lookup GEMM is faster
// for many tokens too (4096×4096, 32 tokens: 2-bit lookup 2.79 ms, dot product 3.07 ms).
const GemmKernel kGemm[] = {K_BITS(1) K_BITS(2) K_ICL_DOT_BLOCKS(3) K_VNNI_BLOCKS(3) K_BITS(3)
                                K_ICL_DOT_BLOCKS(4) K_VNNI_BLOCKS(4) K_BITS(4)};

#undef K_SCALAR
#undef K_AVX2
#undef K_AVX512
#undef K_ICL
#undef K_ICL_DOT
#undef K_ICL_DOT_BLOCKS
#undef K_NEON
#undef K_RVV
#undef K_VNNI
#undef K_VNNI_BLOCKS
#undef K_BITS
#undef K
#undef K_ORDER
#undef K_DOT

}  // namespace

std::span<const GemmKernel> GemmKernels() {
  return kGemm;
}

const GemmKernel* Select(arch::IsaSet features, uint32_t bits, bool exact, size_t n) {
  return SelectFirstIf(GemmKernels(), features, [&](const GemmKernel& k) {
    return k.bits == bits && k.exact == exact && n >= k.min_n;
  });
}

const GemmKernel* Select(arch::IsaSet features, uint32_t bits, bool exact, size_t n,
                         packw::PlaneOrder order) {
  return SelectFirstIf(GemmKernels(), features, [&](const GemmKernel& k) {
    return k.bits == bits && k.exact == exact && n >= k.min_n && k.order == order;
  });
}

const GemmKernel* SelectLookup(arch::IsaSet features, uint32_t bits, size_t n) {
  return SelectFirstIf(GemmKernels(), features, [&](const GemmKernel& k) {
    return k.bits == bits && !k.exact && n >= k.min_n && k.input == Input::kTables;
  });
}

const GemmKernel* SelectLookup(arch::IsaSet features, uint32_t bits, size_t n,
                               packw::PlaneOrder order) {
  return SelectFirstIf(GemmKernels(), features, [&](const GemmKernel& k) {
    return k.bits == bits && !k.exact && n >= k.min_n && k.input == Input::kTables &&
           k.order == order;
  });
}

}  // namespace lutra::kernels::lutgemm
