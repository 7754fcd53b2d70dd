// The rmsnorm registry, best first, scalar last.
#include "kernels/common/select.h"
#include "kernels/rmsnorm/rmsnorm.h"
#include "kernels/rmsnorm/variants.h"

namespace lutra::kernels::rmsnorm {
namespace {

#define K(fn, isa, unroll) LUTRA_KERNEL("lutra_", fn, isa, unroll)
#define KV(fn, isa, vectors) LUTRA_KERNEL_V("lutra_", fn, isa, vectors)

const Kernel<RmsNormFn> kRmsNorm[] = {
#if LUTRA_HAVE_AVX512
    K(rmsnorm_f32_u64__avx512, arch::kLevelAVX512, 64),
#endif
#if LUTRA_HAVE_AVX2
    K(rmsnorm_f32_u32__avx2, arch::kLevelAVX2, 32),
#endif
#if LUTRA_HAVE_NEON
    K(rmsnorm_f32_u16__neon, arch::kLevelNEON, 16),
#endif
#if LUTRA_HAVE_RVV
    KV(rmsnorm_f32_u8v__rvv, arch::kLevelRVV, 8),
#endif
    K(rmsnorm_f32_u4__scalar, arch::kLevelScalar, 4),
};

#undef K
#undef KV

}  // namespace

std::span<const Kernel<RmsNormFn>> RmsNormKernels() {
  return kRmsNorm;
}

const Kernel<RmsNormFn>* Select(arch::IsaSet features) {
  return SelectFirst(RmsNormKernels(), features);
}

}  // namespace lutra::kernels::rmsnorm
