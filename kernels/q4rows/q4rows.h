// q4rows: GGUF Q4_0 matrices repacked for byte dot products with rows interleaved, so one
// AArch64 `sdot vd.4s, vn.16b, vm.4b[lane]` multiplies four rows by four activations, at the
// file's 4.5 bits per weight (the lookup kernels' Q4_0 repack keeps fp32 scales: 5 bits).
//
// Q4_0 (the source): per row, k / 32 blocks of 18 bytes, an fp16 d then 16 bytes qs; weight j
// of the block is d·(q_j − 8) with q_j = qs[j] & 15 and q_j+16 = qs[j] >> 4.
//
// Packed layout (the same for every ISA; Pack below writes it once at load): rows in groups of
// kRows = 4, the last group padded with rows of d = 0. Group g is one run of
// (k / 32)·kGroupBlockBytes bytes at data + g·GroupBytes(k):
//   scales  (k / 32)·4 fp16: block b, row j at [b·4 + j] (the file's d, bit for bit)
//   codes   (k / 32)·64 bytes: block b at 64·b; byte 16·i + 4·j + e (i, e < 4) holds row j's
//           weight 4i + e in its low nibble and weight 16 + 4i + e in its high nibble, each as
//           the 4-bit two's complement of q − 8 (q ^ 8).
// So a byte shifted left by 4 (low nibble) or masked with 0xF0 (high nibble) is 16·(q − 8) as
// an int8, exactly, with no subtract of 8: one instruction per 16 sdot operand bytes, and the
// 16 register bytes 16·i..16·i+15 are rows 0..3 × 4 consecutive k, the sdot operand for
// activations 4i..4i+3 (low) and 16 + 4i..16 + 4i + 3 (high). Bytes per weight: 72 / 128 =
// 0.5625, the file's.
//
// Activations of token t, per span of kSpan = 256 values x (the last span of a row may be
// shorter, k being a multiple of 32 only): amax = max |x|, s = amax / 127,
// a = round(x / s) ∈ [−127, 127] (all zero when amax = 0). One scale per 256 rather than per
// 32 (Q8_0's) takes the activation scale out of the per-block float work: per block and group
// the kernels do scvtf and one fmla with the fp16-converted d (the ARM cycle model put a per-32
// scale's extra fmul at +1 cycle per 256 weights on the A76, over its 1.2× target); the error
// bound is still the activations' rounding, |x − s·a| ≤ s/2 per value. Then, with exact integer
// block dots D = Σ (q − 8)·a (|D| ≤ 32·8·127 < 2^13),
//   y[t, r] = Σ_span s_span·(Σ_b∈span d_b·D_b)
// with the inner sum in fp32 (each d·D rounds once: fmla) and the outer sum in fp32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "arch/isa.h"

namespace lutra::kernels::q4rows {

inline constexpr size_t kRows = 4;    // rows per group
inline constexpr size_t kBlock = 32;  // weights per Q4_0 block
inline constexpr size_t kSpan = 256;  // activations per activation scale
inline constexpr size_t kQ4_0BlockBytes = 18;
inline constexpr size_t kGroupBlockBytes = kRows * 2 + kRows * kBlock / 2;  // 72

inline constexpr size_t Groups(size_t m) {
  return (m + kRows - 1) / kRows;
}
inline constexpr size_t GroupBytes(size_t k) {
  return k / kBlock * kGroupBlockBytes;
}
inline constexpr size_t PackedBytes(size_t m, size_t k) {
  return Groups(m) * GroupBytes(k);
}
inline constexpr size_t Spans(size_t k) {
  return (k + kSpan - 1) / kSpan;
}

struct Weights {
  size_t m = 0, k = 0;            // k a multiple of kBlock
  const uint8_t* data = nullptr;  // PackedBytes(m, k), any alignment
};

// n tokens' activations, quantized by Quantize below.
struct Activations {
  size_t k = 0, n = 0;
  const int8_t* q = nullptr;     // n·k
  const float* scale = nullptr;  // n·Spans(k)
};

// Repacks m rows of k / kBlock Q4_0 blocks each (row-major, as the file stores them) into
// PackedBytes(m, k) bytes of the layout above. Unpack is its inverse (the padding rows dropped).
void Pack(size_t m, size_t k, const uint8_t* q4_0, uint8_t* packed);
void Unpack(size_t m, size_t k, const uint8_t* packed, uint8_t* q4_0);

// Quantizes one token's k activations (k a multiple of kBlock) as described above: k codes and
// Spans(k) scales. Non-finite inputs give non-finite scales (codes 0), so they reach the outputs.
void Quantize(size_t k, const float* x, int8_t* q, float* scale);

// y[t·y_stride + r] for rows [row_begin, row_end) and every token of `a`. row_begin is a
// multiple of kRows; row_end too, or m.
using GemmFn = void (*)(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y, size_t y_stride);

struct Kernels {
  // lutra_q4rows_gemm_r<rows>t<tokens>__<level>: rows = rows sharing each activation load on
  // one token, tokens = tokens sharing each weight load.
  const char* name;
  arch::IsaSet isa;
  uint32_t rows, tokens;
  GemmFn gemm;
};

// Every variant, best first (scalar last).
std::span<const Kernels> AllKernels();
// The best variant for `features` (never null: scalar).
const Kernels* Select(arch::IsaSet features);

}  // namespace lutra::kernels::q4rows
