// The lutbuild registries, best first, scalar last, from the list (kernels.inc).
#include "kernels/common/select.h"
#include "kernels/lutbuild/lutbuild.h"
#include "kernels/lutbuild/variants.h"

namespace lutra::kernels::lutbuild {
namespace {

// Each list line's entry, or nothing when its ISA is not compiled in.
#define ENTRY(name, isa, g) \
  LUTRA_IF_ISA(isa, {"lutra_lutbuild_" #name, LUTRA_ISA_LEVEL(isa), g, name}, )

const BuildKernel<BuildFn> kBuild[] = {
#define LUTRA_LUTBUILD_F32 ENTRY
#include "kernels/lutbuild/kernels.inc"
};
const BuildKernel<BuildExactFn> kBuildExact[] = {
#define LUTRA_LUTBUILD_A8 ENTRY
#include "kernels/lutbuild/kernels.inc"
};
const BuildKernel<BuildInt8Fn> kBuildInt8[] = {
#define LUTRA_LUTBUILD_Q8 ENTRY
#include "kernels/lutbuild/kernels.inc"
};
const BuildKernel<BuildInt8BlocksFn> kBuildInt8Blocks[] = {
#define LUTRA_LUTBUILD_Q8B ENTRY
#include "kernels/lutbuild/kernels.inc"
};

#undef ENTRY

}  // namespace

std::span<const BuildKernel<BuildFn>> BuildKernels() {
  return kBuild;
}
std::span<const BuildKernel<BuildExactFn>> BuildExactKernels() {
  return kBuildExact;
}
std::span<const BuildKernel<BuildInt8Fn>> BuildInt8Kernels() {
  return kBuildInt8;
}
std::span<const BuildKernel<BuildInt8BlocksFn>> BuildInt8BlocksKernels() {
  return kBuildInt8Blocks;
}

BuildOps Select(arch::IsaSet features) {
  return {SelectFirst(BuildKernels(), features), SelectFirst(BuildExactKernels(), features),
          SelectFirst(BuildInt8Kernels(), features),
          SelectFirst(BuildInt8BlocksKernels(), features)};
}

}  // namespace lutra::kernels::lutbuild
