// Exact scalar fp16 <-> fp32 conversion on bit patterns. static inline: included by ISA
// files for their tails (see docs/kernels.md on shared headers).
#pragma once

#include <cstdint>
#include <cstring>

namespace lutra::kernels::f16 {

static inline float HalfToFloat(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    // inf, or NaN quieted like F16C/NEON do, payload kept in the top mantissa bits.
    bits = sign | 0x7f800000u | (mant != 0 ? (0x400000u | (mant << 13)) : 0u);
  } else if (exp != 0) {
    bits = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    // Denormal: mant·2^-24 is exact in fp32 (11 significant bits at most).
    float v = float(mant) * 0x1p-24f;
    std::memcpy(&bits, &v, sizeof bits);
    bits |= sign;
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

static inline uint16_t FloatToHalf(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  const uint16_t sign = uint16_t((b >> 16) & 0x8000u);
  uint32_t a = b & 0x7fffffffu;
  if (a > 0x7f800000u) return uint16_t(sign | 0x7e00u | ((a >> 13) & 0x3ffu));  // NaN
  if (a >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // ≥ 65520 (and inf): rounds to inf
  if (a < 0x38800000u) {
    // Below 2^-14: adding 0.5 puts the value's 2^-24 units into the low mantissa bits of a
    // float whose ulp is 2^-24, and the FPU's round-to-nearest-even does the rounding.
    float v;
    std::memcpy(&v, &a, sizeof v);
    v += 0.5f;
    uint32_t r;
    std::memcpy(&r, &v, sizeof r);
    return uint16_t(sign | (r - 0x3f000000u));
  }
  // Normal: rebias the exponent, then round the 13 dropped bits to nearest even.
  const uint32_t odd = (a >> 13) & 1u;
  a += 0xc8000fffu + odd;  // (15 - 127) << 23, wrapped, plus the rounding bias
  return uint16_t(sign | (a >> 13));
}

}  // namespace lutra::kernels::f16
