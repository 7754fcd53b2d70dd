// Declarations of every lutbuild variant, from the list (kernels.inc); registry.cc and tests
// only.
#pragma once

#include "kernels/common/isa_list.h"
#include "kernels/lutbuild/lutbuild.h"

namespace lutra::kernels::lutbuild {

#define LUTRA_LUTBUILD_F32(name, ...) LUTRA_DECLARE_KERNEL(BuildFn, name)
#define LUTRA_LUTBUILD_A8(name, ...) LUTRA_DECLARE_KERNEL(BuildExactFn, name)
#define LUTRA_LUTBUILD_Q8(name, ...) LUTRA_DECLARE_KERNEL(BuildInt8Fn, name)
#define LUTRA_LUTBUILD_Q8B(name, ...) LUTRA_DECLARE_KERNEL(BuildInt8BlocksFn, name)
#include "kernels/lutbuild/kernels.inc"

}  // namespace lutra::kernels::lutbuild
