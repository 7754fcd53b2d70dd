// The lutbuild registries, best first, scalar last.
#include "kernels/common/select.h"
#include "kernels/lutbuild/lutbuild.h"
#include "kernels/lutbuild/variants.h"

namespace lutra::kernels::lutbuild {
namespace {

#define K(fn, isa) \
  { "lutra_lutbuild_" #fn, isa, 4, fn }

const BuildKernel<BuildFn> kBuild[] = {
#if LUTRA_HAVE_AVX512
    K(f32_g4__avx512, arch::kLevelAVX512),
#endif
#if LUTRA_HAVE_AVX2
    K(f32_g4__avx2, arch::kLevelAVX2),
#endif
#if LUTRA_HAVE_NEON
    K(f32_g4__neon, arch::kLevelNEON),
#endif
#if LUTRA_HAVE_RVV
    K(f32_g4__rvv, arch::kLevelRVV),
#endif
    K(f32_g4__scalar, arch::kLevelScalar),
};
const BuildKernel<BuildExactFn> kBuildExact[] = {
#if LUTRA_HAVE_AVX512
    K(a8_g4__avx512, arch::kLevelAVX512),
#endif
#if LUTRA_HAVE_AVX2
    K(a8_g4__avx2, arch::kLevelAVX2),
#endif
#if LUTRA_HAVE_NEON
    K(a8_g4__neon, arch::kLevelNEON),
#endif
#if LUTRA_HAVE_RVV
    K(a8_g4__rvv, arch::kLevelRVV),
#endif
    K(a8_g4__scalar, arch::kLevelScalar),
};
const BuildKernel<BuildInt8Fn> kBuildInt8[] = {
#if LUTRA_HAVE_AVX512
    K(q8_g4__avx512, arch::kLevelAVX512),
#endif
#if LUTRA_HAVE_AVX2
    K(q8_g4__avx2, arch::kLevelAVX2),
#endif
    K(q8_g4__scalar, arch::kLevelScalar),
};
const BuildKernel<BuildInt8BlocksFn> kBuildInt8Blocks[] = {
#if LUTRA_HAVE_AVX512
    K(q8b_g4__avx512, arch::kLevelAVX512),
#endif
    K(q8b_g4__scalar, arch::kLevelScalar),
};

#undef K

}  // namespace

std::span<const BuildKernel<BuildFn>> BuildKernels() {
  return kBuild;
}
std::span<const BuildKernel<BuildExactFn>> BuildExactKernels() {
  return kBuildExact;
}
std::span<const BuildKernel<BuildInt8Fn>> BuildInt8Kernels() {
  return kBuildInt8;
}
std::span<const BuildKernel<BuildInt8BlocksFn>> BuildInt8BlocksKernels() {
  return kBuildInt8Blocks;
}

BuildOps Select(arch::IsaSet features) {
  return {SelectFirst(BuildKernels(), features), SelectFirst(BuildExactKernels(), features),
          SelectFirst(BuildInt8Kernels(), features),
          SelectFirst(BuildInt8BlocksKernels(), features)};
}

}  // namespace lutra::kernels::lutbuild
