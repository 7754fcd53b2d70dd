// Declarations of every kquant variant, from the list (kernels.inc); each is defined in the
// file of its ISA.
#pragma once

#include "kernels/common/isa_list.h"
#include "kernels/kquant/kquant.h"

namespace lutra::kernels::kquant {

#define LUTRA_KQUANT(name, ...) LUTRA_DECLARE_KERNEL(GemmFn, name)
#include "kernels/kquant/kernels.inc"

LUTRA_DECLARE_KERNEL(QuantizeFn, quantize__avx512)
LUTRA_DECLARE_KERNEL(QuantizeFn, quantize__avx2)

}  // namespace lutra::kernels::kquant
