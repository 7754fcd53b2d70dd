// The q4rows registry, best first, scalar last, from the list (kernels.inc).
#include "kernels/common/select.h"
#include "kernels/q4rows/variants.h"

namespace lutra::kernels::q4rows {
namespace {

constexpr Kernels kKernels[] = {
#define LUTRA_Q4ROWS(name, isa, rows, tokens) \
  LUTRA_IF_ISA(isa, {"lutra_q4rows_" #name, LUTRA_ISA_LEVEL(isa), rows, tokens, name}, )
#include "kernels/q4rows/kernels.inc"
};

}  // namespace

std::span<const Kernels> AllKernels() {
  return kKernels;
}

const Kernels* Select(arch::IsaSet features) {
  const Kernels* k = SelectFirst(AllKernels(), features);
  return k != nullptr ? k : &AllKernels().back();
}

}  // namespace lutra::kernels::q4rows
