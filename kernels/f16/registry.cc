// The f16 registries, best first, from the list (kernels.inc).
#include "kernels/common/select.h"
#include "kernels/f16/f16.h"
#include "kernels/f16/variants.h"

namespace lutra::kernels::f16 {
namespace {

#define ENTRY(name, isa, unroll, in_vectors) \
  LUTRA_KERNEL_ENTRY("lutra_f16_", name, isa, unroll, in_vectors)

const Kernel<ToF32Fn> k_tof32[] = {
#define LUTRA_F16_TOF32 ENTRY
#include "kernels/f16/kernels.inc"
};
const Kernel<FromF32Fn> k_fromf32[] = {
#define LUTRA_F16_FROMF32 ENTRY
#include "kernels/f16/kernels.inc"
};
const Kernel<DotFn> k_dot[] = {
#define LUTRA_F16_DOT ENTRY
#include "kernels/f16/kernels.inc"
};
const Kernel<AxpyFn> k_axpy[] = {
#define LUTRA_F16_AXPY ENTRY
#include "kernels/f16/kernels.inc"
};

#undef ENTRY

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
