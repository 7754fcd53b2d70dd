// The codes and scales of a ternary tensor (TQ1_0, TQ2_0, I2_S) as both ternary repacks take
// them: the lookup path (linear_lut.cc) and the ternary2 rows on ARM (linear_ternary2.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/src/linear/linear.h"

namespace lutra::engine::linear {

// codes[r·cols + c] = w/d + 1 ∈ {0, 1, 2} and one scale per block of the file (TQ1_0 / TQ2_0:
// 256 weights, the block's fp16 d; I2_S: 128, the tensor's scale), decoded on the loading pool.
// InvalidModel naming the tensor, the weight and its offset for a code outside 0..2 (TQ2_0 and
// I2_S have a spare code 3). The source pages are reported consumed once decoded.
Status DecodeTernary(const gguf::TensorInfo& t, const PlanOptions& options,
                     std::vector<uint8_t>* codes, std::vector<float>* block_scale);

// Ternary-trained models (BitNet b1.58) have one absmean scale per tensor, so every block of a
// TQ1_0/TQ2_0 row carries the same fp16 scale, except all-zero blocks, which store 0. When that
// holds for every row, the all-zero blocks take the row's scale with codes 1 (= 0, the same
// weights) and the exact kernels keep one number per row: no scale per block is read or
// multiplied. False (nothing changed) when a row has two different non-zero scales.
bool UniformRowScales(size_t rows, size_t blocks_per_row, std::vector<float>& block_scale,
                      std::vector<uint8_t>& codes);

}  // namespace lutra::engine::linear
