// llama.cpp's lattice i-quants, decoded to fp32: IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S,
// IQ1_M. Blocks of 256 weights (66, 74, 82, 98, 110, 50 and 56 bytes) whose groups of 8 weights
// are points of a fixed grid, with signs, integer scales per 16 or 32 weights and an fp16 d
// (IQ1_M: spread over the top nibbles of its scale words). The layouts and the arithmetic are
// in kernels/kquant/iq_fields.h, which both the kquant kernels and this decoder use (the
// embeddings and lutra-convert read such tensors through it).
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/src/gguf/types.h"

namespace lutra::engine::formats {

// Weights and bytes per block of an i-quant type; {0, 0} for any other type.
struct IQuantFormat {
  uint32_t weights = 0;
  uint32_t bytes = 0;
};
IQuantFormat IQuantFormatOf(gguf::TensorType type);

// The bits of a block's fp16 d (IQ1_M: gathered from its scale words).
uint16_t IQuantHalfBits(gguf::TensorType type, const uint8_t* block);

// Decodes `blocks` consecutive blocks of an i-quant type to fp32.
void DecodeIQuantBlocks(gguf::TensorType type, const uint8_t* src, size_t blocks, float* out);

}  // namespace lutra::engine::formats
