// Declarations of every ternary2 variant, from the list (kernels.inc); each is defined in the
// file of its ISA.
#pragma once

#include "kernels/common/isa_list.h"
#include "kernels/ternary2/ternary2.h"

namespace lutra::kernels::ternary2 {

#define LUTRA_TERNARY2(name, ...) LUTRA_DECLARE_KERNEL(GemmFn, name)
#include "kernels/ternary2/kernels.inc"

}  // namespace lutra::kernels::ternary2
