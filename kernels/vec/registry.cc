// The vec registries, best first. Variants of ISAs disabled at configure time
// (LUTRA_ENABLE_<ISA>=OFF) or foreign to the target architecture are not compiled in.
#include "kernels/common/select.h"
#include "kernels/vec/variants.h"
#include "kernels/vec/vec.h"

namespace lutra::kernels::vec {
namespace {

#define K(fn, isa, unroll) LUTRA_KERNEL("lutra_vec_", fn, isa, unroll)
#define KV(fn, isa, vectors) LUTRA_KERNEL_V("lutra_vec_", fn, isa, vectors)

const Kernel<DotFn> kDot[] = {
#if LUTRA_HAVE_AVX512
    K(dot_f32_u64__avx512, arch::kLevelAVX512, 64),
#endif
#if LUTRA_HAVE_AVX2
    K(dot_f32_u32__avx2, arch::kLevelAVX2, 32),
#endif
#if LUTRA_HAVE_NEON
    K(dot_f32_u16__neon, arch::kLevelNEON, 16),
#endif
#if LUTRA_HAVE_RVV
    KV(dot_f32_u8v__rvv, arch::kLevelRVV, 8),
#endif
    K(dot_f32_u4__scalar, arch::kLevelScalar, 4),
};
const Kernel<AxpyFn> kAxpy[] = {
#if LUTRA_HAVE_AVX512
    K(axpy_f32_u64__avx512, arch::kLevelAVX512, 64),
#endif
#if LUTRA_HAVE_AVX2
    K(axpy_f32_u32__avx2, arch::kLevelAVX2, 32),
#endif
#if LUTRA_HAVE_NEON
    K(axpy_f32_u16__neon, arch::kLevelNEON, 16),
#endif
#if LUTRA_HAVE_RVV
    KV(axpy_f32_u8v__rvv, arch::kLevelRVV, 8),
#endif
    K(axpy_f32_u4__scalar, arch::kLevelScalar, 4),
};
const Kernel<ScaleFn> kScale[] = {
#if LUTRA_HAVE_AVX512
    K(scale_f32_u64__avx512, arch::kLevelAVX512, 64),
#endif
#if LUTRA_HAVE_AVX2
    K(scale_f32_u32__avx2, arch::kLevelAVX2, 32),
#endif
#if LUTRA_HAVE_NEON
    K(scale_f32_u16__neon, arch::kLevelNEON, 16),
#endif
#if LUTRA_HAVE_RVV
    KV(scale_f32_u8v__rvv, arch::kLevelRVV, 8),
#endif
    K(scale_f32_u4__scalar, arch::kLevelScalar, 4),
};
const Kernel<BinaryFn> kAdd[] = {
#if LUTRA_HAVE_AVX512
    K(add_f32_u64__avx512, arch::kLevelAVX512, 64),
#endif
#if LUTRA_HAVE_AVX2
    K(add_f32_u32__avx2, arch::kLevelAVX2, 32),
#endif
#if LUTRA_HAVE_NEON
    K(add_f32_u16__neon, arch::kLevelNEON, 16),
#endif
#if LUTRA_HAVE_RVV
    KV(add_f32_u8v__rvv, arch::kLevelRVV, 8),
#endif
    K(add_f32_u4__scalar, arch::kLevelScalar, 4),
};
const Kernel<BinaryFn> kMul[] = {
#if LUTRA_HAVE_AVX512
    K(mul_f32_u64__avx512, arch::kLevelAVX512, 64),
#endif
#if LUTRA_HAVE_AVX2
    K(mul_f32_u32__avx2, arch::kLevelAVX2, 32),
#endif
#if LUTRA_HAVE_NEON
    K(mul_f32_u16__neon, arch::kLevelNEON, 16),
#endif
#if LUTRA_HAVE_RVV
    KV(mul_f32_u8v__rvv, arch::kLevelRVV, 8),
#endif
    K(mul_f32_u4__scalar, arch::kLevelScalar, 4),
};
const Kernel<UnaryFn> kSilu[] = {
#if LUTRA_HAVE_AVX512
    K(silu_f32_u64__avx512, arch::kLevelAVX512, 64),
#endif
#if LUTRA_HAVE_AVX2
    K(silu_f32_u32__avx2, arch::kLevelAVX2, 32),
#endif
#if LUTRA_HAVE_NEON
    K(silu_f32_u16__neon, arch::kLevelNEON, 16),
#endif
#if LUTRA_HAVE_RVV
    KV(silu_f32_u2v__rvv, arch::kLevelRVV, 2),
#endif
    K(silu_f32_u1__scalar, arch::kLevelScalar, 1),
};

#undef K
#undef KV

}  // namespace

std::span<const Kernel<DotFn>> DotKernels() {
  return kDot;
}
std::span<const Kernel<AxpyFn>> AxpyKernels() {
  return kAxpy;
}
std::span<const Kernel<ScaleFn>> ScaleKernels() {
  return kScale;
}
std::span<const Kernel<BinaryFn>> AddKernels() {
  return kAdd;
}
std::span<const Kernel<BinaryFn>> MulKernels() {
  return kMul;
}
std::span<const Kernel<UnaryFn>> SiluKernels() {
  return kSilu;
}

VecOps Select(arch::IsaSet features) {
  // Every table ends with a scalar entry, so selection never fails.
  return VecOps{
      SelectFirst(DotKernels(), features),   SelectFirst(AxpyKernels(), features),
      SelectFirst(ScaleKernels(), features), SelectFirst(AddKernels(), features),
      SelectFirst(MulKernels(), features),   SelectFirst(SiluKernels(), features),
  };
}

}  // namespace lutra::kernels::vec
