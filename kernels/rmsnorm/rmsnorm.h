// rmsnorm: y[i] = x[i] / sqrt(mean(x²) + eps) · weight[i], fp32.
//
// Contract for every kernel: n ≥ 1; weight is required; y may equal x (in place) but must
// not partially overlap it; eps ≥ 0. Never reads or writes outside [0, n).
//
// Range: Σx² never overflows or flushes to zero for finite x. SIMD kernels sum x² in float
// and, only when that sum overflows or falls below n·2^-100, redo it on x·2^∓80 (exact
// power-of-two scaling, undone in double); the scalar kernel sums in double. Results are
// accurate to a few ulp while the root mean square sqrt(mean(x²) + eps) lies in
// [3e-38, 1e37] (so 1/rms is a normal float); x of magnitude 1e-30..1e30 is tested.
#pragma once

#include <cstddef>
#include <span>

#include "arch/isa.h"
#include "kernels/common/kernel.h"

namespace lutra::kernels::rmsnorm {

using RmsNormFn = void (*)(size_t n, const float* x, const float* weight, float eps, float* y);

// Variants, best first, scalar last.
std::span<const Kernel<RmsNormFn>> RmsNormKernels();

// The best kernel for `features` (never null).
const Kernel<RmsNormFn>* Select(arch::IsaSet features);

}  // namespace lutra::kernels::rmsnorm
