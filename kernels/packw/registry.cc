// The packw registries, from the list (kernels.inc), and shape validation.
#include "kernels/common/select.h"
#include "kernels/packw/packw.h"
#include "kernels/packw/variants.h"

namespace lutra::kernels::packw {
namespace {

#define ENTRY(name, isa, mr, g) \
  LUTRA_IF_ISA(isa, {"lutra_packw_" #name, LUTRA_ISA_LEVEL(isa), mr, g, name}, )

const PackKernel<PackFn> kPack[] = {
#define LUTRA_PACKW_PACK ENTRY
#include "kernels/packw/kernels.inc"
};
const PackKernel<UnpackFn> kUnpack[] = {
#define LUTRA_PACKW_UNPACK ENTRY
#include "kernels/packw/kernels.inc"
};

#undef ENTRY

}  // namespace

const char* Validate(const Shape& s) {
  if (s.m == 0 || s.k == 0) return "matrix has zero rows or columns";
  if (s.bits < 1 || s.bits > 4) return "bit width must be 1, 2, 3 or 4";
  if (s.group != 32 && s.group != 64 && s.group != 128) return "group size must be 32, 64 or 128";
  // Exact-mode int32 row totals, |Σ 2·(q − z)·xq| ≤ 2·15·127·K, stay below 2^31 up to here.
  if (s.k > (size_t{1} << 19)) return "k larger than 524288";
  return nullptr;
}

std::span<const PackKernel<PackFn>> PackKernels() {
  return kPack;
}
std::span<const PackKernel<UnpackFn>> UnpackKernels() {
  return kUnpack;
}

PackOps Select(arch::IsaSet features) {
  return {SelectFirst(PackKernels(), features), SelectFirst(UnpackKernels(), features)};
}

}  // namespace lutra::kernels::packw
