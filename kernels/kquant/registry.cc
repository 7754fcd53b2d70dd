// The kquant registry, best first within each format, scalar last, from the list (kernels.inc).
#include "kernels/common/select.h"
#include "kernels/kquant/variants.h"

namespace lutra::kernels::kquant {
namespace {

constexpr Kernels kKernels[] = {
#define LUTRA_KQUANT(name, isa, format) \
  LUTRA_IF_ISA(isa, {"lutra_kquant_" #name, LUTRA_ISA_LEVEL(isa), Format::k##format, name}, )
#include "kernels/kquant/kernels.inc"
};

}  // namespace

std::span<const Kernels> AllKernels() {
  return kKernels;
}

const Kernels* Select(arch::IsaSet features, Format format) {
  // Never null: each format's scalar variant needs no feature.
  return SelectFirstIf(AllKernels(), features,
                       [format](const Kernels& k) { return k.format == format; });
}

}  // namespace lutra::kernels::kquant
