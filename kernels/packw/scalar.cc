// Portable pack / unpack of the canonical layout (docs/lut-format.md §Weights).
#include <bit>
#include <cstring>

#include "kernels/packw/pack_scales.h"
#include "kernels/packw/variants.h"

namespace lutra::kernels::packw {
namespace {

// Byte of a quad block holding row rr (0..15) of a tile half: rows 0..7 sit in the even bytes,
// rows 8..15 in the odd ones (byte p holds row (p & 1)·8 + p/2).
constexpr size_t ByteOfRow(size_t rr) {
  return rr < 8 ? 2 * rr : 2 * (rr - 8) + 1;
}

// Offset of (tile, group, plane i, quad jj) in the bits array; planes are stored MSB first.
size_t BlockOffset(const Shape& s, size_t tile, size_t group, uint32_t plane, size_t quad) {
  const size_t quads = s.group / kQuad;
  const size_t slot = s.bits - 1 - plane;
  return (((tile * Groups(s) + group) * s.bits + slot) * quads + quad) * kQuadBytes;
}

}  // namespace

void PackScales(const Shape& s, const Unpacked& in, const PackedMut& out) {
  const size_t tiles = Tiles(s), groups = Groups(s);
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
    }
  }
}

void pack_32x4__scalar(const Shape& s, const Unpacked& in, const PackedMut& out) {
  const size_t groups = Groups(s), quads = s.group / kQuad;
  std::memset(out.bits, 0, BitsBytes(s));
  PackScales(s, in, out);
  // Bits, one input row at a time (sequential reads; a tile's output, groups·bits·4G bytes,
  // stays in cache while its 32 rows are written). Eight codes at a time: bit `plane` of each
  // byte gathered into one byte by a multiply whose partial products never overlap or carry
  // (byte i's bit lands on bit 56 + i), giving the nibbles of two consecutive quads.
  const size_t plane_stride = quads * kQuadBytes, group_stride = s.bits * plane_stride;
  static_assert(std::endian::native == std::endian::little, "codes are read 8 per uint64");
  const size_t padded_k = PaddedK(s);
  for (size_t row = 0; row < s.m; ++row) {
    const size_t r = row % kTileRows, shift = 4 * (r / 16), rr = r % 16;
    const size_t p = ByteOfRow(rr);
    uint8_t* tile_bits = out.bits + (row / kTileRows) * groups * group_stride + p;
    const uint8_t* q = in.q + row * s.k;
    for (size_t col = 0; col < padded_k; col += 8) {
      uint64_t v = 0;
      if (col + 8 <= s.k) {
        std::memcpy(&v, q + col, 8);
      } else {
        for (size_t u = 0; col + u < s.k && u < 8; ++u) v |= uint64_t(q[col + u]) << (8 * u);
      }
      if (v == 0) continue;
      const size_t g = col / s.group, jj = (col % s.group) / kQuad;
      uint8_t* at = tile_bits + g * group_stride + jj * kQuadBytes;
      for (uint32_t plane = 0; plane < s.bits; ++plane) {
        const uint64_t gathered =
            (((v >> plane) & 0x0101010101010101ull) * 0x0102040810204080ull) >> 56;
        uint8_t* dst = at + (s.bits - 1 - plane) * plane_stride;  // planes MSB first
        dst[0] |= uint8_t((gathered & 15u) << shift);
        dst[kQuadBytes] |= uint8_t((gathered >> 4) << shift);
      }
    }
  }
}

void unpack_32x4__scalar(const Shape& s, const Packed& in, const UnpackedMut& out) {
  const size_t groups = Groups(s);
  for (size_t row = 0; row < s.m; ++row) {
    const size_t tile = row / kTileRows, r = row % kTileRows;
    const size_t half_idx = r / 16, rr = r % 16;
    const size_t p = ByteOfRow(rr);
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
