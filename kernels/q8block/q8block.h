// q8block: weights of up to 8 bits with a float scale (and optionally a float min) per block of
// 16 or 32 weights, multiplied with activations quantized to int8 per block of the same size.
//
// This is the lossless home of the GGUF formats the lookup kernels cannot take: Q8_0, Q5_0,
// Q5_1, Q5_K, Q6_K, Q3_K and Q2_K all decode exactly to w = scale·q − min with an integer code
// q ∈ [−128, 127] and, per block, an fp32 scale and min (an fp16 times a small integer, exact
// in fp32). One byte per weight plus 4 or 8 bytes per block, where the dense fp32 path would
// spend four bytes per weight.
//
// Layout (the same for every ISA; the engine repacks once at load):
//   q[r·k + c]            int8 code of row r, column c (row-major, k a multiple of the block)
//   scale[r·(k/B) + b]    fp32 scale of row r, block b
//   min[r·(k/B) + b]      fp32 subtracted term, or no array at all (formats without one)
// Activations of token t, per block b of B values x: amax = max |x|, s = amax / 127,
// a = round(x / s) ∈ [−127, 127] (all zero when amax = 0), and the exact fp32 sum Σx for the
// mins. Then
//   y[t, r] = Σ_b scale[r, b]·s[t, b]·Σ_i q[r, b, i]·a[t, b, i]  −  Σ_b min[r, b]·Σx[t, b].
// The integer block dots are exact (|Σ| ≤ 32·128·127 < 2^19); each kernel states where it
// rounds to fp32. The error against exact activations is the activations' quantization,
// |x − s·a| ≤ s/2 per value, which the tests bound.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "arch/isa.h"

namespace lutra::kernels::q8block {

// Block sizes the kernels take.
inline constexpr bool IsBlockSize(size_t b) {
  return b == 16 || b == 32;
}

struct Weights {
  size_t m = 0, k = 0, block = 32;
  const int8_t* q = nullptr;     // m·k
  const float* scale = nullptr;  // m·(k / block)
  const float* min = nullptr;    // m·(k / block), or null
};

// n tokens' activations, quantized by Quantize below.
struct Activations {
  size_t k = 0, block = 32, n = 0;
  const int8_t* q = nullptr;      // n·k
  const float* scale = nullptr;   // n·(k / block)
  const float* sum = nullptr;     // n·(k / block): Σx of the block, before quantization
  const int32_t* qsum = nullptr;  // n·(k / block): Σa of the block (kernels that offset codes)
};

// Quantizes one token's k activations (k a multiple of `block`) as described above; every
// output array holds k / block entries (q holds k). Non-finite inputs give non-finite scales,
// so they propagate to the outputs rather than vanish.
void Quantize(size_t k, size_t block, const float* x, int8_t* q, float* scale, float* sum,
              int32_t* qsum);

// y[t·y_stride + r] for rows [row_begin, row_end) and every token of `a`.
using GemmFn = void (*)(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y, size_t y_stride);

struct Kernels {
  // lutra_q8block_gemm_w8a8_r<rows>__<level>: rows = rows sharing each activation load.
  const char* name;
  arch::IsaSet isa;
  uint32_t rows;
  GemmFn gemm;
};

// Every variant, best first (scalar last).
std::span<const Kernels> AllKernels();
// The best variant for `features` (never null: scalar).
const Kernels* Select(arch::IsaSet features);

}  // namespace lutra::kernels::q8block
