// The attn registries, best first, scalar last, from the list (kernels.inc).
#include "kernels/attn/attn.h"
#include "kernels/attn/variants.h"
#include "kernels/common/select.h"

namespace lutra::kernels::attn {
namespace {

#define ENTRY(name, isa, unroll, in_vectors) \
  LUTRA_KERNEL_ENTRY("lutra_attn_", name, isa, unroll, in_vectors)

const Kernel<QkF16Fn> kqk_f16[] = {
#define LUTRA_ATTN_QK_F16 ENTRY
#include "kernels/attn/kernels.inc"
};
const Kernel<QkF32Fn> kqk_f32[] = {
#define LUTRA_ATTN_QK_F32 ENTRY
#include "kernels/attn/kernels.inc"
};
const Kernel<PvF16Fn> kpv_f16[] = {
#define LUTRA_ATTN_PV_F16 ENTRY
#include "kernels/attn/kernels.inc"
};
const Kernel<PvF32Fn> kpv_f32[] = {
#define LUTRA_ATTN_PV_F32 ENTRY
#include "kernels/attn/kernels.inc"
};
const Kernel<QkBf16Fn> kqk_bf16[] = {
#define LUTRA_ATTN_QK_BF16 ENTRY
#include "kernels/attn/kernels.inc"
};
const Kernel<PvBf16Fn> kpv_bf16[] = {
#define LUTRA_ATTN_PV_BF16 ENTRY
#include "kernels/attn/kernels.inc"
};

#undef ENTRY

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
