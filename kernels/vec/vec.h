// vec: element-wise fp32 vector operations used by the runtime (residual adds, gating,
// attention's dot products and weighted sums, soft-capping of attention scores and logits).
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
// y = cap·tanh(scale·x / cap) (Gemma's soft-capping of attention scores and logits); cap > 0.
// scale folds a preceding multiplication in (attention's query scale) at no cost.
using SoftcapFn = void (*)(size_t n, float scale, float cap, const float* x, float* y);

// Registries, best first; the last entry of each is the scalar kernel, which runs anywhere.
std::span<const Kernel<DotFn>> DotKernels();
std::span<const Kernel<AxpyFn>> AxpyKernels();
std::span<const Kernel<ScaleFn>> ScaleKernels();
std::span<const Kernel<BinaryFn>> AddKernels();
std::span<const Kernel<BinaryFn>> MulKernels();
std::span<const Kernel<UnaryFn>> SiluKernels();  // x·sigmoid(x)
// GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), computed as the
// identical x·σ(2·√(2/π)·(x + 0.044715·x³)), which neither overflows nor cancels.
std::span<const Kernel<UnaryFn>> GeluKernels();
std::span<const Kernel<SoftcapFn>> SoftcapKernels();

// The chosen kernel of every operation for one feature set.
struct VecOps {
  const Kernel<DotFn>* dot;
  const Kernel<AxpyFn>* axpy;
  const Kernel<ScaleFn>* scale;
  const Kernel<BinaryFn>* add;
  const Kernel<BinaryFn>* mul;
  const Kernel<UnaryFn>* silu;
  const Kernel<UnaryFn>* gelu;
  const Kernel<SoftcapFn>* softcap;
};
VecOps Select(arch::IsaSet features);

}  // namespace lutra::kernels::vec
