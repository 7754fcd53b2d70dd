// The softmax2p registries, best first, scalar last, from the list (kernels.inc).
#include "kernels/common/select.h"
#include "kernels/softmax2p/softmax2p.h"
#include "kernels/softmax2p/variants.h"

namespace lutra::kernels::softmax2p {
namespace {

#define ENTRY(name, isa, unroll, in_vectors) \
  LUTRA_KERNEL_ENTRY("lutra_", name, isa, unroll, in_vectors)

const Kernel<SoftmaxFn> kTwoPass[] = {
#define LUTRA_SOFTMAX_TWO_PASS ENTRY
#include "kernels/softmax2p/kernels.inc"
};
const Kernel<SoftmaxFn> kThreePass[] = {
#define LUTRA_SOFTMAX_THREE_PASS ENTRY
#include "kernels/softmax2p/kernels.inc"
};
const Kernel<SoftmaxFn> kStoredThreePass[] = {
#define LUTRA_SOFTMAX_STORED_THREE_PASS ENTRY
#include "kernels/softmax2p/kernels.inc"
};

#undef ENTRY

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
