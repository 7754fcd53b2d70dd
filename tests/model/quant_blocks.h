// The test's own encoders/decoders of two public ggml block formats, for writing quantized
// models and reading them back in the reference (not the engine's code):
//   Q4_0:  32 weights per block: fp16 scale d, 16 bytes; byte i holds weight i (low nibble) and
//          weight i + 16 (high nibble) as q ∈ [0, 15], w = (q − 8)·d.
//   TQ2_0: 256 weights per block: 64 bytes then fp16 d; byte j + m of 32-byte half
//          j ∈ {0, 32} holds, in bits 2l..2l+1, weight 4j + 32l + m as q ∈ {0, 1, 2},
//          w = (q − 1)·d.
//   TQ1_0: 256 weights per block: qs[48], qh[4], fp16 d; q ∈ {0, 1, 2}, w = (q − 1)·d. A byte
//          holds five base-3 digits (qh: four, then a zero digit), the first one most
//          significant, as v = ⌈value·256/243⌉ (so value = ⌊v·243/256⌋). Digit n of qs[m] is
//          weight 32n + m (m < 32), of qs[32 + m] weight 160 + 16n + m, of qh[m] weight
//          240 + 4n + m.
//   Q4_K:  256 weights: fp16 d, dmin, 12 scale bytes, 128 code bytes; eight 32-weight
//          sub-blocks, w = d·sc·q − dmin·m with 6-bit sc, m (see DecodeQ4_K).
//   Q6_K:  256 weights: ql[128], qh[64], int8 sc[16], fp16 d; w = d·sc·(q − 32), 6-bit q.
//   IQ4_NL: 32 weights: fp16 d, 16 bytes of nibbles as Q4_0's; w = d·v[q] with v llama.cpp's
//          16 values (kvalues_iq4nl).
//   IQ4_XS: 256 weights: fp16 d, uint16 scales_h, scales_l[4], 128 bytes of nibbles: eight
//          sub-blocks of 32 as IQ4_NL's with scale d·(ls − 32), ls of sub-block j the nibble
//          j % 2 of scales_l[j / 2] and bits 2j..2j+1 of scales_h as its high two bits.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

