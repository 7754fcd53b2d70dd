// Canonical ↔ row-quad byte order of the bit planes (packw.h, docs/lut-format.md §1).
#include <array>
#include <cstring>

#include "kernels/packw/packw.h"

namespace lutra::kernels::packw {
namespace {

constexpr size_t kChunk = 4 * kQuadBytes;  // 4 quads of one plane

// kRowQuadSource[4r + j]: the canonical byte holding rows r and 16 + r of quad j, i.e. byte
// ρ⁻¹(r) of quad j's 16-byte block, ρ(p) = (p & 1)·8 + p/2, so ρ⁻¹(r) = 2r (r < 8), 2r − 15.
constexpr std::array<uint8_t, kChunk> RowQuadSource() {
  std::array<uint8_t, kChunk> src{};
  for (size_t r = 0; r < 16; ++r) {
    for (size_t j = 0; j < 4; ++j) src[4 * r + j] = uint8_t(16 * j + (r < 8 ? 2 * r : 2 * r - 15));
  }
  return src;
}
constexpr std::array<uint8_t, kChunk> kRowQuadSource = RowQuadSource();

template <bool kToRowQuads>
void Reorder(uint8_t* bits, size_t bytes) {
  uint8_t chunk[kChunk];
  for (size_t c = 0; c + kChunk <= bytes; c += kChunk) {
    uint8_t* p = bits + c;
    std::memcpy(chunk, p, kChunk);
    for (size_t i = 0; i < kChunk; ++i) {
      if constexpr (kToRowQuads) {
        p[i] = chunk[kRowQuadSource[i]];
      } else {
        p[kRowQuadSource[i]] = chunk[i];
      }
    }
  }
}

}  // namespace

void ToRowQuads(uint8_t* bits, size_t bytes) {
  Reorder<true>(bits, bytes);
}

void ToCanonical(uint8_t* bits, size_t bytes) {
  Reorder<false>(bits, bytes);
}

}  // namespace lutra::kernels::packw
