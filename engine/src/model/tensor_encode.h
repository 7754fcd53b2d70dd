// Encoders from fp32 into the ggml block formats that tensor_formats.h decodes (layouts are
// described there). Used by the synthetic model generator and the converter. Rounding:
//   F16 / BF16  round to nearest even (F16 keeps subnormals, overflows to ±inf)
//   Q8_0        d = amax/127, q = round(x/d)                      error ≤ d/2 (+ fp16 of d)
//   Q4_0        d = −m/8 where m is the signed value of largest magnitude (so m maps to q = 0
//               exactly), q = clamp(round(x/d) + 8, 0, 15)        error ≤ |d|/2
//   TQ1_0/TQ2_0 d = amax over 256 weights, q = round(x/d) + 1 ∈ {0, 1, 2}
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/src/gguf/types.h"

namespace lutra::engine::model {

// Bytes `n` weights take in `type`; 0 if the type has no encoder or n is not a whole number
// of blocks.
size_t EncodedBytes(gguf::TensorType type, size_t n);

// Encodes n weights (EncodedBytes(type, n) must be non-zero) into dst. Returns false (writing
// nothing) for an unsupported type or a partial block.
bool EncodeWeights(gguf::TensorType type, const float* src, size_t n, uint8_t* dst);

uint16_t FloatToHalfBits(float f);
uint16_t FloatToBf16Bits(float f);

}  // namespace lutra::engine::model
