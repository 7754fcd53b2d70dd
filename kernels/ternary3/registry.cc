// The ternary3 registry: the AVX-512 VBMI + VNNI variant where compiled, scalar last.
#include "kernels/common/select.h"
#include "kernels/ternary3/variants.h"

namespace lutra::kernels::ternary3 {
namespace {

constexpr Kernels kKernels[] = {
#if LUTRA_HAVE_AVX512ICL
    {"lutra_ternary3_w158a8_32x4g3__avx512icl", arch::kLevelAVX512ICL, 4, build__avx512icl,
     gemm__avx512icl},
#endif
    {"lutra_ternary3_w158a8_32x1g3__scalar", arch::kLevelScalar, 1, build__scalar, gemm__scalar},
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
  return Select(features)->gemm != gemm__scalar;
}

}  // namespace lutra::kernels::ternary3
