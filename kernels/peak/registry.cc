// The peak registry, best first, scalar last, from the list (kernels.inc).
#include "kernels/common/select.h"
#include "kernels/peak/peak.h"
#include "kernels/peak/variants.h"

namespace lutra::kernels::peak {
namespace {

const Kernel<Int8DotFn> kInt8Dot[] = {
#define LUTRA_PEAK_DOT(name, isa, unroll) LUTRA_KERNEL_ENTRY("lutra_", name, isa, unroll, false)
#include "kernels/peak/kernels.inc"
};

}  // namespace

std::span<const Kernel<Int8DotFn>> Int8DotKernels() {
  return kInt8Dot;
}

const Kernel<Int8DotFn>* SelectInt8Dot(arch::IsaSet features) {
  return SelectFirst(Int8DotKernels(), features);
}

}  // namespace lutra::kernels::peak
