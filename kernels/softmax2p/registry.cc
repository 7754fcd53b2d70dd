// The softmax2p registries, best first, scalar last.
#include "kernels/common/select.h"
#include "kernels/softmax2p/softmax2p.h"
#include "kernels/softmax2p/variants.h"

namespace lutra::kernels::softmax2p {
namespace {

#define K(fn, isa, unroll) LUTRA_KERNEL("lutra_", fn, isa, unroll)
#define KV(fn, isa, vectors) LUTRA_KERNEL_V("lutra_", fn, isa, vectors)

const Kernel<SoftmaxFn> kTwoPass[] = {
#if LUTRA_HAVE_AVX512
    K(softmax2p_f32_u64__avx512, arch::kLevelAVX512, 64),
#endif
#if LUTRA_HAVE_AVX2
    K(softmax2p_f32_u32__avx2, arch::kLevelAVX2, 32),
#endif
#if LUTRA_HAVE_NEON
    K(softmax2p_f32_u16__neon, arch::kLevelNEON, 16),
#endif
#if LUTRA_HAVE_RVV
    KV(softmax2p_f32_u2v__rvv, arch::kLevelRVV, 2),
#endif
    K(softmax2p_f32_u4__scalar, arch::kLevelScalar, 4),
};

const Kernel<SoftmaxFn> kThreePass[] = {
#if LUTRA_HAVE_AVX512
    K(softmax3p_f32_u64__avx512, arch::kLevelAVX512, 64),
#endif
#if LUTRA_HAVE_AVX2
    K(softmax3p_f32_u32__avx2, arch::kLevelAVX2, 32),
#endif
#if LUTRA_HAVE_NEON
    K(softmax3p_f32_u16__neon, arch::kLevelNEON, 16),
#endif
#if LUTRA_HAVE_RVV
    KV(softmax3p_f32_u2v__rvv, arch::kLevelRVV, 2),
#endif
    K(softmax3p_f32_u4__scalar, arch::kLevelScalar, 4),
};

const Kernel<SoftmaxFn> kStoredThreePass[] = {
#if LUTRA_HAVE_AVX512
    K(softmax3s_f32_u64__avx512, arch::kLevelAVX512, 64),
#endif
#if LUTRA_HAVE_AVX2
    K(softmax3s_f32_u32__avx2, arch::kLevelAVX2, 32),
#endif
#if LUTRA_HAVE_NEON
    K(softmax3s_f32_u16__neon, arch::kLevelNEON, 16),
#endif
#if LUTRA_HAVE_RVV
    KV(softmax3s_f32_u2v__rvv, arch::kLevelRVV, 2),
#endif
    K(softmax3s_f32_u4__scalar, arch::kLevelScalar, 4),
};

#undef K
#undef KV

}  // namespace

std::span<const Kernel<SoftmaxFn>> TwoPassKernels() {
  return kTwoPass;
}
std::span<const Kernel<SoftmaxFn>> ThreePassKernels() {
  return kThreePass;
}

std::span<const Kernel<SoftmaxFn>> StoredThreePassKernels() {
  return kStoredThreePass;
}

const Kernel<SoftmaxFn>* Select(arch::IsaSet features) {
  return SelectFirst(TwoPassKernels(), features);
}

const Kernel<SoftmaxFn>* SelectForCachedRows(arch::IsaSet features) {
  return SelectFirst(StoredThreePassKernels(), features);
}

}  // namespace lutra::kernels::softmax2p
