// The f16 registries, best first. RVV stays on the scalar kernels: vector fp16 conversion
// needs Zvfhmin, which the rv64gcv baseline of the RVV group does not include. ARMv7 NEON
// too (see arm_neon.cc).
#include "kernels/common/select.h"
#include "kernels/f16/f16.h"
#include "kernels/f16/variants.h"

namespace lutra::kernels::f16 {
namespace {

#define K(fn, isa, unroll) LUTRA_KERNEL("lutra_f16_", fn, isa, unroll)
#define LUTRA_F16_TABLE(op, Fn)                          \
  const Kernel<Fn> k_##op[] = {                          \
      AVX512_ENTRY(op) AVX2_ENTRY(op) NEON_ENTRY(op)     \
          K(op##_f16_u4__scalar, arch::kLevelScalar, 4), \
  };

#if LUTRA_HAVE_AVX512
#define AVX512_ENTRY(op) K(op##_f16_u64__avx512, arch::kLevelAVX512, 64),
#else
#define AVX512_ENTRY(op)
#endif
#if LUTRA_HAVE_AVX2
#define AVX2_ENTRY(op) K(op##_f16_u32__avx2, arch::kLevelAVX2, 32),
#else
#define AVX2_ENTRY(op)
#endif
#if LUTRA_HAVE_NEON && defined(__aarch64__)
#define NEON_ENTRY(op) K(op##_f16_u16__neon, arch::kLevelNEON, 16),
#else
#define NEON_ENTRY(op)
#endif

LUTRA_F16_TABLE(tof32, ToF32Fn)
LUTRA_F16_TABLE(fromf32, FromF32Fn)
LUTRA_F16_TABLE(dot, DotFn)
LUTRA_F16_TABLE(axpy, AxpyFn)

#undef K

}  // namespace

std::span<const Kernel<ToF32Fn>> ToF32Kernels() {
  return k_tof32;
}
std::span<const Kernel<FromF32Fn>> FromF32Kernels() {
  return k_fromf32;
}
std::span<const Kernel<DotFn>> DotKernels() {
  return k_dot;
}
std::span<const Kernel<AxpyFn>> AxpyKernels() {
  return k_axpy;
}

F16Ops Select(arch::IsaSet features) {
  // Every table ends with a scalar entry, so selection never fails.
  return F16Ops{SelectFirst(ToF32Kernels(), features), SelectFirst(FromF32Kernels(), features),
                SelectFirst(DotKernels(), features), SelectFirst(AxpyKernels(), features)};
}

}  // namespace lutra::kernels::f16
