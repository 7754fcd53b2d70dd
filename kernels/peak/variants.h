// Declarations of every peak kernel variant, from the list (kernels.inc); each is defined in
// the file of its ISA.
#pragma once

#include "kernels/common/isa_list.h"
#include "kernels/peak/peak.h"

namespace lutra::kernels::peak {

#define LUTRA_PEAK_DOT(name, ...) LUTRA_DECLARE_KERNEL(Int8DotFn, name)
#include "kernels/peak/kernels.inc"

}  // namespace lutra::kernels::peak
