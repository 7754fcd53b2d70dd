// Declarations of every vec kernel variant, from the list (kernels.inc). Only registry.cc (and
// tests through it) refer to them; each is defined in the file of its ISA.
#pragma once

#include "kernels/common/isa_list.h"
#include "kernels/vec/vec.h"

namespace lutra::kernels::vec {

// GELU (tanh approximation) as x·σ(z) with z = x·(kGeluA + kGeluB·x²): kGeluA = 2·√(2/π),
// kGeluB = 2·√(2/π)·0.044715.
inline constexpr float kGeluA = 1.5957691216057308f;
inline constexpr float kGeluB = 0.07135481627260025f;
// Below this |t|, tanh(t) is its odd Taylor polynomial to t⁹ (truncation ≤ 9e-9 relative);
// above it, (1 − e)/(1 + e) with e = exp(−2|t|) ≤ 0.61 loses no accuracy to the subtraction.
inline constexpr float kTanhSeriesBelow = 0.25f;
inline constexpr float kTanhC3 = -1.0f / 3, kTanhC5 = 2.0f / 15, kTanhC7 = -17.0f / 315,
                       kTanhC9 = 62.0f / 2835;

#define LUTRA_VEC_DOT(name, ...) LUTRA_DECLARE_KERNEL(DotFn, name)
#define LUTRA_VEC_AXPY(name, ...) LUTRA_DECLARE_KERNEL(AxpyFn, name)
#define LUTRA_VEC_SCALE(name, ...) LUTRA_DECLARE_KERNEL(ScaleFn, name)
#define LUTRA_VEC_ADD(name, ...) LUTRA_DECLARE_KERNEL(BinaryFn, name)
#define LUTRA_VEC_MUL(name, ...) LUTRA_DECLARE_KERNEL(BinaryFn, name)
#define LUTRA_VEC_SILU(name, ...) LUTRA_DECLARE_KERNEL(UnaryFn, name)
#define LUTRA_VEC_GELU(name, ...) LUTRA_DECLARE_KERNEL(UnaryFn, name)
#define LUTRA_VEC_SOFTCAP(name, ...) LUTRA_DECLARE_KERNEL(SoftcapFn, name)
#include "kernels/vec/kernels.inc"

}  // namespace lutra::kernels::vec
