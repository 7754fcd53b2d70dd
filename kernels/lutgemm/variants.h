// Declarations of every lutgemm variant, from the list (kernels.inc); registry.cc and tests
// only. Each is defined in the file of its ISA.
#pragma once

#include "kernels/common/isa_list.h"
#include "kernels/lutgemm/lutgemm.h"

namespace lutra::kernels::lutgemm {

#define LUTRA_LUTGEMM(name, ...) LUTRA_DECLARE_KERNEL(GemmFn, name)
#include "kernels/lutgemm/kernels.inc"

}  // namespace lutra::kernels::lutgemm
