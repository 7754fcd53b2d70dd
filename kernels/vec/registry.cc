// The vec registries, best first, from the list (kernels.inc). Variants of ISAs disabled at
// configure time (LUTRA_ENABLE_<ISA>=OFF) or foreign to the target architecture are left out.
#include "kernels/common/select.h"
#include "kernels/vec/variants.h"
#include "kernels/vec/vec.h"

namespace lutra::kernels::vec {
namespace {

// One table per operation, from the list: each line's entry, or nothing when its ISA is not
// compiled in.
#define ENTRY(name, isa, unroll, in_vectors) \
  LUTRA_KERNEL_ENTRY("lutra_vec_", name, isa, unroll, in_vectors)

const Kernel<DotFn> kDot[] = {
#define LUTRA_VEC_DOT ENTRY
#include "kernels/vec/kernels.inc"
};
const Kernel<AxpyFn> kAxpy[] = {
#define LUTRA_VEC_AXPY ENTRY
#include "kernels/vec/kernels.inc"
};
const Kernel<ScaleFn> kScale[] = {
#define LUTRA_VEC_SCALE ENTRY
#include "kernels/vec/kernels.inc"
};
const Kernel<BinaryFn> kAdd[] = {
#define LUTRA_VEC_ADD ENTRY
#include "kernels/vec/kernels.inc"
};
const Kernel<BinaryFn> kMul[] = {
#define LUTRA_VEC_MUL ENTRY
#include "kernels/vec/kernels.inc"
};
const Kernel<UnaryFn> kSilu[] = {
#define LUTRA_VEC_SILU ENTRY
#include "kernels/vec/kernels.inc"
};
const Kernel<UnaryFn> kGelu[] = {
#define LUTRA_VEC_GELU ENTRY
#include "kernels/vec/kernels.inc"
};
const Kernel<SoftcapFn> kSoftcap[] = {
#define LUTRA_VEC_SOFTCAP ENTRY
#include "kernels/vec/kernels.inc"
};

#undef ENTRY

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
std::span<const Kernel<UnaryFn>> GeluKernels() {
  return kGelu;
}
std::span<const Kernel<SoftcapFn>> SoftcapKernels() {
  return kSoftcap;
}

VecOps Select(arch::IsaSet features) {
  // Every table ends with a scalar entry, so selection never fails.
  return VecOps{
      SelectFirst(DotKernels(), features),   SelectFirst(AxpyKernels(), features),
      SelectFirst(ScaleKernels(), features), SelectFirst(AddKernels(), features),
      SelectFirst(MulKernels(), features),   SelectFirst(SiluKernels(), features),
      SelectFirst(GeluKernels(), features),  SelectFirst(SoftcapKernels(), features),
  };
}

}  // namespace lutra::kernels::vec
