// The values of 16-bit float encodings by their definitions, independent of the conversions the
// kernels use, for tests that read fp16 and bf16 buffers back.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace lutra::testing {

// A finite IEEE half: (−1)^s · m·2^−24 (e = 0) or (1024 + m)·2^(e − 25).
inline double HalfValue(uint16_t h) {
  const int e = (h >> 10) & 0x1f;
  const int m = h & 0x3ff;
  const double mag = e == 0 ? std::ldexp(double(m), -24) : std::ldexp(double(1024 + m), e - 25);
  return (h & 0x8000) ? -mag : mag;
}

// A bf16: the upper half of an IEEE single.
inline double Bf16Value(uint16_t h) {
  const uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

}  // namespace lutra::testing
