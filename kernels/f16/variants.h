// Declarations of every f16 kernel variant, from the list (kernels.inc); each is defined in the
// file of its ISA.
#pragma once

#include "kernels/common/isa_list.h"
#include "kernels/f16/f16.h"

namespace lutra::kernels::f16 {

#define LUTRA_F16_TOF32(name, ...) LUTRA_DECLARE_KERNEL(ToF32Fn, name)
#define LUTRA_F16_FROMF32(name, ...) LUTRA_DECLARE_KERNEL(FromF32Fn, name)
#define LUTRA_F16_DOT(name, ...) LUTRA_DECLARE_KERNEL(DotFn, name)
#define LUTRA_F16_AXPY(name, ...) LUTRA_DECLARE_KERNEL(AxpyFn, name)
#include "kernels/f16/kernels.inc"

}  // namespace lutra::kernels::f16
