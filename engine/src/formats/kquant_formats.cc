#include "engine/src/formats/kquant_formats.h"

#include <cstring>

#include "kernels/f16/convert.h"

namespace lutra::engine::formats {
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

// Each format's codes: w = scale·q − min, one scale and min per sub-block of CodeBlock(type)
// weights, written in weight order.
struct CodeSink {
  int8_t* q;
  float* scale;
  float* min;
  void SubBlock(float s, float m) { *scale++ = s, *min++ = m; }
};

// Q4_1 / Q5_0 / Q5_1: 32 weights; `qh` null for Q4_1. The formats add m, the codes subtract.
void LegacyCodes(const uint8_t* qs, const uint8_t* qh, float d, float m, int offset,
                 CodeSink& out) {
  uint32_t high = 0;
  if (qh != nullptr) std::memcpy(&high, qh, 4);
  for (int j = 0; j < 16; ++j) {
    out.q[j] = int8_t(((qs[j] & 15) | int((high >> j) & 1) << 4) - offset);
    out.q[j + 16] = int8_t(((qs[j] >> 4) | int((high >> (j + 16)) & 1) << 4) - offset);
  }
  out.q += 32;
  out.SubBlock(d, -m);
}

void Q8_0Codes(const uint8_t* b, CodeSink& out) {
  std::memcpy(out.q, b + 2, 32);
  out.q += 32;
  out.SubBlock(Half(b), 0.0f);
}

void Q2KCodes(const uint8_t* b, CodeSink& out) {
  const uint8_t* sc = b;
  const float d = Half(b + 80), dmin = Half(b + 82);
  for (int h = 0; h < 2; ++h) {
    const uint8_t* qs = b + 16 + 32 * h;
    for (int s = 0; s < 4; ++s) {
      for (int half = 0; half < 2; ++half) {
        const uint8_t v = sc[8 * h + 2 * s + half];
        out.SubBlock(d * float(v & 15), dmin * float(v >> 4));
        for (int l = 16 * half; l < 16 * half + 16; ++l) *out.q++ = int8_t((qs[l] >> (2 * s)) & 3);
      }
    }
  }
}

void Q3KCodes(const uint8_t* b, CodeSink& out) {
  const uint8_t* hmask = b;
  const uint8_t* sc = b + 96;
  const float d = Half(b + 108);
  for (int h = 0; h < 2; ++h) {
    const uint8_t* qs = b + 32 + 32 * h;
    for (int s = 0; s < 4; ++s) {
      for (int half = 0; half < 2; ++half) {
        out.SubBlock(d * float(Q3Scale(sc, 8 * h + 2 * s + half) - 32), 0.0f);
        for (int l = 16 * half; l < 16 * half + 16; ++l) {
          const int low = (qs[l] >> (2 * s)) & 3;
          const bool high = (hmask[l] >> (4 * h + s)) & 1;
          *out.q++ = int8_t(low - (high ? 0 : 4));
        }
      }
    }
  }
}

// Q4_K (qh null) and Q5_K.
void Q45KCodes(const uint8_t* b, const uint8_t* qh, const uint8_t* qs, CodeSink& out) {
  const float d = Half(b), dmin = Half(b + 2);
  for (int j = 0; j < 8; ++j) {
    int scale, min;
    ScaleMin(b + 4, j, &scale, &min);
    out.SubBlock(d * float(scale), dmin * float(min));
    const uint8_t* q = qs + 32 * (j / 2);
    for (int l = 0; l < 32; ++l) {
      int v = (j % 2 == 0 ? q[l] & 15 : q[l] >> 4);
      if (qh != nullptr) v |= ((qh[l] >> j) & 1) << 4;
      *out.q++ = int8_t(v);
    }
  }
}

void Q6KCodes(const uint8_t* b, CodeSink& out) {
  const auto* sc = reinterpret_cast<const int8_t*>(b + 192);
  const float d = Half(b + 208);
  for (int h = 0; h < 2; ++h) {
    const uint8_t* ql = b + 64 * h;
    const uint8_t* qh = b + 128 + 32 * h;
    for (int s = 0; s < 4; ++s) {
      for (int half = 0; half < 2; ++half) {
        out.SubBlock(d * float(sc[8 * h + 2 * s + half]), 0.0f);
        for (int l = 16 * half; l < 16 * half + 16; ++l) {
          const uint8_t lowbyte = ql[l + 32 * (s & 1)];
          const int low = s < 2 ? lowbyte & 15 : lowbyte >> 4;
          *out.q++ = int8_t((low | (((qh[l] >> (2 * s)) & 3) << 4)) - 32);
        }
      }
    }
  }
}

// IQ4_NL / IQ4_XS: each nibble indexes the 16 values of llama.cpp's kvalues_iq4nl.
constexpr int8_t kIQ4Values[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                   1,    13,   25,  38,  53,  69,  89,  113};

// 32 weights from 16 qs bytes: weight j < 16 the low nibble of byte j, 16 + j its high nibble.
void IQ4Codes32(const uint8_t* qs, float scale, CodeSink& out) {
  for (int j = 0; j < 16; ++j) {
    out.q[j] = kIQ4Values[qs[j] & 15];
    out.q[j + 16] = kIQ4Values[qs[j] >> 4];
  }
  out.q += 32;
  out.SubBlock(scale, 0.0f);
}

void IQ4XSCodes(const uint8_t* b, CodeSink& out) {
  const float d = Half(b);
  const int scales_h = b[2] | (b[3] << 8);
  for (int j = 0; j < 8; ++j) {
    const int ls = ((b[4 + j / 2] >> (4 * (j % 2))) & 15) | (((scales_h >> (2 * j)) & 3) << 4);
    IQ4Codes32(b + 8 + 16 * j, d * float(ls - 32), out);
  }
}

// The block size of Q8_0, which tensor_formats decodes itself.
constexpr uint32_t kQ8_0Bytes = 34;

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
    case TensorType::IQ4_NL:
      return {32, 18, {0, SIZE_MAX}};
    case TensorType::IQ4_XS:
      return {256, 136, {0, SIZE_MAX}};
    default:
      return {};
  }
}

