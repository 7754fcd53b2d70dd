// Declarations of every packw variant, from the list (kernels.inc); registry.cc and tests only.
#pragma once

#include "kernels/common/isa_list.h"
#include "kernels/packw/packw.h"

namespace lutra::kernels::packw {

#define LUTRA_PACKW_PACK(name, ...) LUTRA_DECLARE_KERNEL(PackFn, name)
#define LUTRA_PACKW_UNPACK(name, ...) LUTRA_DECLARE_KERNEL(UnpackFn, name)
#include "kernels/packw/kernels.inc"

}  // namespace lutra::kernels::packw
