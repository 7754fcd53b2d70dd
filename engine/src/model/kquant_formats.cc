#include "engine/src/model/kquant_formats.h"

#include <cstring>

#include "kernels/f16/convert.h"

namespace lutra::engine::model {
namespace {

using gguf::TensorType;

float Half(const uint8_t* p) {
  return kernels::f16::HalfToFloat(uint16_t(p[0] | (p[1] << 8)));
}

// The 6-bit scale and min of Q4_K / Q5_K sub-block j (0..7) from the 12 packed bytes.
void ScaleMin(const uint8_t* sc, int j, int* scale, int* min) {
  if (j < 4) {
    *scale = sc[j] & 63;
    *min = sc[j + 4] & 63;
  } else {
    *scale = (sc[j + 4] & 15) | ((sc[j - 4] >> 6) << 4);
    *min = (sc[j + 4] >> 4) | ((sc[j] >> 6) << 4);
  }
}

// The 6-bit scale of Q3_K sub-block j (0..15), still offset by 32.
int Q3Scale(const uint8_t* sc, int j) {
  const int low = (sc[j % 8] >> (4 * (j / 8))) & 15;
  const int high = (sc[8 + j % 4] >> (2 * (j / 4))) & 3;
  return low | (high << 4);
}

// Q4_1 / Q5_0 / Q5_1: 32 weights; `qh` null for Q4_1.
void DecodeLegacy(const uint8_t* qs, const uint8_t* qh, float d, float m, int offset, float* out) {
  uint32_t high = 0;
  if (qh != nullptr) std::memcpy(&high, qh, 4);
  for (int j = 0; j < 16; ++j) {
    const int q0 = (qs[j] & 15) | int((high >> j) & 1) << 4;
    const int q1 = (qs[j] >> 4) | int((high >> (j + 16)) & 1) << 4;
    out[j] = d * float(q0 - offset) + m;
    out[j + 16] = d * float(q1 - offset) + m;
  }
}

void DecodeQ2K(const uint8_t* b, float* out) {
  const uint8_t* sc = b;
  const float d = Half(b + 80), dmin = Half(b + 82);
  for (int h = 0; h < 2; ++h) {
    const uint8_t* qs = b + 16 + 32 * h;
    for (int s = 0; s < 4; ++s) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t v = sc[8 * h + 2 * s + l / 16];
        const int q = (qs[l] >> (2 * s)) & 3;
        *out++ = d * float(v & 15) * float(q) - dmin * float(v >> 4);
      }
    }
  }
}

void DecodeQ3K(const uint8_t* b, float* out) {
  const uint8_t* hmask = b;
  const uint8_t* sc = b + 96;
  const float d = Half(b + 108);
  for (int h = 0; h < 2; ++h) {
    const uint8_t* qs = b + 32 + 32 * h;
    for (int s = 0; s < 4; ++s) {
      for (int l = 0; l < 32; ++l) {
        const int scale = Q3Scale(sc, 8 * h + 2 * s + l / 16) - 32;
        const int low = (qs[l] >> (2 * s)) & 3;
        const bool high = (hmask[l] >> (4 * h + s)) & 1;
        *out++ = d * float(scale) * float(low - (high ? 0 : 4));
      }
    }
  }
}

// Q4_K (qh null) and Q5_K.
void DecodeQ45K(const uint8_t* b, const uint8_t* qh, const uint8_t* qs, float* out) {
  const float d = Half(b), dmin = Half(b + 2);
  for (int j = 0; j < 8; ++j) {
    int scale, min;
    ScaleMin(b + 4, j, &scale, &min);
    const float ds = d * float(scale), dm = dmin * float(min);
    const uint8_t* q = qs + 32 * (j / 2);
    for (int l = 0; l < 32; ++l) {
      int v = (j % 2 == 0 ? q[l] & 15 : q[l] >> 4);
      if (qh != nullptr) v |= ((qh[l] >> j) & 1) << 4;
      *out++ = ds * float(v) - dm;
    }
  }
}

