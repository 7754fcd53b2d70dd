// The ternary3 registry: best first, scalar last.
#include "kernels/common/select.h"
#include "kernels/ternary3/variants.h"

namespace lutra::kernels::ternary3 {
namespace {

constexpr Kernels kKernels[] = {
#if LUTRA_HAVE_AVX512ICL
    {"lutra_ternary3_w158a8_32x4g3__avx512icl", arch::kLevelAVX512ICL, 4, build__avx512icl,
     gemm__avx512icl, true},
#endif
#if LUTRA_HAVE_DOTPROD
    // Correct and tested, but not preferred: on the cycle model (bench/arm-model, GCC 12) a
    // 4096-wide GEMV costs 49 cycles per 256 weights on the Cortex-A76 (neoverse-n1) and 131 on
    // the A55 against 31.5 and 78 for lutgemm w2a8_32x2g4__neon. A 64-byte `tbl` (4 registers)
    // issues at 1.5 cycles on the A76, and this layout needs two per 16 lookups (lo and hi
    // tables) where the bit-plane kernel's 16-byte `tbl` takes 0.5; the 16% fewer weight
    // bytes do not pay for it while the GEMV is compute-bound (docs/kernels.md).
    {"lutra_ternary3_w158a8_32x1g3__dotprod", arch::kLevelDOTPROD, 1, build__dotprod, gemm__dotprod,
     false},
#endif
    {"lutra_ternary3_w158a8_32x1g3__scalar", arch::kLevelScalar, 1, build__scalar, gemm__scalar,
     false},
};

}  // namespace

std::span<const Kernels> AllKernels() {
  return kKernels;
}

const Kernels* Select(arch::IsaSet features) {
  const Kernels* k = SelectFirst(AllKernels(), features);
  return k != nullptr ? k : &AllKernels().back();
}

// The scalar form is for correctness only; the bit-plane kernels of every ISA beat it.
bool Preferred(arch::IsaSet features) {
  return Select(features)->preferred;
}

}  // namespace lutra::kernels::ternary3
