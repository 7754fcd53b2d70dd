// Declarations of every attn kernel variant, from the list (kernels.inc); each is defined in
// the file of its ISA.
#pragma once

#include "kernels/attn/attn.h"
#include "kernels/common/isa_list.h"

namespace lutra::kernels::attn {

#define LUTRA_ATTN_QK_F16(name, ...) LUTRA_DECLARE_KERNEL(QkF16Fn, name)
#define LUTRA_ATTN_QK_F32(name, ...) LUTRA_DECLARE_KERNEL(QkF32Fn, name)
#define LUTRA_ATTN_PV_F16(name, ...) LUTRA_DECLARE_KERNEL(PvF16Fn, name)
#define LUTRA_ATTN_PV_F32(name, ...) LUTRA_DECLARE_KERNEL(PvF32Fn, name)
#define LUTRA_ATTN_QK_BF16(name, ...) LUTRA_DECLARE_KERNEL(QkBf16Fn, name)
#define LUTRA_ATTN_PV_BF16(name, ...) LUTRA_DECLARE_KERNEL(PvBf16Fn, name)
#include "kernels/attn/kernels.inc"

}  // namespace lutra::kernels::attn
