// Encoders from fp32 into the ggml block formats that tensor_formats.h decodes (layouts are
// described there). Used by the synthetic model generator and the converter. Rounding:
//   F16 / BF16  round to nearest even (F16 keeps subnormals, overflows to ±inf)
//   Q8_0        d = amax/127, q = round(x/d)                      error ≤ d/2 (+ fp16 of d)
//   Q4_0        d = −m/8 where m is the signed value of largest magnitude (so m maps to q = 0
//               exactly), q = clamp(round(x/d) + 8, 0, 15)        error ≤ |d|/2
//   TQ1_0/TQ2_0 d = amax over 256 weights, q = round(x/d) + 1 ∈ {0, 1, 2}
//   Q4_K        per 32 weights step = (max − min(0, lo))/15 and lift = −min(0, lo) as 6-bit
//               multiples of d = max step/63 and dmin = max lift/63 (fp16), q ∈ [0, 15]
//   Q6_K        per 16 weights step = −m/32 (m the signed value of largest magnitude) as an
//               int8 multiple of d = max |step|/127, q ∈ [−32, 31]
//   I2_S        one fp32 scale s per tensor, q = clamp(round(x/s), −1, 1) + 1; EncodeWeights
//               takes s = amax over the whole tensor (exact for weights already in
//               {−s, 0, +s}); streamed rows take s from the caller (EncodeI2SBlocks)
// (round to nearest, as Q4_0: the synthetic models and tests need valid blocks, not ggml's
// error-minimizing search). Layouts in tensor_formats.h and kquant_formats.h.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/src/gguf/types.h"

namespace lutra::engine::formats {

// Bytes `n` weights take in `type`; 0 if the type has no encoder or n is not a whole number
// of blocks. I2_S: n is a whole tensor, so its 32-byte tail is included.
size_t EncodedBytes(gguf::TensorType type, size_t n);

// Encodes n weights (EncodedBytes(type, n) must be non-zero) into dst. Returns false (writing
// nothing) for an unsupported type or a partial block. I2_S: src is the whole tensor (its
// scale is the amax of all n weights) and dst receives its blocks and tail.
bool EncodeWeights(gguf::TensorType type, const float* src, size_t n, uint8_t* dst);

// I2_S written a few rows at a time (gguf::Writer::add_tensor_stream): the scale is a property
// of the whole tensor, stored after its last block, so a writer that does not hold the tensor
// chooses it before the first row, codes every row against it with EncodeI2SBlocks (n / 4
// bytes, n a multiple of 128; false, writing nothing, otherwise) and ends the tensor with
// EncodeI2STail (kI2STailBytes: the fp32 scale, then zeros).
inline constexpr size_t kI2STailBytes = 32;
bool EncodeI2SBlocks(const float* src, size_t n, float scale, uint8_t* dst);
void EncodeI2STail(float scale, uint8_t* tail);

uint16_t FloatToHalfBits(float f);
uint16_t FloatToBf16Bits(float f);

}  // namespace lutra::engine::formats
