// softmax2p: softmax in two passes over the data (Dukhan & Ablavatski 2020, DESIGN.md §5).
//
// Pass 1 accumulates Σ exp(z_i) as an extended-range pair (mantissa, power of two), rescaling
// the running sum to the larger exponent, so no max pass is needed and nothing overflows.
// Pass 2 writes exp(z_i) / Σ from the same decomposition. z_i = scale·x_i + mask_i.
//
// Contract for every kernel: n ≥ 1; mask may be nullptr (all zero) and may hold −inf (masked
// positions get exactly 0); y may equal x (in place) but must not partially overlap it; a NaN
// in x propagates to every output; never reads or writes outside [0, n).
#pragma once

#include <cstddef>
#include <span>

#include "arch/isa.h"
#include "kernels/common/kernel.h"

namespace lutra::kernels::softmax2p {

// y = softmax(scale·x + mask)
using SoftmaxFn = void (*)(size_t n, const float* x, const float* mask, float scale, float* y);

// Two-pass variants, best first, scalar last.
std::span<const Kernel<SoftmaxFn>> TwoPassKernels();
// Classic three-pass variants (max, Σexp, normalise), same contract: the benchmark baseline.
std::span<const Kernel<SoftmaxFn>> ThreePassKernels();
// Three passes with the exponentials stored: max, y = exp(z − max) while summing, y /= Σ.
// One exponential per element against the two-pass kernels' two, but y is read and written
// once more: the faster form for rows that stay in cache (attention scores), the slower one
// for rows streamed from memory. Same contract.
std::span<const Kernel<SoftmaxFn>> StoredThreePassKernels();

// The best two-pass kernel for `features` (never null).
const Kernel<SoftmaxFn>* Select(arch::IsaSet features);
// The best stored three-pass kernel for `features` (never null).
const Kernel<SoftmaxFn>* SelectForCachedRows(arch::IsaSet features);

}  // namespace lutra::kernels::softmax2p