namespace lutra::testing {

inline uint16_t FloatToHalf(float f) {  // round to nearest even; test values stay normal
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000;
  const int e = int((x >> 23) & 255) - 127 + 15;
  uint32_t m = x & 0x7fffff;
  if (e <= 0) return uint16_t(sign);  // flush tiny values (not produced here)
  uint32_t h = (uint32_t(e) << 10) | (m >> 13);
  const uint32_t rest = m & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;
  return uint16_t(sign | h);
}

inline float HalfBitsToFloat(uint16_t h) {
  const int e = (h >> 10) & 31, m = h & 1023;
  const double s = (h & 0x8000) ? -1.0 : 1.0;
  if (e == 0) return float(s * std::ldexp(m, -24));
  if (e == 31) return m ? NAN : float(s * INFINITY);
  return float(s * std::ldexp(1024 + m, e - 25));
}

// Round-to-nearest Q4_0 with d = −max/8 at the largest-magnitude weight (ggml's choice).
inline std::vector<uint8_t> EncodeQ4_0(const std::vector<float>& w) {
  std::vector<uint8_t> out;
  for (size_t b = 0; b < w.size() / 32; ++b) {
    const float* x = w.data() + b * 32;
    float amax = 0, max = 0;
    for (int i = 0; i < 32; ++i) {
      if (std::fabs(x[i]) > amax) amax = std::fabs(x[i]), max = x[i];
    }
    const uint16_t dh = FloatToHalf(max / -8.0f);
    const float d = HalfBitsToFloat(dh), id = d != 0 ? 1.0f / d : 0.0f;
    out.push_back(uint8_t(dh & 255));
    out.push_back(uint8_t(dh >> 8));
    for (int i = 0; i < 16; ++i) {
      auto q = [&](float v) { return uint8_t(std::clamp(int(std::lround(v * id + 8.0f)), 0, 15)); };
      out.push_back(uint8_t(q(x[i]) | (q(x[i + 16]) << 4)));
    }
  }
  return out;
}

inline void DecodeQ4_0(const uint8_t* p, size_t n, float* out) {
  for (size_t b = 0; b < n / 32; ++b, p += 18) {
    const float d = HalfBitsToFloat(uint16_t(p[0] | (p[1] << 8)));
    for (int i = 0; i < 16; ++i) {
      out[b * 32 + i] = float((p[2 + i] & 15) - 8) * d;
      out[b * 32 + i + 16] = float((p[2 + i] >> 4) - 8) * d;
    }
  }
}

// Ternary weights: d = mean |w| of the block (BitNet's absmean), q = clamp(round(w/d), ±1).
inline std::vector<uint8_t> EncodeTQ2_0(const std::vector<float>& w) {
  std::vector<uint8_t> out;
  for (size_t b = 0; b < w.size() / 256; ++b) {
    const float* x = w.data() + b * 256;
    double s = 0;
    for (int i = 0; i < 256; ++i) s += std::fabs(x[i]);
    const uint16_t dh = FloatToHalf(float(s / 256));
    const float d = HalfBitsToFloat(dh);
    uint8_t qs[64] = {};
    for (int j = 0; j < 64; j += 32) {
      for (int l = 0; l < 4; ++l) {
        for (int m = 0; m < 32; ++m) {
          const float v = x[j * 4 + l * 32 + m];
          const int q = d > 0 ? std::clamp(int(std::lround(v / d)), -1, 1) + 1 : 1;
          qs[j + m] = uint8_t(qs[j + m] | (q << (2 * l)));
        }
      }
    }
    out.insert(out.end(), qs, qs + 64);
    out.push_back(uint8_t(dh & 255));
    out.push_back(uint8_t(dh >> 8));
  }
  return out;
}

inline void DecodeTQ2_0(const uint8_t* p, size_t n, float* out) {
  for (size_t b = 0; b < n / 256; ++b, p += 66) {
    const float d = HalfBitsToFloat(uint16_t(p[64] | (p[65] << 8)));
    for (int j = 0; j < 64; j += 32) {
      for (int l = 0; l < 4; ++l) {
        for (int m = 0; m < 32; ++m) {
          out[b * 256 + j * 4 + l * 32 + m] = float(((p[j + m] >> (2 * l)) & 3) - 1) * d;
        }
      }
    }
  }
}

// bitnet.cpp's I2_S: one scale per tensor (here its mean |w|, as BitNet b1.58 trains), code
// q = clamp(round(w/s), ±1) + 1 for weight i at bits 6 − 2·((i % 128) / 32) of byte
// 32·(i / 128) + i % 32, then the fp32 scale and 28 zero bytes.
inline std::vector<uint8_t> EncodeI2_S(const std::vector<float>& w) {
  double sum = 0;
  for (float v : w) sum += std::fabs(v);
  const float s = float(sum / double(w.size()));
  std::vector<uint8_t> out(w.size() / 4 + 32, 0);
  for (size_t i = 0; i < w.size(); ++i) {
    const int q = s > 0 ? std::clamp(int(std::lround(w[i] / s)), -1, 1) + 1 : 1;
    out[32 * (i / 128) + i % 32] |= uint8_t(q << (6 - 2 * ((i % 128) / 32)));
  }
  std::memcpy(out.data() + w.size() / 4, &s, 4);
  return out;
}

inline void DecodeI2_S(const uint8_t* p, size_t n, float* out) {
  float s;
  std::memcpy(&s, p + n / 4, 4);
  for (size_t i = 0; i < n; ++i) {
    const int q = (p[32 * (i / 128) + i % 32] >> (6 - 2 * ((i % 128) / 32))) & 3;
    out[i] = float(q - 1) * s;
  }
}

// Ternary codes q = clamp(round(w/d), ±1) + 1 with d = the block's mean |w| (as EncodeTQ2_0).
inline std::vector<uint8_t> EncodeTQ1_0(const std::vector<float>& w) {
  std::vector<uint8_t> out;
  for (size_t b = 0; b < w.size() / 256; ++b) {
    const float* x = w.data() + b * 256;
    double s = 0;
    for (int i = 0; i < 256; ++i) s += std::fabs(x[i]);
    const uint16_t dh = FloatToHalf(float(s / 256));
    const float d = HalfBitsToFloat(dh);
    auto code = [&](size_t i) {
      return d > 0 ? std::clamp(int(std::lround(x[i] / d)), -1, 1) + 1 : 1;
    };
    // digits[k] are the weight indices of one byte's digits, most significant first.
    auto pack = [&](std::initializer_list<size_t> idx) {
      int value = 0;
      for (size_t i : idx) value = value * 3 + code(i);
      for (size_t k = idx.size(); k < 5; ++k) value *= 3;
      return uint8_t((value * 256 + 242) / 243);
    };
    for (size_t m = 0; m < 32; ++m) out.push_back(pack({m, 32 + m, 64 + m, 96 + m, 128 + m}));
    for (size_t m = 0; m < 16; ++m) {
      out.push_back(pack({160 + m, 176 + m, 192 + m, 208 + m, 224 + m}));
    }
    for (size_t m = 0; m < 4; ++m) out.push_back(pack({240 + m, 244 + m, 248 + m, 252 + m}));
    out.push_back(uint8_t(dh & 255));
    out.push_back(uint8_t(dh >> 8));
  }
  return out;
}

inline void DecodeTQ1_0(const uint8_t* p, size_t n, float* out) {
  for (size_t b = 0; b < n / 256; ++b, p += 54) {
    const float d = HalfBitsToFloat(uint16_t(p[52] | (p[53] << 8)));
    float* o = out + b * 256;
    auto unpack = [&](uint8_t v, int digits, size_t first, size_t stride) {
      int value = v * 243 / 256, div = 81;
      for (int k = 0; k < digits; ++k, div /= 3) {
        o[first + size_t(k) * stride] = float(value / div % 3 - 1) * d;
      }
    };
    for (size_t m = 0; m < 32; ++m) unpack(p[m], 5, m, 32);
    for (size_t m = 0; m < 16; ++m) unpack(p[32 + m], 5, 160 + m, 16);
    for (size_t m = 0; m < 4; ++m) unpack(p[48 + m], 4, 240 + m, 4);
  }
}

// Walks the block as ggml's dequantizer does: 64 weights at a time, the low nibbles of 32
// code bytes then their high nibbles, each half with its own 6-bit scale and min.
inline void DecodeQ4_K(const uint8_t* p, size_t n, float* out) {
  for (size_t b = 0; b < n / 256; ++b, p += 144) {
    const float d = HalfBitsToFloat(uint16_t(p[0] | (p[1] << 8)));
    const float dmin = HalfBitsToFloat(uint16_t(p[2] | (p[3] << 8)));
    const uint8_t* sc = p + 4;
    auto scale_min = [&](int j, int* s, int* m) {
      if (j < 4) {
        *s = sc[j] & 63, *m = sc[j + 4] & 63;
      } else {
        *s = (sc[j + 4] & 0xF) | ((sc[j - 4] >> 6) << 4);
        *m = (sc[j + 4] >> 4) | ((sc[j] >> 6) << 4);
      }
    };
    const uint8_t* q = p + 16;
    float* y = out + b * 256;
    for (int j = 0, is = 0; j < 256; j += 64, q += 32, is += 2) {
      int s1, m1, s2, m2;
      scale_min(is, &s1, &m1);
      scale_min(is + 1, &s2, &m2);
      for (int l = 0; l < 32; ++l) *y++ = d * float(s1) * float(q[l] & 0xF) - dmin * float(m1);
      for (int l = 0; l < 32; ++l) *y++ = d * float(s2) * float(q[l] >> 4) - dmin * float(m2);
    }
  }
}

// As ggml's dequantizer: per 128 weights, four rows of 32 from the same 32 qh bytes.
inline void DecodeQ6_K(const uint8_t* p, size_t n, float* out) {
  for (size_t b = 0; b < n / 256; ++b, p += 210) {
    const float d = HalfBitsToFloat(uint16_t(p[208] | (p[209] << 8)));
    const uint8_t* ql = p;
    const uint8_t* qh = p + 128;
    const auto* sc = reinterpret_cast<const int8_t*>(p + 192);
    float* y = out + b * 256;
    for (int half = 0; half < 2; ++half, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = int((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = int((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = int((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = int((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * float(sc[is]) * float(q1);
        y[l + 32] = d * float(sc[is + 2]) * float(q2);
        y[l + 64] = d * float(sc[is + 4]) * float(q3);
        y[l + 96] = d * float(sc[is + 6]) * float(q4);
      }
    }
  }
}

// As ggml's dequantize_row_iq4_nl / _iq4_xs: per 32 weights, the low nibbles of 16 bytes then
// their high nibbles, each an index into the 16 values.
inline void DecodeIQ4Group(const uint8_t* qs, float scale, float* y) {
  static constexpr int kValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                      1,    13,   25,  38,  53,  69,  89,  113};
  for (int j = 0; j < 16; ++j) {
    y[j] = scale * float(kValues[qs[j] & 15]);
    y[j + 16] = scale * float(kValues[qs[j] >> 4]);
  }
}

inline void DecodeIQ4_NL(const uint8_t* p, size_t n, float* out) {
  for (size_t b = 0; b < n / 32; ++b, p += 18) {
    DecodeIQ4Group(p + 2, HalfBitsToFloat(uint16_t(p[0] | (p[1] << 8))), out + 32 * b);
  }
}

inline void DecodeIQ4_XS(const uint8_t* p, size_t n, float* out) {
  for (size_t b = 0; b < n / 256; ++b, p += 136) {
    const float d = HalfBitsToFloat(uint16_t(p[0] | (p[1] << 8)));
    const int scales_h = p[2] | (p[3] << 8);
    for (int j = 0; j < 8; ++j) {
      const int ls = ((p[4 + j / 2] >> (4 * (j % 2))) & 15) | (((scales_h >> (2 * j)) & 3) << 4);
      DecodeIQ4Group(p + 8 + 16 * j, d * float(ls - 32), out + 256 * b + 32 * j);
    }
  }
}

}  // namespace lutra::testing
