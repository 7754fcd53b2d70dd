// The lutgemm registry: per bit width and table mode, best first, scalar last.
#include "kernels/common/select.h"
#include "kernels/lutgemm/lutgemm.h"
#include "kernels/lutgemm/variants.h"

namespace lutra::kernels::lutgemm {
namespace {

#define K(fn, isa, bits, nr, exact) \
  { "lutra_lutgemm_" #fn, isa, bits, 32, nr, 4, exact, fn }
#define K_BITS(b)                                            \
  K(w##b##_32x1g4__scalar, arch::kLevelScalar, b, 1, false), \
      K(w##b##a8_32x1g4__scalar, arch::kLevelScalar, b, 1, true),

const GemmKernel kGemm[] = {K_BITS(1) K_BITS(2) K_BITS(3) K_BITS(4)};

#undef K_BITS
#undef K

}  // namespace

std::span<const GemmKernel> GemmKernels() {
  return kGemm;
}

const GemmKernel* Select(arch::IsaSet features, uint32_t bits, bool exact) {
  return SelectFirstIf(GemmKernels(), features,
                       [&](const GemmKernel& k) { return k.bits == bits && k.exact == exact; });
}

}  // namespace lutra::kernels::lutgemm
