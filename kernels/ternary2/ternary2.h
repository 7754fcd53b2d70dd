// ternary2: ternary weights w ∈ {−1, 0, +1} at 2 bits each, rows interleaved by four so that
// one AArch64 `sdot vd.4s, vn.16b, vm.4b[lane]` multiplies four rows by four int8 activations,
// and each 16 sdot operand bytes cost one instruction to unpack. W1.58·A8, exact: the integer
// sum Σ w·a is exact; the scales are applied in fp32 afterwards.
//
// Scales (Weights below): one fp32 per row (BitNet b1.58, I2_S, ternary-trained TQ1_0/TQ2_0:
// the `uniform` case), or one fp16 per row and block of kBlock = 256 weights (TQ2_0 written by
// llama-quantize from a non-ternary model): 0.25 + 2/256 = 0.2578 bytes per weight, the file's.
//
// Codes (the same for every ISA; Pack below writes them once at load). Rows in groups of
// kRows = 4, the last group padded with rows of code "0" (w = 0) and scale 0. Group g is
// GroupBytes(k) = k bytes at codes + g·k; chunk c (64 weights of every row) is the 64 bytes at
// 64·c, four 16-byte registers s = 0..3. Byte 4·j + e of register s (row j, e < 4) holds four
// 2-bit fields, field f at bits 2f..2f+1 for the weight at k = 64c + 16f + 4s + e:
//   f = 0, 1, 2: w + 1 ∈ {0, 1, 2}     (offset code)
//   f = 3:       w in two's complement (−1 = 0b11, 0 = 0b00, +1 = 0b01)
// So `and` with 0x03, 0x0C, 0x30 gives 4^f·(w + 1) in every byte, and `and` with 0xC0 gives
// 64·w as an int8 ({−64, 0, 64}; the offset code would give 128, which overflows int8): one
// instruction per field, each an sdot operand for the activations a[64c + 16f + 4s .. + 3]
// (lane s of the 16 activations at 64c + 16f). The kernels keep one accumulator per field,
// remove the powers of four exactly with arithmetic shifts (the sums are multiples of them),
// and the offset with the per-token sums of the activations at fields 0..2 (Activations).
//
// Activations of token t: int8 a ∈ [−127, 127] (Quantize: one fp32 scale per token, as the
// exact lookup kernels) and, per block of 256, Σ a over the positions of fields 0..2
// (k % 64 < 48), plus the token's total of those. Then with exact integers
// D_b = Σ_{k ∈ b} w·a (|D_b| ≤ 256·127 < 2^24, exact in fp32):
//   uniform: y[t, r] = (float(Σ_b D_b)·d_r)·s_t
//   blocks:  y[t, r] = (Σ_b d_{r,b}·D_b)·s_t, the inner sum in fp32 (one fma per block)
// The kernels' int32 accumulators hold up to 64·127·k/4: k ≤ 2^20.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "arch/isa.h"

namespace lutra::kernels::ternary2 {

inline constexpr size_t kRows = 4;     // rows per group
inline constexpr size_t kBlock = 256;  // weights per block (k is a multiple)
inline constexpr size_t kChunk = 64;   // weights of a row per 64-byte chunk of a group
inline constexpr size_t kMaxK = size_t{1} << 20;

inline constexpr size_t Groups(size_t m) {
  return (m + kRows - 1) / kRows;
}
inline constexpr size_t Blocks(size_t k) {
  return k / kBlock;
}
inline constexpr size_t GroupBytes(size_t k) {
  return k;  // kRows rows × k weights × 2 bits
}
inline constexpr size_t CodeBytes(size_t m, size_t k) {
  return Groups(m) * GroupBytes(k);
}
// Entries of the padded scale arrays.
inline constexpr size_t RowScaleCount(size_t m) {
  return Groups(m) * kRows;
}
inline constexpr size_t BlockScaleCount(size_t m, size_t k) {
  return Groups(m) * Blocks(k) * kRows;
}

struct Weights {
  size_t m = 0, k = 0;                    // k a multiple of kBlock, at most kMaxK
  const uint8_t* codes = nullptr;         // CodeBytes(m, k), any alignment
  const float* row_scale = nullptr;       // uniform: RowScaleCount(m), row r at [r]
  const uint16_t* block_scale = nullptr;  // else: BlockScaleCount(m, k) fp16, group g, block b,
                                          // row j at [(g·Blocks(k) + b)·4 + j]
};

// n tokens' activations (Quantize, or Sums on int8 activations from elsewhere).
struct Activations {
  size_t k = 0, n = 0;
  const int8_t* q = nullptr;      // n·k, 4-byte aligned (the NEON kernel loads quads)
  const float* scale = nullptr;   // n
  const int32_t* sums = nullptr;  // n·(Blocks(k) + 1): per token, the blocks' field-0..2 sums,
                                  // then their total
};

inline constexpr size_t SumCount(size_t k) {
  return Blocks(k) + 1;
}

// Packs codes q[r·k + c] ∈ {0, 1, 2} (w = q − 1, row-major) into CodeBytes(m, k) bytes of the
// layout above. False (and `codes` partly written) if a code is out of range.
bool Pack(size_t m, size_t k, const uint8_t* q, uint8_t* codes);
// The inverse, for tests: q[m·k] (the padding rows dropped).
void Unpack(size_t m, size_t k, const uint8_t* codes, uint8_t* q);
// Scales into the padded layouts: d[r] → RowScaleCount(m) entries; fp16 d[r·Blocks(k) + b]
// → BlockScaleCount(m, k) entries. Padding rows get 0.
void PackRowScales(size_t m, const float* d, float* out);
void PackBlockScales(size_t m, size_t k, const uint16_t* d, uint16_t* out);

// One token's k activations: q ∈ [−127, 127] with s = max |x| / 127 (round to nearest; all
// zero when max |x| = 0; non-finite inputs give a non-finite scale and codes 0), and sums.
void Quantize(size_t k, const float* x, int8_t* q, float* scale, int32_t* sums);
// The sums of one token's int8 activations: SumCount(k) entries.
void Sums(size_t k, const int8_t* q, int32_t* sums);

// y[t·y_stride + r] for rows [row_begin, row_end) and every token of `a`. row_begin is a
// multiple of kRows; row_end too, or m.
using GemmFn = void (*)(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y, size_t y_stride);

struct Kernels {
  // lutra_ternary2_gemm_r<rows>t<tokens>__<level>: rows sharing each activation load on one
  // token, tokens sharing each weight load and unpack.
  const char* name;
  arch::IsaSet isa;
  uint32_t rows, tokens;
  GemmFn gemm;
};

// Every variant, best first (scalar last).
std::span<const Kernels> AllKernels();
// The best variant for `features` (never null: scalar).
const Kernels* Select(arch::IsaSet features);

}  // namespace lutra::kernels::ternary2
