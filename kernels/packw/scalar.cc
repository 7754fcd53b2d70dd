// Portable pack / unpack of the canonical layout (docs/lut-format.md §Weights).
#include <cstring>

#include "kernels/packw/variants.h"

namespace lutra::kernels::packw {
namespace {

// Row of the tile held by byte p's low nibble (the high nibble holds 16 + this).
constexpr size_t RowOfByte(size_t p) {
  return (p & 1) * 8 + p / 2;
}

// Offset of (tile, group, plane i, quad jj) in the bits array; planes are stored MSB first.
size_t BlockOffset(const Shape& s, size_t tile, size_t group, uint32_t plane, size_t quad) {
  const size_t quads = s.group / kQuad;
  const size_t slot = s.bits - 1 - plane;
  return (((tile * Groups(s) + group) * s.bits + slot) * quads + quad) * kQuadBytes;
}

}  // namespace

void pack_32x4__scalar(const Shape& s, const Unpacked& in, const PackedMut& out) {
  const size_t tiles = Tiles(s), groups = Groups(s), quads = s.group / kQuad;
  std::memset(out.bits, 0, BitsBytes(s));
  const float half = 0.5f * float((1u << s.bits) - 1);
  for (size_t tile = 0; tile < tiles; ++tile) {
    for (size_t g = 0; g < groups; ++g) {
      for (size_t r = 0; r < kTileRows; ++r) {
        const size_t row = tile * kTileRows + r;
        const size_t si = ScaleIndex(s, row, g);
        if (row >= s.m) {
          out.scale[si] = 0.0f;
          out.bias[si] = 0.0f;
          if (out.zero != nullptr) out.zero[si] = 0;
          continue;
        }
        const float scale = in.scale[row * groups + g];
        out.scale[si] = scale;
        if (s.asymmetric) {
          const uint8_t z = in.zero[row * groups + g];
          out.zero[si] = z;
          out.bias[si] = scale * (half - float(z));
        } else {
          out.bias[si] = 0.0f;
        }
      }
      for (uint32_t plane = 0; plane < s.bits; ++plane) {
        for (size_t jj = 0; jj < quads; ++jj) {
          uint8_t* blk = out.bits + BlockOffset(s, tile, g, plane, jj);
          for (size_t p = 0; p < kQuadBytes; ++p) {
            uint8_t byte = 0;
            for (size_t half_idx = 0; half_idx < 2; ++half_idx) {
              const size_t row = tile * kTileRows + half_idx * 16 + RowOfByte(p);
              if (row >= s.m) continue;
              for (size_t u = 0; u < kQuad; ++u) {
                const size_t col = g * s.group + jj * kQuad + u;
                if (col >= s.k) continue;
                const uint8_t q = in.q[row * s.k + col];
                byte |= uint8_t(((q >> plane) & 1u) << (half_idx * 4 + u));
              }
            }
            blk[p] = byte;
          }
        }
      }
    }
  }
}

void unpack_32x4__scalar(const Shape& s, const Packed& in, const UnpackedMut& out) {
  const size_t groups = Groups(s);
  for (size_t row = 0; row < s.m; ++row) {
    const size_t tile = row / kTileRows, r = row % kTileRows;
    const size_t half_idx = r / 16, rr = r % 16;
    // Inverse of RowOfByte: rows 0..7 sit in even bytes, rows 8..15 in odd ones.
    const size_t p = rr < 8 ? 2 * rr : 2 * (rr - 8) + 1;
    for (size_t g = 0; g < groups; ++g) {
      const size_t si = ScaleIndex(s, row, g);
      out.scale[row * groups + g] = in.scale[si];
      if (s.asymmetric && out.zero != nullptr) out.zero[row * groups + g] = in.zero[si];
    }
    for (size_t col = 0; col < s.k; ++col) {
      const size_t g = col / s.group, jj = (col % s.group) / kQuad, u = col % kQuad;
      uint8_t q = 0;
      for (uint32_t plane = 0; plane < s.bits; ++plane) {
        const uint8_t byte = in.bits[BlockOffset(s, tile, g, plane, jj) + p];
        q |= uint8_t(((byte >> (half_idx * 4 + u)) & 1u) << plane);
      }
      out.q[row * s.k + col] = q;
    }
  }
}

}  // namespace lutra::kernels::packw
