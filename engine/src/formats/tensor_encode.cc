#include "engine/src/formats/tensor_encode.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/src/formats/tensor_formats.h"

namespace lutra::engine::formats {

namespace {

using gguf::TensorType;

void PutHalf(uint8_t* p, float v) {
  const uint16_t h = FloatToHalfBits(v);
  p[0] = uint8_t(h & 255);
  p[1] = uint8_t(h >> 8);
}

// std::lround (half away from zero) without the libm call per weight, which was a tenth of
// writing a synthetic 1.1B model. Codes here are small; |v| is capped at 2^20 and NaN gives 0,
// so the int conversion is always defined.
int RoundHalfAway(float v) {
  constexpr float kCap = 1048576.0f;
  if (!(std::fabs(v) <= kCap)) v = std::isnan(v) ? 0.0f : std::copysign(kCap, v);
  const int t = int(v);             // toward zero
  const float frac = v - float(t);  // exact below 2^23
  return t + int(frac >= 0.5f) - int(frac <= -0.5f);
}

// The scale is stored as fp16; quantizing against the stored (rounded) value keeps the codes
// consistent with what the decoder multiplies by.
float StoredHalf(float v) {
  return HalfBitsToFloat(FloatToHalfBits(v));
}

void EncodeQ8_0(const float* x, uint8_t* out) {
  float amax = 0;
  for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
  const float d = StoredHalf(amax / 127.0f), id = d != 0 ? 1.0f / d : 0.0f;
  PutHalf(out, amax / 127.0f);
  for (int i = 0; i < 32; ++i) {
    const int q = std::clamp(RoundHalfAway(x[i] * id), -127, 127);
    out[2 + i] = uint8_t(int8_t(q));
  }
}

void EncodeQ4_0(const float* x, uint8_t* out) {
  float amax = 0, m = 0;
  for (int i = 0; i < 32; ++i) {
    if (std::fabs(x[i]) > amax) amax = std::fabs(x[i]), m = x[i];
  }
  const float d = StoredHalf(m / -8.0f), id = d != 0 ? 1.0f / d : 0.0f;
  PutHalf(out, m / -8.0f);
  auto q = [&](float v) { return uint8_t(std::clamp(RoundHalfAway(v * id) + 8, 0, 15)); };
  for (int i = 0; i < 16; ++i) out[2 + i] = uint8_t(q(x[i]) | (q(x[i + 16]) << 4));
}

// Ternary codes q ∈ {0, 1, 2} of one 256-weight block, and its scale.
float TernaryBlock(const float* x, uint8_t* q) {
  float amax = 0;
  for (int i = 0; i < 256; ++i) amax = std::max(amax, std::fabs(x[i]));
  const float d = StoredHalf(amax), id = d != 0 ? 1.0f / d : 0.0f;
  for (int i = 0; i < 256; ++i) q[i] = uint8_t(std::clamp(RoundHalfAway(x[i] * id), -1, 1) + 1);
  return amax;
}

void EncodeTQ2_0(const float* x, uint8_t* out) {
  uint8_t q[256];
  const float d = TernaryBlock(x, q);
  std::memset(out, 0, 64);
  for (int h = 0; h < 2; ++h) {
    for (int l = 0; l < 4; ++l) {
      for (int i = 0; i < 32; ++i) out[32 * h + i] |= uint8_t(q[128 * h + 32 * l + i] << (2 * l));
    }
  }
  PutHalf(out + 64, d);
}

// n base-3 digits, first digit most significant, stored as ⌈v·256/243⌉ after padding to five
// digits, so that digit k is recovered as ((byte·3^k mod 256)·3) >> 8.
uint8_t PackTrits(const uint8_t* digits, int n, int stride) {
  uint32_t v = 0;
  for (int k = 0; k < 5; ++k) v = v * 3 + (k < n ? digits[k * stride] : 0);
  return uint8_t((v * 256 + 242) / 243);
}

void EncodeTQ1_0(const float* x, uint8_t* out) {
  uint8_t q[256];
  const float d = TernaryBlock(x, q);
  for (int i = 0; i < 32; ++i) out[i] = PackTrits(q + i, 5, 32);
  for (int i = 0; i < 16; ++i) out[32 + i] = PackTrits(q + 160 + i, 5, 16);
  for (int i = 0; i < 4; ++i) out[48 + i] = PackTrits(q + 240 + i, 4, 4);
  PutHalf(out + 52, d);
}

// Q4_K: per 32-weight sub-block the range [min(0, lo), hi] in 15 steps; the steps and mins
// as 6-bit multiples of the block's d and dmin (fp16), codes against the stored values.
void EncodeQ4_K(const float* x, uint8_t* out) {
  float step[8], lift[8];  // w ≈ step·q − lift
  float smax = 0, lmax = 0;
  for (int j = 0; j < 8; ++j) {
    float lo = 0, hi = 0;
    for (int i = 0; i < 32; ++i) lo = std::min(lo, x[32 * j + i]), hi = std::max(hi, x[32 * j + i]);
    step[j] = (hi - lo) / 15.0f, lift[j] = -lo;
    smax = std::max(smax, step[j]), lmax = std::max(lmax, lift[j]);
  }
  const float d = StoredHalf(smax / 63.0f), dmin = StoredHalf(lmax / 63.0f);
  PutHalf(out, smax / 63.0f);
  PutHalf(out + 2, lmax / 63.0f);
  uint8_t* sc = out + 4;
  uint8_t* qs = out + 16;
  std::memset(sc, 0, 12);
  std::memset(qs, 0, 128);
  for (int j = 0; j < 8; ++j) {
    const int ls = d > 0 ? std::clamp(RoundHalfAway(step[j] / d), 0, 63) : 0;
    const int lm = dmin > 0 ? std::clamp(RoundHalfAway(lift[j] / dmin), 0, 63) : 0;
    if (j < 4) {
      sc[j] |= uint8_t(ls), sc[j + 4] |= uint8_t(lm);
    } else {
      sc[j + 4] = uint8_t((ls & 15) | ((lm & 15) << 4));
      sc[j - 4] |= uint8_t((ls >> 4) << 6);
      sc[j] |= uint8_t((lm >> 4) << 6);
    }
    const float s = d * float(ls), m = dmin * float(lm), is = s > 0 ? 1.0f / s : 0.0f;
    for (int i = 0; i < 32; ++i) {
      const int q = std::clamp(RoundHalfAway((x[32 * j + i] + m) * is), 0, 15);
      qs[32 * (j / 2) + i] |= uint8_t(j % 2 == 0 ? q : q << 4);
    }
  }
}

// Q6_K: per 16-weight sub-block a signed step (largest magnitude maps to ∓32·step), as an
// int8 multiple of the block's fp16 d; codes q + 32 ∈ [0, 63].
void EncodeQ6_K(const float* x, uint8_t* out) {
  float step[16], amax = 0;
  for (int j = 0; j < 16; ++j) {
    float m = 0;
    for (int i = 0; i < 16; ++i) {
      if (std::fabs(x[16 * j + i]) > std::fabs(m)) m = x[16 * j + i];
    }
    step[j] = m / -32.0f;
    amax = std::max(amax, std::fabs(step[j]));
  }
  const float d = StoredHalf(amax / 127.0f);
  int L[256];
  for (int j = 0; j < 16; ++j) {
    const int sc = d > 0 ? std::clamp(RoundHalfAway(step[j] / d), -128, 127) : 0;
    out[192 + j] = uint8_t(int8_t(sc));
    const float s = d * float(sc), is = s != 0 ? 1.0f / s : 0.0f;
    for (int i = 0; i < 16; ++i) {
      L[16 * j + i] = std::clamp(RoundHalfAway(x[16 * j + i] * is), -32, 31) + 32;
    }
  }
  uint8_t* ql = out;
  uint8_t* qh = out + 128;
  for (int h = 0; h < 2; ++h, ql += 64, qh += 32) {
    const int* q = L + 128 * h;
    for (int l = 0; l < 32; ++l) {
      ql[l] = uint8_t((q[l] & 15) | ((q[l + 64] & 15) << 4));
      ql[l + 32] = uint8_t((q[l + 32] & 15) | ((q[l + 96] & 15) << 4));
      qh[l] = uint8_t((q[l] >> 4) | ((q[l + 32] >> 4) << 2) | ((q[l + 64] >> 4) << 4) |
                      ((q[l + 96] >> 4) << 6));
    }
  }
  PutHalf(out + 208, amax / 127.0f);
}

// I2_S block: weight j of 128 goes to byte j % 32, bits 7..6 for j < 32, then 5..4, 3..2,
// 1..0 (the layout tensor_formats.h documents), as code round(x/s) + 1 ∈ {0, 1, 2}.
void EncodeI2SBlock(const float* x, float inv_scale, uint8_t* out) {
  std::memset(out, 0, 32);
  for (int j = 0; j < 128; ++j) {
    const int q = std::clamp(RoundHalfAway(x[j] * inv_scale), -1, 1) + 1;
    out[j % 32] |= uint8_t(q << (6 - 2 * (j / 32)));
  }
}

// The whole tensor at once: its largest magnitude is the scale, so weights that are already
// ternary multiples of one scale come back exactly.
void EncodeI2STensor(const float* src, size_t n, uint8_t* dst) {
  float amax = 0;
  for (size_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(src[i]));
  EncodeI2SBlocks(src, n, amax, dst);
  EncodeI2STail(amax, dst + n / 4);
}

}  // namespace

bool EncodeI2SBlocks(const float* src, size_t n, float scale, uint8_t* dst) {
  if (n == 0 || n % 128 != 0) return false;
  const float inv = scale != 0 ? 1.0f / scale : 0.0f;
  for (size_t b = 0; b < n / 128; ++b) EncodeI2SBlock(src + 128 * b, inv, dst + 32 * b);
  return true;
}

// bitnet.cpp reads only the first 4 bytes of the tail; the rest is written as zeros so that
// a file's bytes depend on nothing but its weights.
void EncodeI2STail(float scale, uint8_t* tail) {
  std::memset(tail, 0, kI2STailBytes);
  std::memcpy(tail, &scale, 4);
}

uint16_t FloatToHalfBits(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = uint16_t((x >> 16) & 0x8000);
  const uint32_t ax = x & 0x7fffffff;
  if (ax >= 0x7f800000) return uint16_t(sign | 0x7c00 | (ax > 0x7f800000 ? 0x200 : 0));
  if (ax >= 0x477ff000) return uint16_t(sign | 0x7c00);  // rounds past 65504
  if (ax < 0x38800000) {
    // Subnormal half: value = m · 2^−24; round |f|·2^24 to nearest even in double (exact).
    double v = 0;
    std::memcpy(&f, &ax, 4);
    v = std::nearbyint(double(f) * 16777216.0);
    return uint16_t(sign | uint16_t(v));
  }
  const uint32_t e = (ax >> 23) - 112;
  uint32_t h = (e << 10) | ((ax >> 13) & 1023);
  const uint32_t rest = ax & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;
  return uint16_t(sign | h);
}

uint16_t FloatToBf16Bits(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffff) > 0x7f800000) return uint16_t((x >> 16) | 0x40);  // keep NaN quiet
  x += 0x7fff + ((x >> 16) & 1);
  return uint16_t(x >> 16);
}

