// The q8block registry, best first, scalar last, from the list (kernels.inc).
#include "kernels/common/select.h"
#include "kernels/q8block/variants.h"

namespace lutra::kernels::q8block {
namespace {

constexpr Kernels kKernels[] = {
#define LUTRA_Q8BLOCK(name, isa, rows) \
  LUTRA_IF_ISA(isa, {"lutra_q8block_" #name, LUTRA_ISA_LEVEL(isa), rows, name}, )
#include "kernels/q8block/kernels.inc"
};

}  // namespace

std::span<const Kernels> AllKernels() {
  return kKernels;
}

const Kernels* Select(arch::IsaSet features) {
  const Kernels* k = SelectFirst(AllKernels(), features);
  return k != nullptr ? k : &AllKernels().back();
}

}  // namespace lutra::kernels::q8block
