// The scalar fields of the kquant blocks (engine/src/formats/kquant_formats.h, tensor_formats.h),
// read from any alignment.
// static inline: included by every ISA file (docs/kernels.md on shared headers).
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels/f16/convert.h"

namespace lutra::kernels::kquant {

// Q4_K: d at 0, dmin at 2, the 12 bytes of 6-bit scales and mins at 4, qs[128] at 16.
inline constexpr size_t kQ4KScales = 4, kQ4KQs = 16;
// Q6_K: ql[128] at 0, qh[64] at 128, int8 sc[16] at 192, d at 208.
inline constexpr size_t kQ6KQh = 128, kQ6KScales = 192, kQ6KD = 208;
// Q5_K: as Q4_K (d, dmin, the scales and mins at 4) with qh[32] at 16 and qs[128] at 48.
inline constexpr size_t kQ5KQh = 16, kQ5KQs = 48;
// Q3_K: hmask[32] at 0, qs[64] at 32, the 12 bytes of 6-bit scales at 96, d at 108.
inline constexpr size_t kQ3KQs = 32, kQ3KScales = 96, kQ3KD = 108;
// Q2_K: scales[16] at 0 (scale in the low nibble, min in the high), qs[64] at 16, d at 80,
// dmin at 82.
inline constexpr size_t kQ2KQs = 16, kQ2KD = 80;
// Q8_0: d at 0, int8 qs[32] at 2.
inline constexpr size_t kQ8_0Qs = 2;
// Q5_0: d at 0, the 32-bit qh at 2, qs[16] at 6.
inline constexpr size_t kQ5_0Qh = 2, kQ5_0Qs = 6;
// Q4_0: d at 0, qs[16] at 2 (weight j < 16 the low nibble of byte j, 16 + j its high nibble).
inline constexpr size_t kQ4_0Qs = 2;

// IQ4_NL and IQ4_XS (llama.cpp's ggml-common.h, dequantize_row_iq4_nl / _iq4_xs): a weight's
// nibble q picks kIQ4Values[q] (sorted, so q ≥ 8 exactly when the value is positive). Each 32
// weights take 16 qs bytes: weight j < 16 is the low nibble of byte j, weight 16 + j its high
// nibble.
inline constexpr int8_t kIQ4Values[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                          1,    13,   25,  38,  53,  69,  89,  113};
// IQ4_NL (18 bytes per 32 weights): d at 0, qs[16] at 2.
inline constexpr size_t kIQ4NLQs = 2;
// IQ4_XS (136 bytes per 256): d at 0, the 16-bit scales_h at 2, scales_l[4] at 4, qs[128] at 8
// (16 bytes per sub-block of 32). Sub-block j's scale is (low | high << 4) − 32, low = nibble
// j % 2 of scales_l[j / 2], high = bits 2j..2j+1 of scales_h.
inline constexpr size_t kIQ4XSScalesH = 2, kIQ4XSScalesL = 4, kIQ4XSQs = 8;

static inline float HalfAt(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof h);
  return f16::HalfToFloat(h);
}

// The eight 6-bit scales and mins of a Q4_K block from its 12 packed bytes.
static inline void Q4KScalesMins(const uint8_t* s, uint8_t sc[8], uint8_t m[8]) {
  for (int j = 0; j < 4; ++j) {
    sc[j] = s[j] & 63;
    m[j] = s[j + 4] & 63;
    sc[j + 4] = uint8_t((s[j + 8] & 15) | ((s[j] >> 6) << 4));
    m[j + 4] = uint8_t((s[j + 8] >> 4) | ((s[j + 4] >> 6) << 4));
  }
}

// The same as two 8-byte vectors (scale j, min j in byte j), computed on 32-bit words.
static inline void Q4KScalesMins8(const uint8_t* s, uint64_t* sc, uint64_t* mn) {
  uint32_t a, b, c;
  std::memcpy(&a, s, 4);
  std::memcpy(&b, s + 4, 4);
  std::memcpy(&c, s + 8, 4);
  const uint32_t sc_hi = (c & 0x0f0f0f0fu) | ((a >> 2) & 0x30303030u);
  const uint32_t mn_hi = ((c >> 4) & 0x0f0f0f0fu) | ((b >> 2) & 0x30303030u);
  *sc = uint64_t(a & 0x3f3f3f3fu) | uint64_t(sc_hi) << 32;
  *mn = uint64_t(b & 0x3f3f3f3fu) | uint64_t(mn_hi) << 32;
}

// The sixteen 6-bit Q3_K scales (before the −32) from their 12 packed bytes, scale j in byte j
// of the two words: low four bits from nibble j / 8 of byte j % 8, high two from bits
// 2·(j / 4)..+1 of byte 8 + j % 4.
static inline void Q3KScales16(const uint8_t* s, uint64_t* lo, uint64_t* hi) {
  uint32_t a0, a1, a2;
  std::memcpy(&a0, s, 4);
  std::memcpy(&a1, s + 4, 4);
  std::memcpy(&a2, s + 8, 4);
  const uint32_t m4 = 0x0f0f0f0fu, m2 = 0x03030303u;
  const uint32_t w0 = (a0 & m4) | (a2 & m2) << 4;
  const uint32_t w1 = (a1 & m4) | ((a2 >> 2) & m2) << 4;
  const uint32_t w2 = ((a0 >> 4) & m4) | ((a2 >> 4) & m2) << 4;
  const uint32_t w3 = ((a1 >> 4) & m4) | ((a2 >> 6) & m2) << 4;
  *lo = uint64_t(w0) | uint64_t(w1) << 32;
  *hi = uint64_t(w2) | uint64_t(w3) << 32;
}

// The eight IQ4_XS sub-block scales before the −32 (6-bit, sub-block j in byte j), spread on
// 64-bit words in a few shifts and masks: scales_l's nibble j to the low nibble of byte j,
// scales_h's bit pair j to bits 4–5 of byte j.
static inline uint64_t IQ4XSScales8(const uint8_t* blk) {
  uint16_t h16;
  uint32_t l32;
  std::memcpy(&h16, blk + kIQ4XSScalesH, sizeof h16);
  std::memcpy(&l32, blk + kIQ4XSScalesL, sizeof l32);
  uint64_t l = l32, h = h16;
  l = (l | l << 16) & 0x0000ffff0000ffffull;  // 16-bit halves to 32-bit lanes
  l = (l | l << 8) & 0x00ff00ff00ff00ffull;   // bytes to 16-bit lanes
  l = (l | l << 4) & 0x0f0f0f0f0f0f0f0full;   // nibbles to bytes
  h = (h | h << 24) & 0x000000ff000000ffull;  // bytes to 32-bit lanes
  h = (h | h << 12) & 0x000f000f000f000full;  // nibbles to 16-bit lanes
  h = (h | h << 6) & 0x0303030303030303ull;   // bit pairs to bytes
  return l | h << 4;
}

}  // namespace lutra::kernels::kquant