void DecodeQ6K(const uint8_t* b, float* out) {
  const auto* sc = reinterpret_cast<const int8_t*>(b + 192);
  const float d = Half(b + 208);
  for (int h = 0; h < 2; ++h) {
    const uint8_t* ql = b + 64 * h;
    const uint8_t* qh = b + 128 + 32 * h;
    for (int s = 0; s < 4; ++s) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t lowbyte = ql[l + 32 * (s & 1)];
        const int low = s < 2 ? lowbyte & 15 : lowbyte >> 4;
        const int q = low | (((qh[l] >> (2 * s)) & 3) << 4);
        *out++ = d * float(sc[8 * h + 2 * s + l / 16]) * float(q - 32);
      }
    }
  }
}

}  // namespace

KQuantFormat KQuantFormatOf(TensorType type) {
  switch (type) {
    case TensorType::Q4_1:
      return {32, 20, {0, 2}};
    case TensorType::Q5_0:
      return {32, 22, {0, SIZE_MAX}};
    case TensorType::Q5_1:
      return {32, 24, {0, 2}};
    case TensorType::Q2_K:
      return {256, 84, {80, 82}};
    case TensorType::Q3_K:
      return {256, 110, {108, SIZE_MAX}};
    case TensorType::Q4_K:
      return {256, 144, {0, 2}};
    case TensorType::Q5_K:
      return {256, 176, {0, 2}};
    case TensorType::Q6_K:
      return {256, 210, {208, SIZE_MAX}};
    default:
      return {};
  }
}

void DecodeKQuantBlocks(TensorType type, const uint8_t* src, size_t blocks, float* out) {
  const KQuantFormat f = KQuantFormatOf(type);
  for (size_t i = 0; i < blocks; ++i, src += f.bytes, out += f.weights) {
    switch (type) {
      case TensorType::Q4_1:
        DecodeLegacy(src + 4, nullptr, Half(src), Half(src + 2), 0, out);
        break;
      case TensorType::Q5_0:
        DecodeLegacy(src + 6, src + 2, Half(src), 0.0f, 16, out);
        break;
      case TensorType::Q5_1:
        DecodeLegacy(src + 8, src + 4, Half(src), Half(src + 2), 0, out);
        break;
      case TensorType::Q2_K:
        DecodeQ2K(src, out);
        break;
      case TensorType::Q3_K:
        DecodeQ3K(src, out);
        break;
      case TensorType::Q4_K:
        DecodeQ45K(src, nullptr, src + 16, out);
        break;
      case TensorType::Q5_K:
        DecodeQ45K(src, src + 16, src + 48, out);
        break;
      case TensorType::Q6_K:
        DecodeQ6K(src, out);
        break;
      default:
        return;  // callers check KQuantFormatOf first
    }
  }
}

void Q4_KCodes(const uint8_t* src, size_t blocks, uint8_t* codes, float* scales, float* mins) {
  for (size_t i = 0; i < blocks; ++i, src += 144) {
    const float d = Half(src), dmin = Half(src + 2);
    for (int j = 0; j < 8; ++j) {
      int scale, min;
      ScaleMin(src + 4, j, &scale, &min);
      *scales++ = d * float(scale);
      *mins++ = dmin * float(min);
      const uint8_t* q = src + 16 + 32 * (j / 2);
      for (int l = 0; l < 32; ++l) *codes++ = uint8_t(j % 2 == 0 ? q[l] & 15 : q[l] >> 4);
    }
  }
}

void Q4_1Codes(const uint8_t* src, size_t blocks, uint8_t* codes, float* scales, float* mins) {
  for (size_t i = 0; i < blocks; ++i, src += 20, codes += 32) {
    scales[i] = Half(src);
    mins[i] = -Half(src + 2);
    for (int j = 0; j < 16; ++j) {
      codes[j] = src[4 + j] & 15;
      codes[j + 16] = src[4 + j] >> 4;
    }
  }
}

}  // namespace lutra::engine::model
