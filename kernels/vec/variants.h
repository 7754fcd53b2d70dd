// Declarations of every vec kernel variant, from the list (kernels.inc). Only registry.cc (and
// tests through it) refer to them; each is defined in the file of its ISA.
#pragma once

#include "kernels/common/isa_list.h"
#include "kernels/vec/vec.h"

namespace lutra::kernels::vec {

#define LUTRA_VEC_DOT(name, ...) LUTRA_DECLARE_KERNEL(DotFn, name)
#define LUTRA_VEC_AXPY(name, ...) LUTRA_DECLARE_KERNEL(AxpyFn, name)
#define LUTRA_VEC_SCALE(name, ...) LUTRA_DECLARE_KERNEL(ScaleFn, name)
#define LUTRA_VEC_ADD(name, ...) LUTRA_DECLARE_KERNEL(BinaryFn, name)
#define LUTRA_VEC_MUL(name, ...) LUTRA_DECLARE_KERNEL(BinaryFn, name)
#define LUTRA_VEC_SILU(name, ...) LUTRA_DECLARE_KERNEL(UnaryFn, name)
#include "kernels/vec/kernels.inc"

}  // namespace lutra::kernels::vec
