// f16: IEEE binary16 storage for the KV cache. fp16 <-> fp32 conversion of a row, and the two
// operations attention needs straight from fp16 rows (no converted copy): dot with an fp32
// vector (Q·K) and y += a·row (P·V).
//
// Contract for every kernel: n may be 0 or any size; pointers need only element alignment;
// kernels never read or write outside [0, n). Conversion to fp16 rounds to nearest even,
// overflows to ±inf, keeps denormals; NaN stays NaN (quieted) with its sign.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "arch/isa.h"
#include "kernels/common/kernel.h"

namespace lutra::kernels::f16 {

using ToF32Fn = void (*)(size_t n, const uint16_t* x, float* y);          // y = float(x)
using FromF32Fn = void (*)(size_t n, const float* x, uint16_t* y);        // y = half(x)
using DotFn = float (*)(size_t n, const uint16_t* x, const float* y);     // Σ float(x)·y
using AxpyFn = void (*)(size_t n, float a, const uint16_t* x, float* y);  // y += a·float(x)

// Registries, best first; the last entry of each is the scalar kernel, which runs anywhere.
std::span<const Kernel<ToF32Fn>> ToF32Kernels();
std::span<const Kernel<FromF32Fn>> FromF32Kernels();
std::span<const Kernel<DotFn>> DotKernels();
std::span<const Kernel<AxpyFn>> AxpyKernels();

struct F16Ops {
  const Kernel<ToF32Fn>* to_f32;
  const Kernel<FromF32Fn>* from_f32;
  const Kernel<DotFn>* dot;
  const Kernel<AxpyFn>* axpy;
};
F16Ops Select(arch::IsaSet features);

}  // namespace lutra::kernels::f16
