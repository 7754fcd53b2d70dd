// Portable ternary3 kernels and the packer. The GEMM here is the layout's plain statement:
// per row and triple, sign·V[index] summed exactly in int64.
#include <algorithm>
#include <cstring>

#include "kernels/ternary3/variants.h"

namespace lutra::kernels::ternary3 {

namespace {

// A triple's codes q0..q2 ∈ {0, 1, 2} as t = 9·q0 + 3·q1 + q2 ∈ [0, 26], so v = t − 13: the
// index |v| and whether v < 0.
struct TripleCodes {
  uint8_t index[27];
  uint8_t negative[27];
  constexpr TripleCodes() : index(), negative() {
    for (int t = 0; t < 27; ++t) {
      index[t] = uint8_t(t < 13 ? 13 - t : t - 13);
      negative[t] = uint8_t(t < 13);
    }
  }
};
constexpr TripleCodes kTripleCodes;

}  // namespace

bool Pack(size_t m, size_t k, const uint8_t* q, uint8_t* data, int32_t* sign_sum) {
  // A reduction without an early exit, so that it vectorizes (with the exit it cost as much
  // as the packing).
  uint8_t largest = 0;
  for (size_t i = 0; i < m * k; ++i) largest = std::max(largest, q[i]);
  if (largest > 2) return false;
  const size_t blocks = Blocks(k), tiles = Tiles(m);
  const size_t full_blocks = k / (3 * kBlockTriples);  // blocks without padding
  std::memset(data, 0, WeightBytes(m, k));
  std::fill(sign_sum, sign_sum + tiles * kTileRows, int32_t(blocks * kBlockTriples));
  // Row by row (sequential reads; a tile's blocks stay in cache): a row's 4 indices of a
  // block are one little-endian u32 at byte 4p (low nibbles for rows p < 16, high for
  // 16 + p), its 4 signs one nibble of a u64.
  for (size_t row = 0; row < m; ++row) {
    const size_t tile = row / kTileRows, r = row % kTileRows, p = r % 16;
    const unsigned nibble_shift = r < 16 ? 0 : 4;
    const size_t sign_offset = r < 16 ? 64 : 72;
    const uint8_t* qr = q + row * k;
    uint8_t* tile_data = data + tile * blocks * kBlockBytes;
    int32_t negatives = 0;
    for (size_t b = 0; b < blocks; ++b) {
      uint8_t padded[3 * kBlockTriples];
      const uint8_t* c = qr + b * 3 * kBlockTriples;
      if (b >= full_blocks) {
        // The last block: padding weights are 0 (code 1).
        for (size_t i = 0; i < 3 * kBlockTriples; ++i) {
          padded[i] = b * 3 * kBlockTriples + i < k ? c[i] : 1;
        }
        c = padded;
      }
      uint32_t indices = 0, signs = 0;
      for (size_t j = 0; j < kBlockTriples; ++j) {
        const unsigned t = 9u * c[3 * j] + 3u * c[3 * j + 1] + c[3 * j + 2];
        indices |= uint32_t(kTripleCodes.index[t]) << (8 * j);
        signs |= uint32_t(kTripleCodes.negative[t]) << j;
        negatives += kTripleCodes.negative[t];
      }
      uint8_t* blk = tile_data + b * kBlockBytes;
      uint32_t word;
      std::memcpy(&word, blk + 4 * p, 4);
      word |= indices << nibble_shift;
      std::memcpy(blk + 4 * p, &word, 4);
      uint64_t mask;
      std::memcpy(&mask, blk + sign_offset, 8);
      mask |= uint64_t(signs) << (4 * p);
      std::memcpy(blk + sign_offset, &mask, 8);
    }
    sign_sum[row] -= 2 * negatives;
  }
  return true;
}

void Unpack(size_t m, size_t k, const uint8_t* data, uint8_t* q) {
  const size_t blocks = Blocks(k);
  for (size_t row = 0; row < m; ++row) {
    const size_t tile = row / kTileRows, r = row % kTileRows, p = r % 16;
    for (size_t b = 0; b < blocks; ++b) {
      const uint8_t* blk = data + (tile * blocks + b) * kBlockBytes;
      for (size_t j = 0; j < kBlockTriples; ++j) {
        const int index = r < 16 ? blk[4 * p + j] & 15 : blk[4 * p + j] >> 4;
        const int bit = 4 * int(p) + int(j);
        const bool negative = (blk[64 + (r < 16 ? 0 : 8) + bit / 8] >> (bit % 8)) & 1;
        for (size_t d = 0; d < 3; ++d) {
          const size_t c = (b * kBlockTriples + j) * 3 + d;
          const int w = BalancedDigit(index, int(d));
          if (c < k) q[row * k + c] = uint8_t((negative ? -w : w) + 1);
        }
      }
    }
  }
}

void build__scalar(size_t k, size_t n, const int8_t* xq, size_t xq_stride, uint8_t* tables) {
  const size_t blocks = Blocks(k);
  for (size_t t = 0; t < n; ++t) {
    const int8_t* x = xq + t * xq_stride;
    uint8_t* tab = tables + t * TableBytes(k);
    for (size_t b = 0; b < blocks; ++b) {
      for (size_t j = 0; j < kBlockTriples; ++j) {
        int a[3];
        for (size_t d = 0; d < 3; ++d) {
          const size_t c = (b * kBlockTriples + j) * 3 + d;
          a[d] = c < k ? x[c] : 0;
        }
        for (int e = 0; e < 16; ++e) {
          const int v =
              BalancedDigit(e, 0) * a[0] + BalancedDigit(e, 1) * a[1] + BalancedDigit(e, 2) * a[2];
          tab[b * kTableBlockBytes + 16 * j + e] = uint8_t(v & 0xFF);
          tab[b * kTableBlockBytes + 64 + 16 * j + e] = uint8_t((v >> 8) + 2);
        }
      }
    }
  }
}

void gemm__scalar(const Weights& w, const uint8_t* tables, const float* act, size_t n,
                  size_t tile_begin, size_t tile_end, float* y, size_t y_stride) {
  const size_t blocks = Blocks(w.k);
  for (size_t tile = tile_begin; tile < tile_end; ++tile) {
    for (size_t r = 0; r < kTileRows; ++r) {
      const size_t row = tile * kTileRows + r, p = r % 16;
      if (row >= w.m) break;
      for (size_t t = 0; t < n; ++t) {
        const uint8_t* tab = tables + t * TableBytes(w.k);
        int64_t lo = 0, hi = 0;
        for (size_t b = 0; b < blocks; ++b) {
          const uint8_t* blk = w.data + (tile * blocks + b) * kBlockBytes;
          for (size_t j = 0; j < kBlockTriples; ++j) {
            const int index = r < 16 ? blk[4 * p + j] & 15 : blk[4 * p + j] >> 4;
            const int bit = 4 * int(p) + int(j);
            const int sign = (blk[64 + (r < 16 ? 0 : 8) + bit / 8] >> (bit % 8)) & 1 ? -1 : 1;
            lo += sign * tab[b * kTableBlockBytes + 16 * j + index];
            hi += sign * tab[b * kTableBlockBytes + 64 + 16 * j + index];
          }
        }
        const int64_t s = lo + 256 * (hi - 2 * int64_t(w.sign_sum[row]));
        y[t * y_stride + row] = float(s) * (w.scale[row] * act[t]);
      }
    }
  }
}

}  // namespace lutra::kernels::ternary3
