// Declarations of every q8block variant, from the list (kernels.inc); each is defined in the
// file of its ISA.
#pragma once

#include "kernels/common/isa_list.h"
#include "kernels/q8block/q8block.h"

namespace lutra::kernels::q8block {

#define LUTRA_Q8BLOCK(name, ...) LUTRA_DECLARE_KERNEL(GemmFn, name)
#include "kernels/q8block/kernels.inc"

}  // namespace lutra::kernels::q8block
