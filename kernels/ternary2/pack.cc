// Codes and scales into the ternary2 layout (ternary2.h) and back.
#include <cstring>

#include "kernels/ternary2/ternary2.h"

namespace lutra::kernels::ternary2 {
namespace {

// Byte offset of row r's weight c inside the codes, and the field's shift.
inline size_t ByteAt(size_t k, size_t r, size_t c, unsigned* shift) {
  const size_t chunk = c / kChunk, in = c % kChunk;
  const size_t f = in / 16, s = in % 16 / 4, e = in % 4;
  *shift = unsigned(2 * f);
  return r / kRows * GroupBytes(k) + chunk * 64 + 16 * s + 4 * (r % kRows) + e;
}

}  // namespace

bool Pack(size_t m, size_t k, const uint8_t* q, uint8_t* codes) {
  // Byte by byte in the layout's order (no per-weight address arithmetic: a load packs every
  // weight of the model). Padding rows are w = 0 everywhere: code 1 in the offset fields, 0 in
  // the top one.
  constexpr uint8_t kZeroRow[kChunk] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  uint8_t bad = 0;
  for (size_t g = 0; g < Groups(m); ++g) {
    for (size_t c = 0; c < k / kChunk; ++c) {
      uint8_t* out = codes + g * GroupBytes(k) + c * 64;
      for (size_t j = 0; j < kRows; ++j) {
        const size_t r = g * kRows + j;
        const uint8_t* in = r < m ? q + r * k + c * kChunk : kZeroRow;
        for (size_t s = 0; s < 4; ++s) {
          for (size_t e = 0; e < 4; ++e) {
            const uint8_t v0 = in[4 * s + e], v1 = in[16 + 4 * s + e], v2 = in[32 + 4 * s + e],
                          v3 = in[48 + 4 * s + e];
            bad |= uint8_t(v0 > 2) | uint8_t(v1 > 2) | uint8_t(v2 > 2) | uint8_t(v3 > 2);
            // Field 3 holds w = v − 1 in two's complement, the others v.
            out[16 * s + 4 * j + e] =
                uint8_t((v0 & 3) | (v1 & 3) << 2 | (v2 & 3) << 4 | ((v3 + 3) & 3) << 6);
          }
        }
      }
    }
  }
  return bad == 0;
}

void Unpack(size_t m, size_t k, const uint8_t* codes, uint8_t* q) {
  for (size_t r = 0; r < m; ++r) {
    for (size_t c = 0; c < k; ++c) {
      unsigned shift;
      const unsigned field = codes[ByteAt(k, r, c, &shift)] >> shift & 3;
      q[r * k + c] = uint8_t(shift == 6 ? (field + 1) & 3 : field);
    }
  }
}

void PackRowScales(size_t m, const float* d, float* out) {
  for (size_t r = 0; r < RowScaleCount(m); ++r) out[r] = r < m ? d[r] : 0.0f;
}

void PackBlockScales(size_t m, size_t k, const uint16_t* d, uint16_t* out) {
  const size_t blocks = Blocks(k);
  for (size_t g = 0; g < Groups(m); ++g) {
    for (size_t b = 0; b < blocks; ++b) {
      for (size_t j = 0; j < kRows; ++j) {
        const size_t r = g * kRows + j;
        out[(g * blocks + b) * kRows + j] = r < m ? d[r * blocks + b] : uint16_t(0);
      }
    }
  }
}

}  // namespace lutra::kernels::ternary2
