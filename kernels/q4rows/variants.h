// Declarations of every q4rows variant, from the list (kernels.inc); each is defined in the
// file of its ISA.
#pragma once

#include "kernels/common/isa_list.h"
#include "kernels/q4rows/q4rows.h"

namespace lutra::kernels::q4rows {

#define LUTRA_Q4ROWS(name, ...) LUTRA_DECLARE_KERNEL(GemmFn, name)
#include "kernels/q4rows/kernels.inc"

}  // namespace lutra::kernels::q4rows
