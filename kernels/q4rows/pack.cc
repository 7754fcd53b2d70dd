// Q4_0 blocks <-> the q4rows layout (q4rows.h). Both directions move bytes only: a nibble's
// q ^ 8 is the two's complement of q − 8, so no value is decoded.
#include <cstring>

#include "kernels/q4rows/q4rows.h"

namespace lutra::kernels::q4rows {

void Pack(size_t m, size_t k, const uint8_t* q4_0, uint8_t* packed) {
  const size_t blocks = k / kBlock, row_bytes = blocks * kQ4_0BlockBytes;
  for (size_t g = 0; g < Groups(m); ++g) {
    uint8_t* scales = packed + g * GroupBytes(k);
    uint8_t* codes = scales + blocks * kRows * 2;
    for (size_t b = 0; b < blocks; ++b) {
      for (size_t j = 0; j < kRows; ++j) {
        const size_t r = g * kRows + j;
        uint8_t* s = scales + (b * kRows + j) * 2;
        uint8_t* c = codes + b * (kRows * kBlock / 2) + 4 * j;
        if (r >= m) {
          // Padding row: d = +0 and codes q = 8 (value 0), so the row computes 0.
          std::memset(s, 0, 2);
          for (size_t i = 0; i < 4; ++i) std::memset(c + 16 * i, 0, 4);
          continue;
        }
        const uint8_t* src = q4_0 + r * row_bytes + b * kQ4_0BlockBytes;
        std::memcpy(s, src, 2);
        const uint8_t* qs = src + 2;
        // qs[i] holds weight i (low) and weight 16 + i (high): the layout keeps the pairing.
        for (size_t i = 0; i < 4; ++i) {
          for (size_t e = 0; e < 4; ++e) c[16 * i + e] = uint8_t(qs[4 * i + e] ^ 0x88);
        }
      }
    }
  }
}

void Unpack(size_t m, size_t k, const uint8_t* packed, uint8_t* q4_0) {
  const size_t blocks = k / kBlock, row_bytes = blocks * kQ4_0BlockBytes;
  for (size_t r = 0; r < m; ++r) {
    const size_t g = r / kRows, j = r % kRows;
    const uint8_t* scales = packed + g * GroupBytes(k);
    const uint8_t* codes = scales + blocks * kRows * 2;
    for (size_t b = 0; b < blocks; ++b) {
      uint8_t* dst = q4_0 + r * row_bytes + b * kQ4_0BlockBytes;
      std::memcpy(dst, scales + (b * kRows + j) * 2, 2);
      const uint8_t* c = codes + b * (kRows * kBlock / 2) + 4 * j;
      for (size_t i = 0; i < 4; ++i) {
        for (size_t e = 0; e < 4; ++e) dst[2 + 4 * i + e] = uint8_t(c[16 * i + e] ^ 0x88);
      }
    }
  }
}

}  // namespace lutra::kernels::q4rows