size_t EncodedBytes(TensorType type, size_t n) {
  switch (type) {
    case TensorType::F32:
    case TensorType::F16:
    case TensorType::BF16:
    case TensorType::Q8_0:
    case TensorType::Q4_0:
    case TensorType::TQ1_0:
    case TensorType::TQ2_0:
    case TensorType::Q4_K:
    case TensorType::Q6_K:
    case TensorType::I2_S:
      break;
    default:
      return 0;
  }
  const BlockFormat f = FormatOf(type);
  if (f.weights == 0 || n % f.weights != 0) return 0;
  return n / f.weights * f.bytes + f.tail;
}

bool EncodeWeights(TensorType type, const float* src, size_t n, uint8_t* dst) {
  if (n == 0 || EncodedBytes(type, n) == 0) return false;
  const BlockFormat f = FormatOf(type);
  const size_t blocks = n / f.weights;
  switch (type) {
    case TensorType::F32:
      std::memcpy(dst, src, n * 4);
      return true;
    case TensorType::F16:
      for (size_t i = 0; i < n; ++i) {
        const uint16_t h = FloatToHalfBits(src[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return true;
    case TensorType::BF16:
      for (size_t i = 0; i < n; ++i) {
        const uint16_t h = FloatToBf16Bits(src[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return true;
    case TensorType::I2_S:
      EncodeI2STensor(src, n, dst);
      return true;
    default:
      break;
  }
  for (size_t b = 0; b < blocks; ++b) {
    const float* x = src + b * f.weights;
    uint8_t* o = dst + b * f.bytes;
    if (type == TensorType::Q8_0) EncodeQ8_0(x, o);
    if (type == TensorType::Q4_0) EncodeQ4_0(x, o);
    if (type == TensorType::TQ2_0) EncodeTQ2_0(x, o);
    if (type == TensorType::TQ1_0) EncodeTQ1_0(x, o);
    if (type == TensorType::Q4_K) EncodeQ4_K(x, o);
    if (type == TensorType::Q6_K) EncodeQ6_K(x, o);
  }
  return true;
}

}  // namespace lutra::engine::formats
