// Portable lookup GEMM, one template for every bit width and both table modes. It follows
// the layout literally (no vector tricks) and exists for correctness and as the fallback.
#include "kernels/lutgemm/variants.h"

namespace lutra::kernels::lutgemm {
namespace {

using packw::kQuadBytes;
using packw::kTileRows;

constexpr size_t RowOfByte(size_t p) {
  return (p & 1) * 8 + p / 2;
}

template <bool Exact>
int Lookup(const uint8_t* table, size_t hi_offset, unsigned idx) {
  if constexpr (Exact) return (int(table[hi_offset + idx]) - 128) * 256 + int(table[idx]);
  return int(table[idx]) - 128;
}

template <int B, bool Exact>
void Gemm(const Weights& w, const Tables& tb, size_t n, size_t tile_begin, size_t tile_end,
          float* y, size_t y_stride) {
  const packw::Shape& s = w.shape;
  const size_t groups = packw::Groups(s), quads = s.group / 4;
  constexpr int kMaxCode = (1 << B) - 1;
  const float const_bias = 0.5f * float(kMaxCode) - float(w.zero_point);  // zero_point ≥ 0
  for (size_t tile = tile_begin; tile < tile_end; ++tile) {
    for (size_t t = 0; t < n; ++t) {
      const uint8_t* lut = tb.lut + t * tb.lut_stride;
      const float* tscale = tb.scale + t * tb.block_stride;
      const float* tsum = tb.sum + t * tb.block_stride;
      float acc[kTileRows] = {};
      int64_t iacc[kTileRows] = {};
      for (size_t g = 0; g < groups; ++g) {
        int32_t a[kTileRows] = {};
        const uint8_t* bits = w.data.bits + (tile * groups + g) * B * quads * kQuadBytes;
        for (int slot = 0; slot < B; ++slot) {
          const int weight = 1 << (B - 1 - slot);  // planes are stored MSB first
          for (size_t jj = 0; jj < quads; ++jj) {
            const uint8_t* blk = bits + (slot * quads + jj) * kQuadBytes;
            const uint8_t* table = lut + (g * quads + jj) * 16;
            for (size_t p = 0; p < kQuadBytes; ++p) {
              a[RowOfByte(p)] += weight * Lookup<Exact>(table, tb.hi_offset, blk[p] & 15u);
              a[16 + RowOfByte(p)] += weight * Lookup<Exact>(table, tb.hi_offset, blk[p] >> 4);
            }
          }
        }
        const size_t si = (tile * groups + g) * kTileRows;
        for (size_t r = 0; r < kTileRows; ++r) {
          if constexpr (Exact) {
            const int two_z = !s.asymmetric       ? kMaxCode
                              : w.zero_point >= 0 ? 2 * w.zero_point
                                                  : 2 * int(w.data.zero[si + r]);
            const int64_t i2 = int64_t(a[r]) + int64_t(kMaxCode - two_z) * int64_t(tsum[g]);
            if (w.uniform_scale) {
              iacc[r] += i2;
            } else {
              acc[r] += float(i2) * (w.data.scale[si + r] * tscale[g]) * 0.5f;
            }
          } else {
            // Symmetric matrices may come without a bias array (mapped packed files).
            const float bias = !s.asymmetric       ? 0.0f
                               : w.zero_point >= 0 ? w.data.scale[si + r] * const_bias
                                                   : w.data.bias[si + r];
            acc[r] += w.data.scale[si + r] * (0.5f * tscale[g]) * float(a[r]) + bias * tsum[g];
          }
        }
      }
      for (size_t r = 0; r < kTileRows; ++r) {
        const size_t row = tile * kTileRows + r;
        if (row >= s.m) break;
        float v = acc[r];
        if (Exact && w.uniform_scale) {
          v = float(iacc[r]) * (w.data.scale[tile * groups * kTileRows + r] * tscale[0]) * 0.5f;
        }
        y[t * y_stride + row] = v;
      }
    }
  }
}

}  // namespace

LUTRA_LUTGEMM_DEFINE(w1_32x1g4__scalar, Gemm<1, false>)
LUTRA_LUTGEMM_DEFINE(w1a8_32x1g4__scalar, Gemm<1, true>)
LUTRA_LUTGEMM_DEFINE(w2_32x1g4__scalar, Gemm<2, false>)
LUTRA_LUTGEMM_DEFINE(w2a8_32x1g4__scalar, Gemm<2, true>)
LUTRA_LUTGEMM_DEFINE(w3_32x1g4__scalar, Gemm<3, false>)
LUTRA_LUTGEMM_DEFINE(w3a8_32x1g4__scalar, Gemm<3, true>)
LUTRA_LUTGEMM_DEFINE(w4_32x1g4__scalar, Gemm<4, false>)
LUTRA_LUTGEMM_DEFINE(w4a8_32x1g4__scalar, Gemm<4, true>)

}  // namespace lutra::kernels::lutgemm
