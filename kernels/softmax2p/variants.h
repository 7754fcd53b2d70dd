// Declarations of every softmax2p kernel variant, from the list (kernels.inc); each is defined
// in the file of its ISA.
#pragma once

#include "kernels/common/isa_list.h"
#include "kernels/softmax2p/softmax2p.h"

namespace lutra::kernels::softmax2p {

#define LUTRA_SOFTMAX_TWO_PASS(name, ...) LUTRA_DECLARE_KERNEL(SoftmaxFn, name)
#define LUTRA_SOFTMAX_THREE_PASS(name, ...) LUTRA_DECLARE_KERNEL(SoftmaxFn, name)
#define LUTRA_SOFTMAX_STORED_THREE_PASS(name, ...) LUTRA_DECLARE_KERNEL(SoftmaxFn, name)
#include "kernels/softmax2p/kernels.inc"

}  // namespace lutra::kernels::softmax2p
