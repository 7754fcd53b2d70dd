// vec: element-wise fp32 vector operations used by the runtime (residual adds, gating,
// attention's dot products and weighted sums).
//
// Contract for every kernel: n may be 0 or any size; pointers need only float alignment;
// kernels never read or write outside [0, n). Outputs may alias inputs exactly (in place),
// never partially.
#pragma once

#include <cstddef>
#include <span>

#include "arch/isa.h"
#include "kernels/common/kernel.h"

namespace lutra::kernels::vec {

using DotFn = float (*)(size_t n, const float* x, const float* y);              // Σ x·y
using AxpyFn = void (*)(size_t n, float a, const float* x, float* y);           // y += a·x
using ScaleFn = void (*)(size_t n, float a, const float* x, float* y);          // y = a·x
using BinaryFn = void (*)(size_t n, const float* a, const float* b, float* y);  // y = a ∘ b
using UnaryFn = void (*)(size_t n, const float* x, float* y);                   // y = f(x)

// Registries, best first; the last entry of each is the scalar kernel, which runs anywhere.
std::span<const Kernel<DotFn>> DotKernels();
std::span<const Kernel<AxpyFn>> AxpyKernels();
std::span<const Kernel<ScaleFn>> ScaleKernels();
std::span<const Kernel<BinaryFn>> AddKernels();
std::span<const Kernel<BinaryFn>> MulKernels();
std::span<const Kernel<UnaryFn>> SiluKernels();  // x·sigmoid(x)

// The chosen kernel of every operation for one feature set.
struct VecOps {
  const Kernel<DotFn>* dot;
  const Kernel<AxpyFn>* axpy;
  const Kernel<ScaleFn>* scale;
  const Kernel<BinaryFn>* add;
  const Kernel<BinaryFn>* mul;
  const Kernel<UnaryFn>* silu;
};
VecOps Select(arch::IsaSet features);

}  // namespace lutra::kernels::vec
