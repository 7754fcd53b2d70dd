// The q8block registry, best first; scalar last.
#include "kernels/common/select.h"
#include "kernels/q8block/variants.h"

namespace lutra::kernels::q8block {
namespace {

#define LUTRA_Q8BLOCK(fn, isa, rows) \
  { "lutra_q8block_" #fn, isa, rows, fn }

constexpr Kernels kKernels[] = {
#if LUTRA_HAVE_AVX512VNNI
    LUTRA_Q8BLOCK(gemm_w8a8_r4__avx512vnni, arch::kLevelAVX512VNNI, 4),
#endif
#if LUTRA_HAVE_AVX2
    LUTRA_Q8BLOCK(gemm_w8a8_r4__avx2, arch::kLevelAVX2, 4),
#endif
#if LUTRA_HAVE_DOTPROD
    LUTRA_Q8BLOCK(gemm_w8a8_r4__dotprod, arch::kLevelDOTPROD, 4),
#endif
#if LUTRA_HAVE_NEON
    LUTRA_Q8BLOCK(gemm_w8a8_r4__neon, arch::kLevelNEON, 4),
#endif
#if LUTRA_HAVE_RVV
    LUTRA_Q8BLOCK(gemm_w8a8_r1__rvv, arch::kLevelRVV, 1),
#endif
    LUTRA_Q8BLOCK(gemm_w8a8_r1__scalar, arch::kLevelScalar, 1),
};

#undef LUTRA_Q8BLOCK

}  // namespace

std::span<const Kernels> AllKernels() {
  return kKernels;
}

const Kernels* Select(arch::IsaSet features) {
  const Kernels* k = SelectFirst(AllKernels(), features);
  return k != nullptr ? k : &AllKernels().back();
}

}  // namespace lutra::kernels::q8block
