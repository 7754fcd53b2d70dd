// ggml block formats the runtime reads, decoded on the CPU: F32, F16, BF16, Q8_0, Q4_0,
// TQ1_0, TQ2_0 here, the other legacy formats, the k-quants and IQ4_NL / IQ4_XS in
// kquant_formats.h, the lattice i-quants (IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M)
// in iquant_formats.h. Layouts
// (little-endian, one block after another along a row):
//   Q8_0  32 weights, 34 bytes: fp16 d, int8 q[32];            w = d·q
//   Q4_0  32 weights, 18 bytes: fp16 d, uint8 qs[16];           w = d·(q − 8), weight j in
//         the low nibble of qs[j] (j < 16), weight j + 16 in its high nibble
//   TQ2_0 256 weights, 66 bytes: uint8 qs[64], fp16 d;          w = d·(q − 1), q ∈ {0, 1, 2}:
//         weight 128·h + 32·l + i is bits 2l..2l+1 of qs[32·h + i]
//   TQ1_0 256 weights, 54 bytes: uint8 qs[48], uint8 qh[4], fp16 d; base-3 digits packed 5
//         per byte (4 per qh byte) as ⌈v·256/3^n⌉: digit n of byte v is ((v·3^n mod 256)·3) >> 8;
//         weight order: qs[0..32) digits 0..4 (32 weights per digit), qs[32..48) digits
//         0..4 (16 per digit), qh[0..4) digits 0..3 (4 per digit)
//   I2_S  (bitnet.cpp) 128 weights, 32 bytes: byte j holds weights j, 32 + j, 64 + j, 96 + j
//         in bits 7..6, 5..4, 3..2, 1..0; w = s·(q − 1), q ∈ {0, 1, 2}; after the last
//         block a 32-byte tail whose first 4 bytes are the tensor's one fp32 scale s. (This is
//         the layout bitnet.cpp's x86 build and its Python converter write, and what the
//         published files hold; its ARM build quantizes with 64-weight blocks of 16 bytes
//         instead, which has the same size and cannot be told apart from the bytes.)
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/src/gguf/types.h"

namespace lutra::engine::formats {

// The readable types, for error messages.
inline constexpr const char* kReadableTypes =
    "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, "
    "TQ1_0, TQ2_0, I2_S, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M";

// Weights per block and bytes per block of a loadable type (plain types: 1 and their size);
// {0, 0} for types the runtime cannot decode.
struct BlockFormat {
  uint32_t weights = 0;
  uint32_t bytes = 0;
  uint32_t tail = 0;  // bytes after the last block, once per tensor (I2_S: its scale)
};
BlockFormat FormatOf(gguf::TensorType type);

// Decodes `blocks` consecutive blocks (weights = blocks · FormatOf(type).weights) to fp32.
// I2_S: src and blocks must be the whole tensor (its scale follows the last block).
void DecodeBlocks(gguf::TensorType type, const uint8_t* src, size_t blocks, float* out);

// The quantized codes and scales of the low-bit formats, as the LUT packer takes them.
// Q4_0: codes 0..15, one scale per 32 weights (zero point 8).
void Q4_0Codes(const uint8_t* src, size_t blocks, uint8_t* codes, float* scales);
// TQ1_0 / TQ2_0 / I2_S: codes q = w/d + 1 ∈ {0, 1, 2} (I2_S: 3 is possible and invalid), one
// scale per block (256 weights; I2_S 128, all the tensor's one scale: src and blocks must be
// the whole tensor).
void TernaryCodes(gguf::TensorType type, const uint8_t* src, size_t blocks, uint8_t* codes,
                  float* scales);

// I2_S: codes of `blocks` blocks from src; the scale of a tensor of n weights at `tensor`.
void I2SCodes(const uint8_t* src, size_t blocks, uint8_t* codes);
float I2SScale(const uint8_t* tensor, size_t n);

float HalfBitsToFloat(uint16_t h);
float Bf16BitsToFloat(uint16_t h);

}  // namespace lutra::engine::formats
