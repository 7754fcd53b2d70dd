// The dequantize-then-dot baseline that lookup kernels are judged against (the kernel
// benchmark's dequant_dot rows and bench/arm-model): codes packed 8/b per byte row-major (3-bit
// codes in 4 bits), an fp32 scale per group of 128; per row and group, dequantize to fp32,
// then an fp32 dot. Header-only (templates in an anonymous namespace) so that both the
// benchmark and the cycle-model driver compile the same code for their target.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace lutra::bench {
namespace {

struct DequantMatrix {
  size_t m, k, bits, stride;
  std::vector<uint8_t> codes;
  std::vector<float> scale;
};

// The same algorithm in portable C++ (the compiler vectorizes the 8-wide inner loop with the
// target's SIMD): dequantize eight codes of a group to fp32, multiply-add with x.
template <size_t Bits>
void DequantDotRowsPortable(const DequantMatrix& d, const float* x, float* y, float zero) {
  const size_t groups = (d.k + 127) / 128;
  constexpr uint32_t kMask = (1u << Bits) - 1;
  for (size_t r = 0; r < d.m; ++r) {
    const uint8_t* row = d.codes.data() + r * d.stride;
    float acc[8] = {};
    float tail = 0.0f;
    for (size_t g = 0; g < groups; ++g) {
      const size_t c0 = g * 128, len = std::min<size_t>(128, d.k - c0);
      const float s = d.scale[r * groups + g], sz = s * zero;
      size_t i = 0;
      for (; i + 8 <= len; i += 8) {
        uint32_t bits = 0;
        std::memcpy(&bits, row + (c0 + i) * Bits / 8, 4);  // codes are padded by 4 bytes
        for (size_t u = 0; u < 8; ++u) {
          const float w = s * float((bits >> (u * Bits)) & kMask) - sz;
          acc[u] += w * x[c0 + i + u];
        }
      }
      for (; i < len; ++i) {
        const size_t bit = (c0 + i) * Bits;
        tail += (s * float((row[bit / 8] >> (bit % 8)) & kMask) - sz) * x[c0 + i];
      }
    }
    y[r] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail;
  }
}

}  // namespace
}  // namespace lutra::bench
