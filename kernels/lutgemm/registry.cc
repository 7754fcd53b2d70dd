// The lutgemm registry: per bit width and table mode, best first, scalar last, from the list
// (kernels.inc).
#include "kernels/common/select.h"
#include "kernels/lutgemm/lutgemm.h"
#include "kernels/lutgemm/variants.h"

namespace lutra::kernels::lutgemm {
namespace {

const GemmKernel kGemm[] = {
#define LUTRA_LUTGEMM(name, isa, bits, nr, exact, input, min_n, order)                \
  LUTRA_IF_ISA(isa,                                                                   \
               {"lutra_lutgemm_" #name, LUTRA_ISA_LEVEL(isa), bits, 32, nr, 4, exact, \
                Input::k##input, min_n, name, packw::PlaneOrder::k##order}, )
#include "kernels/lutgemm/kernels.inc"
};

}  // namespace

std::span<const GemmKernel> GemmKernels() {
  return kGemm;
}

const GemmKernel* Select(arch::IsaSet features, uint32_t bits, bool exact, size_t n) {
  return SelectFirstIf(GemmKernels(), features, [&](const GemmKernel& k) {
    return k.bits == bits && k.exact == exact && n >= k.min_n;
  });
}

const GemmKernel* Select(arch::IsaSet features, uint32_t bits, bool exact, size_t n,
                         packw::PlaneOrder order) {
  return SelectFirstIf(GemmKernels(), features, [&](const GemmKernel& k) {
    return k.bits == bits && k.exact == exact && n >= k.min_n && k.order == order;
  });
}

const GemmKernel* SelectLookup(arch::IsaSet features, uint32_t bits, size_t n) {
  return SelectFirstIf(GemmKernels(), features, [&](const GemmKernel& k) {
    return k.bits == bits && !k.exact && n >= k.min_n && k.input == Input::kTables;
  });
}

const GemmKernel* SelectLookup(arch::IsaSet features, uint32_t bits, size_t n,
                               packw::PlaneOrder order) {
  return SelectFirstIf(GemmKernels(), features, [&](const GemmKernel& k) {
    return k.bits == bits && !k.exact && n >= k.min_n && k.input == Input::kTables &&
           k.order == order;
  });
}

}  // namespace lutra::kernels::lutgemm
