// peak: register-only int8 dot-product loops at each ISA's int8 instruction, the compute
// ceiling prefill is measured against (lutra-bench's int8 roofline column, bench/kernels). The
// engine never calls them: they tell how far the GEMM kernels are from what the core can do.
//
// Contract: a[64] int8 in [−127, 127], b[64] int8 in [0, 127] (so unsigned×signed and
// signed×signed instructions agree, and the int16 pair sums of the AVX2/NEON forms cannot
// saturate). One call runs `iterations` iterations; each multiplies and accumulates `unroll`
// byte pairs (the descriptor's unroll: MACs per iteration, a multiple of 64) in independent
// accumulator chains, every 64 consecutive pairs being a[0..63]·b[0..63]. It returns the sum
// of all accumulator lanes: iterations·(unroll/64)·Σ a[i]·b[i], exact while each int32 lane
// stays below 2^31 (iterations·4·127² < 2^31 is always safe: iterations < 33 000; the
// benchmark uses a = b = 1 for long runs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "arch/isa.h"
#include "kernels/common/kernel.h"

namespace lutra::kernels::peak {

using Int8DotFn = int64_t (*)(const int8_t* a, const int8_t* b, uint64_t iterations);

// lutra_peak_dot_i8_u<MACs per iteration>__<level>, best first, scalar last.
std::span<const Kernel<Int8DotFn>> Int8DotKernels();
// The best for `features` (never null).
const Kernel<Int8DotFn>* SelectInt8Dot(arch::IsaSet features);

}  // namespace lutra::kernels::peak
