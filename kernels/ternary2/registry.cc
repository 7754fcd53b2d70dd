// The ternary2 registry, best first, scalar last, from the list (kernels.inc).
#include "kernels/common/select.h"
#include "kernels/ternary2/variants.h"

namespace lutra::kernels::ternary2 {
namespace {

constexpr Kernels kKernels[] = {
#define LUTRA_TERNARY2(name, isa, rows, tokens) \
  LUTRA_IF_ISA(isa, {"lutra_ternary2_" #name, LUTRA_ISA_LEVEL(isa), rows, tokens, name}, )
#include "kernels/ternary2/kernels.inc"
};

}  // namespace

std::span<const Kernels> AllKernels() {
  return kKernels;
}

const Kernels* Select(arch::IsaSet features) {
  const Kernels* k = SelectFirst(AllKernels(), features);
  return k != nullptr ? k : &AllKernels().back();
}

}  // namespace lutra::kernels::ternary2
