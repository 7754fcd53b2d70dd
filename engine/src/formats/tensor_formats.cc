#include "engine/src/formats/tensor_formats.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "engine/src/formats/iquant_formats.h"
#include "engine/src/formats/kquant_formats.h"
#include "kernels/f16/convert.h"

namespace lutra::engine::formats {
namespace {

using gguf::TensorType;

uint16_t Load16(const uint8_t* p) {
  return uint16_t(p[0] | (p[1] << 8));
}

// Digit n (0..4) of a TQ1_0 byte: the byte stores ⌈digits·256/243⌉ so that multiplying by 3^n
// (mod 256) brings digit n to the top, and ·3 >> 8 reads it.
uint8_t Trit(uint8_t v, int n) {
  static constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
  const uint8_t shifted = uint8_t(v * kPow3[n]);
  return uint8_t((uint16_t(shifted) * 3) >> 8);
}

void Tq1Codes(const uint8_t* b, uint8_t* q) {
  const uint8_t* qs = b;
  const uint8_t* qh = b + 48;
  for (int n = 0; n < 5; ++n) {
    for (int m = 0; m < 32; ++m) *q++ = Trit(qs[m], n);
  }
  for (int n = 0; n < 5; ++n) {
    for (int m = 0; m < 16; ++m) *q++ = Trit(qs[32 + m], n);
  }
  for (int n = 0; n < 4; ++n) {
    for (int m = 0; m < 4; ++m) *q++ = Trit(qh[m], n);
  }
}

void Tq2Codes(const uint8_t* b, uint8_t* q) {
  for (int h = 0; h < 2; ++h) {
    for (int l = 0; l < 4; ++l) {
      for (int i = 0; i < 32; ++i) *q++ = uint8_t((b[32 * h + i] >> (2 * l)) & 3);
    }
  }
}

}  // namespace

void I2SCodes(const uint8_t* src, size_t blocks, uint8_t* codes) {
  for (size_t b = 0; b < blocks; ++b, src += 32, codes += 128) {
    for (int g = 0; g < 4; ++g) {
      for (int j = 0; j < 32; ++j) codes[32 * g + j] = uint8_t((src[j] >> (6 - 2 * g)) & 3);
    }
  }
}

float I2SScale(const uint8_t* tensor, size_t n) {
  float s;
  std::memcpy(&s, tensor + n / 4, 4);
  return s;
}

float HalfBitsToFloat(uint16_t h) {
  return kernels::f16::HalfToFloat(h);
}

float Bf16BitsToFloat(uint16_t h) {
  const uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

BlockFormat FormatOf(TensorType type) {
  switch (type) {
    case TensorType::F32:
      return {1, 4};
    case TensorType::F16:
      return {1, 2};
    case TensorType::BF16:
      return {1, 2};
    case TensorType::Q8_0:
      return {32, 34};
    case TensorType::Q4_0:
      return {32, 18};
    case TensorType::TQ1_0:
      return {256, 54};
    case TensorType::TQ2_0:
      return {256, 66};
    case TensorType::I2_S:
      return {128, 32, 32};
    default: {
      if (const IQuantFormat i = IQuantFormatOf(type); i.weights != 0) return {i.weights, i.bytes};
      const KQuantFormat k = KQuantFormatOf(type);
      return {k.weights, k.bytes};
    }
  }
}

void Q4_0Codes(const uint8_t* src, size_t blocks, uint8_t* codes, float* scales) {
  for (size_t b = 0; b < blocks; ++b, src += 18, codes += 32) {
    scales[b] = HalfBitsToFloat(Load16(src));
    for (int j = 0; j < 16; ++j) {
      codes[j] = src[2 + j] & 15;
      codes[j + 16] = src[2 + j] >> 4;
    }
  }
}

void TernaryCodes(TensorType type, const uint8_t* src, size_t blocks, uint8_t* codes,
                  float* scales) {
  if (type == TensorType::I2_S) {
    I2SCodes(src, blocks, codes);
    std::fill(scales, scales + blocks, I2SScale(src, blocks * 128));
    return;
  }
  const bool tq1 = type == TensorType::TQ1_0;
  const size_t bytes = tq1 ? 54 : 66;
  for (size_t b = 0; b < blocks; ++b, src += bytes, codes += 256) {
    scales[b] = HalfBitsToFloat(Load16(src + bytes - 2));
    if (tq1) {
      Tq1Codes(src, codes);
    } else {
      Tq2Codes(src, codes);
    }
  }
}

void DecodeBlocks(TensorType type, const uint8_t* src, size_t blocks, float* out) {
  switch (type) {
    case TensorType::F32:
      std::memcpy(out, src, blocks * 4);
      return;
    case TensorType::F16:
      for (size_t i = 0; i < blocks; ++i) out[i] = HalfBitsToFloat(Load16(src + 2 * i));
      return;
    case TensorType::BF16:
      for (size_t i = 0; i < blocks; ++i) out[i] = Bf16BitsToFloat(Load16(src + 2 * i));
      return;
    case TensorType::Q8_0:
      for (size_t b = 0; b < blocks; ++b, src += 34, out += 32) {
        const float d = HalfBitsToFloat(Load16(src));
        for (int j = 0; j < 32; ++j) out[j] = d * float(int8_t(src[2 + j]));
      }
      return;
    case TensorType::Q4_0: {
      uint8_t q[32];
      float d;
      for (size_t b = 0; b < blocks; ++b, src += 18, out += 32) {
        Q4_0Codes(src, 1, q, &d);
        for (int j = 0; j < 32; ++j) out[j] = d * float(int(q[j]) - 8);
      }
      return;
    }
    case TensorType::TQ1_0:
    case TensorType::TQ2_0: {
      const size_t bytes = FormatOf(type).bytes;
      uint8_t q[256];
      float d;
      for (size_t b = 0; b < blocks; ++b, src += bytes, out += 256) {
        TernaryCodes(type, src, 1, q, &d);
        for (int j = 0; j < 256; ++j) out[j] = d * float(int(q[j]) - 1);
      }
      return;
    }
    case TensorType::I2_S: {
      const float s = I2SScale(src, blocks * 128);
      std::vector<uint8_t> q(blocks * 128);
      I2SCodes(src, blocks, q.data());
      for (size_t i = 0; i < q.size(); ++i) out[i] = s * float(int(q[i]) - 1);
      return;
    }
    default:
      if (IQuantFormatOf(type).weights != 0) {
        DecodeIQuantBlocks(type, src, blocks, out);
        return;
      }
      DecodeKQuantBlocks(type, src, blocks, out);  // nothing for types FormatOf refuses
      return;
  }
}

}  // namespace lutra::engine::formats
