// The ternary3 registry: best first, scalar last, from the list (kernels.inc).
#include "kernels/common/select.h"
#include "kernels/ternary3/variants.h"

namespace lutra::kernels::ternary3 {
namespace {

constexpr Kernels kKernels[] = {
#define LUTRA_TERNARY3(name, build, gemm, isa, nr, preferred) \
  LUTRA_IF_ISA(isa, {"lutra_ternary3_" #name, LUTRA_ISA_LEVEL(isa), nr, build, gemm, preferred}, )
#include "kernels/ternary3/kernels.inc"
};

}  // namespace

std::span<const Kernels> AllKernels() {
  return kKernels;
}

const Kernels* Select(arch::IsaSet features) {
  const Kernels* k = SelectFirst(AllKernels(), features);
  return k != nullptr ? k : &AllKernels().back();
}

// The scalar form is for correctness only; the bit-plane kernels of every ISA beat it.
bool Preferred(arch::IsaSet features) {
  return Select(features)->preferred;
}

}  // namespace lutra::kernels::ternary3
