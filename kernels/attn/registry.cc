// The attn registries, best first, scalar last.
#include "kernels/attn/attn.h"
#include "kernels/attn/variants.h"
#include "kernels/common/select.h"

namespace lutra::kernels::attn {
namespace {

#define K(fn, isa, unroll) LUTRA_KERNEL("lutra_attn_", fn, isa, unroll)
// clang-format off
// One table per operation: AVX-512, AVX2, NEON (AArch64), scalar.
#define TABLE(type, op)                                                              \
  const Kernel<type> k##op[] = {                                                     \
      IF_AVX512(K(op##_u16__avx512, arch::kLevelAVX512, 16))                         \
      IF_AVX2(K(op##_u8__avx2, arch::kLevelAVX2, 8))                                 \
      IF_NEON(K(op##_u16__neon, arch::kLevelNEON, 16))                               \
      K(op##_u4__scalar, arch::kLevelScalar, 4),                                     \
  };
// bf16: the dot-product kernels first where the host has them.
#define TABLE_BF16(type, op)                                                         \
  const Kernel<type> k##op[] = {                                                     \
      IF_AVX512BF16(K(op##_u32__avx512bf16, arch::kLevelAVX512BF16, 32))             \
      IF_AVX512(K(op##_u16__avx512, arch::kLevelAVX512, 16))                         \
      IF_AVX2(K(op##_u8__avx2, arch::kLevelAVX2, 8))                                 \
      IF_NEON(K(op##_u16__neon, arch::kLevelNEON, 16))                               \
      K(op##_u4__scalar, arch::kLevelScalar, 4),                                     \
  };
// clang-format on

#if LUTRA_HAVE_AVX512BF16
#define IF_AVX512BF16(x) x,
#else
#define IF_AVX512BF16(x)
#endif
#if LUTRA_HAVE_AVX512
#define IF_AVX512(x) x,
#else
#define IF_AVX512(x)
#endif
#if LUTRA_HAVE_NEON && defined(__aarch64__)
#define IF_NEON(x) x,
#else
#define IF_NEON(x)
#endif
#if LUTRA_HAVE_AVX2
#define IF_AVX2(x) x,
#else
#define IF_AVX2(x)
#endif

TABLE(QkF16Fn, qk_f16)
TABLE(QkF32Fn, qk_f32)
TABLE(PvF16Fn, pv_f16)
TABLE(PvF32Fn, pv_f32)
TABLE_BF16(QkBf16Fn, qk_bf16)
TABLE_BF16(PvBf16Fn, pv_bf16)

#undef TABLE
#undef TABLE_BF16
#undef IF_AVX512BF16
#undef K
#undef IF_AVX512
#undef IF_AVX2
#undef IF_NEON

}  // namespace

std::span<const Kernel<QkF16Fn>> QkF16Kernels() {
  return kqk_f16;
}
std::span<const Kernel<QkF32Fn>> QkF32Kernels() {
  return kqk_f32;
}
std::span<const Kernel<PvF16Fn>> PvF16Kernels() {
  return kpv_f16;
}
std::span<const Kernel<PvF32Fn>> PvF32Kernels() {
  return kpv_f32;
}
std::span<const Kernel<QkBf16Fn>> QkBf16Kernels() {
  return kqk_bf16;
}
std::span<const Kernel<PvBf16Fn>> PvBf16Kernels() {
  return kpv_bf16;
}

AttnOps Select(arch::IsaSet features) {
  return {SelectFirst(QkF16Kernels(), features),  SelectFirst(QkF32Kernels(), features),
          SelectFirst(PvF16Kernels(), features),  SelectFirst(PvF32Kernels(), features),
          SelectFirst(QkBf16Kernels(), features), SelectFirst(PvBf16Kernels(), features)};
}

}  // namespace lutra::kernels::attn