uint32_t CodeBlock(TensorType type) {
  switch (type) {
    case TensorType::Q2_K:
    case TensorType::Q3_K:
    case TensorType::Q6_K:
      return 16;
    case TensorType::Q8_0:
    case TensorType::Q4_1:
    case TensorType::Q5_0:
    case TensorType::Q5_1:
    case TensorType::Q4_K:
    case TensorType::Q5_K:
    case TensorType::IQ4_NL:
    case TensorType::IQ4_XS:
      return 32;
    default:
      return 0;
  }
}

bool CodesHaveMin(TensorType type) {
  return type == TensorType::Q4_1 || type == TensorType::Q5_1 || type == TensorType::Q2_K ||
         type == TensorType::Q4_K || type == TensorType::Q5_K;
}

void DecodeKQuantCodes(TensorType type, const uint8_t* src, size_t blocks, int8_t* codes,
                       float* scales, float* mins) {
  CodeSink out{codes, scales, mins};
  const uint32_t bytes = type == TensorType::Q8_0 ? kQ8_0Bytes : KQuantFormatOf(type).bytes;
  for (size_t i = 0; i < blocks; ++i, src += bytes) {
    switch (type) {
      case TensorType::Q8_0:
        Q8_0Codes(src, out);
        break;
      case TensorType::Q4_1:
        LegacyCodes(src + 4, nullptr, Half(src), Half(src + 2), 0, out);
        break;
      case TensorType::Q5_0:
        LegacyCodes(src + 6, src + 2, Half(src), 0.0f, 16, out);
        break;
      case TensorType::Q5_1:
        LegacyCodes(src + 8, src + 4, Half(src), Half(src + 2), 0, out);
        break;
      case TensorType::Q2_K:
        Q2KCodes(src, out);
        break;
      case TensorType::Q3_K:
        Q3KCodes(src, out);
        break;
      case TensorType::Q4_K:
        Q45KCodes(src, nullptr, src + 16, out);
        break;
      case TensorType::Q5_K:
        Q45KCodes(src, src + 16, src + 48, out);
        break;
      case TensorType::Q6_K:
        Q6KCodes(src, out);
        break;
      case TensorType::IQ4_NL:
        IQ4Codes32(src + 2, Half(src), out);
        break;
      case TensorType::IQ4_XS:
        IQ4XSCodes(src, out);
        break;
      default:
        return;  // callers check CodeBlock first
    }
  }
}

// Through the codes, so the two decodings cannot disagree: scale·q − min is the formats' own
// arithmetic (d·(q − 16) for Q5_0, d·q + m for Q4_1/Q5_1, (d·sc)·q − dmin·m for the k-quants,
// d·v[q] and (d·(ls − 32))·v[q] for IQ4_NL and IQ4_XS, as llama.cpp's dequantizers).
void DecodeKQuantBlocks(TensorType type, const uint8_t* src, size_t blocks, float* out) {
  const KQuantFormat f = KQuantFormatOf(type);
  if (f.weights == 0) return;  // callers check KQuantFormatOf first
  const uint32_t sub = CodeBlock(type);
  int8_t codes[256];
  float scales[16], mins[16];
  for (size_t i = 0; i < blocks; ++i, src += f.bytes) {
    DecodeKQuantCodes(type, src, 1, codes, scales, mins);
    for (uint32_t j = 0; j < f.weights; ++j) {
      *out++ = scales[j / sub] * float(codes[j]) - mins[j / sub];
    }
  }
}

}  // namespace lutra::engine::formats
