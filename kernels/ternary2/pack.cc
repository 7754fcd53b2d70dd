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
  // Zero bytes are w = −1 at fields 0..2; the padding rows must be w = 0 everywhere: code 1 in
  // the offset fields, 0 in the top one.
  std::memset(codes, 0x15, CodeBytes(m, k));
  for (size_t r = 0; r < m; ++r) {
    for (size_t c = 0; c < k; ++c) {
      const uint8_t v = q[r * k + c];
      if (v > 2) return false;
      unsigned shift;
      uint8_t& byte = codes[ByteAt(k, r, c, &shift)];
      // Field 3 holds w = v − 1 in two's complement, the others v.
      const uint8_t field = shift == 6 ? uint8_t((v + 3) & 3) : v;
      byte = uint8_t((byte & ~(3u << shift)) | unsigned(field) << shift);
    }
  }
  return true;
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
