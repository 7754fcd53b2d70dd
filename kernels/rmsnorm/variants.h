// Declarations of every rmsnorm kernel variant, from the list (kernels.inc); each is defined in
// the file of its ISA.
#pragma once

#include "kernels/common/isa_list.h"
#include "kernels/rmsnorm/rmsnorm.h"

namespace lutra::kernels::rmsnorm {

#define LUTRA_RMSNORM(name, ...) LUTRA_DECLARE_KERNEL(RmsNormFn, name)
#include "kernels/rmsnorm/kernels.inc"

}  // namespace lutra::kernels::rmsnorm
