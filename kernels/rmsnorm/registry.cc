// The rmsnorm registry, best first, scalar last, from the list (kernels.inc).
#include "kernels/common/select.h"
#include "kernels/rmsnorm/rmsnorm.h"
#include "kernels/rmsnorm/variants.h"

namespace lutra::kernels::rmsnorm {
namespace {

const Kernel<RmsNormFn> kRmsNorm[] = {
#define LUTRA_RMSNORM(name, isa, unroll, in_vectors) \
  LUTRA_KERNEL_ENTRY("lutra_", name, isa, unroll, in_vectors)
#include "kernels/rmsnorm/kernels.inc"
};

}  // namespace

std::span<const Kernel<RmsNormFn>> RmsNormKernels() {
  return kRmsNorm;
}

const Kernel<RmsNormFn>* Select(arch::IsaSet features) {
  return SelectFirst(RmsNormKernels(), features);
}

}  // namespace lutra::kernels::rmsnorm
