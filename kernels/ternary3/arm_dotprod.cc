// AArch64 dotprod ternary3 kernels (Cortex-A55/A76 and later: Pi 5, phones).
//
// Tables (this variant's own build; the weight layout is ternary3.h's): per block 64 bytes
// lo = V & 0xFF read as int8 (V wrapped), then 64 bytes hi = 32·h with h = (V − lo)/256, an
// integer in {−1, 0, 1, 2} for |V| ≤ 3·128 (V = −384 wraps to lo = −128, h = −1; V = 384, from
// three −128 activations, to lo = −128, h = 2). So V = lo + 8·hi exactly with both bytes
// signed: `sdot` with a ±1 multiplier for lo and ±8 for hi adds sign·V of a row's four
// triples into one int32 lane, in one
// accumulator, with no offset to undo (x86 stores hi + 2 ≥ 0 for its unsigned·signed dot and
// subtracts the row's sign sum; here that array is not read).
//
// GEMM, per block (4 triples × 32 rows, 80 bytes): four 16-byte index loads, each 4 rows × 4
// triples; the low nibbles (rows p) and high nibbles (rows 16 + p), or-ed with 16·j, index
// triple j's entries in the block's 64-byte table (`tbl` with four registers); the sign bits
// become ±1 / ±8 bytes (`tbl` spreads the two sign bytes over the 16 lanes, `cmtst` picks each
// lane's bit). Per token 16 table lookups and 16 `sdot` per 384 weights; the index and sign
// work is shared by the tokens of a tile (nr = 1 here: 8 table and 8 accumulator registers
// per token leave no room for a second token in 32 registers without spills).
#include <arm_neon.h>

#include <algorithm>

#include "kernels/ternary3/variants.h"

namespace lutra::kernels::ternary3 {
namespace {

// One block's tables in the byte order above, from 12 int8 activations a[0..11] (4 triples).
// V[e] = Σ_d c_d(e)·a_d in int16 (|V| ≤ 384), 16 entries per triple in two int16x8.
struct Digits {
  int16_t c[3][16];
  constexpr Digits() : c() {
    for (int d = 0; d < 3; ++d) {
      for (int e = 0; e < 16; ++e) c[d][e] = int16_t(BalancedDigit(e, d));
    }
  }
};
constexpr Digits kDigits;

// The weight stream is read once: prefetch it 2 KiB ahead (about 25 blocks of a tile). A
// block is 80 bytes, so it touches one or two 64-byte lines: prefetching its first and last
// byte covers both (the second prefetch of a line already requested is dropped by the core).
constexpr size_t kPrefetchDistance = 2048;

void Tile(const Weights& w, const uint8_t* tables, float act, size_t tile, float* y) {
  const size_t blocks = Blocks(w.k);
  const uint8x16_t nib = vdupq_n_u8(0x0F), one = vdupq_n_u8(1), two = vdupq_n_u8(2);
  // quad: byte 4p + j selects triple j's 16 entries; spread: lane i reads sign byte i / 8
  // (+ 2q per index vector q); bit: lane i tests bit i % 8.
  const uint8x16_t quad = {0, 16, 32, 48, 0, 16, 32, 48, 0, 16, 32, 48, 0, 16, 32, 48};
  const uint8x16_t spread0 = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
  const uint8x16_t bit = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  int32x4_t acc[8];
  for (auto& a : acc) a = vdupq_n_s32(0);
  const uint8_t* data = w.data + tile * blocks * kBlockBytes;
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = data + b * kBlockBytes;
    __builtin_prefetch(blk + kPrefetchDistance);
    __builtin_prefetch(blk + kPrefetchDistance + kBlockBytes - 1);
    const uint8_t* tp = tables + b * kTableBlockBytes;
    const int8x16x4_t lo = vld1q_s8_x4(reinterpret_cast<const int8_t*>(tp));
    const int8x16x4_t hi = vld1q_s8_x4(reinterpret_cast<const int8_t*>(tp + 64));
    const uint8x16_t signs = vld1q_u8(blk + 64);            // rows p: bytes 0..7
    const uint8x16_t signs_hi = vextq_u8(signs, signs, 8);  // rows 16 + p
    uint8x16_t spread = spread0;
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) {
      const uint8x16_t wv = vld1q_u8(blk + 16 * q);
      const uint8x16_t i_lo = vorrq_u8(vandq_u8(wv, nib), quad);
      const uint8x16_t i_hi = vorrq_u8(vshrq_n_u8(wv, 4), quad);
      const int8x16_t s_lo =
          vreinterpretq_s8_u8(vorrq_u8(vtstq_u8(vqtbl1q_u8(signs, spread), bit), one));
      const int8x16_t s_hi =
          vreinterpretq_s8_u8(vorrq_u8(vtstq_u8(vqtbl1q_u8(signs_hi, spread), bit), one));
      spread = vaddq_u8(spread, two);
      acc[q] = vdotq_s32(acc[q], vqtbl4q_s8(lo, i_lo), s_lo);
      acc[q] = vdotq_s32(acc[q], vqtbl4q_s8(hi, i_lo), vshlq_n_s8(s_lo, 3));
      acc[4 + q] = vdotq_s32(acc[4 + q], vqtbl4q_s8(lo, i_hi), s_hi);
      acc[4 + q] = vdotq_s32(acc[4 + q], vqtbl4q_s8(hi, i_hi), vshlq_n_s8(s_hi, 3));
    }
  }
  // acc[q] lane l = row 4q + l, acc[4 + q] lane l = row 16 + 4q + l: row order.
  const size_t row0 = tile * kTileRows;
  const size_t rows = std::min(kTileRows, w.m - row0);
  float out[kTileRows];
  for (int q = 0; q < 8; ++q) {
    const float32x4_t s = vmulq_n_f32(vld1q_f32(w.scale + row0 + 4 * q), act);
    vst1q_f32(out + 4 * q, vmulq_f32(vcvtq_f32_s32(acc[q]), s));
  }
  std::copy(out, out + rows, y + row0);
}

}  // namespace

void build__dotprod(size_t k, size_t n, const int8_t* xq, size_t xq_stride, uint8_t* tables) {
  int16x8_t c[3][2];
  for (int d = 0; d < 3; ++d) {
    c[d][0] = vld1q_s16(kDigits.c[d]);
    c[d][1] = vld1q_s16(kDigits.c[d] + 8);
  }
  const size_t blocks = Blocks(k), block_k = kBlockTriples * 3;
  for (size_t t = 0; t < n; ++t) {
    const int8_t* x = xq + t * xq_stride;
    uint8_t* tab = tables + t * TableBytes(k);
    for (size_t b = 0; b < blocks; ++b) {
      // Only activations below k are read (the rest are zero tables).
      int8_t a[12] = {};
      const size_t c0 = b * block_k;
      std::copy(x + c0, x + c0 + std::min(block_k, k - c0), a);
      uint8_t* out = tab + b * kTableBlockBytes;
      for (size_t j = 0; j < kBlockTriples; ++j) {
        for (int h = 0; h < 2; ++h) {
          int16x8_t v = vmulq_n_s16(c[0][h], a[3 * j]);
          v = vmlaq_n_s16(v, c[1][h], a[3 * j + 1]);
          v = vmlaq_n_s16(v, c[2][h], a[3 * j + 2]);
          const int8x8_t lo = vmovn_s16(v);
          // 32·h = (V − lo) / 8, exact: V − lo is a multiple of 256.
          const int8x8_t hi = vmovn_s16(vshrq_n_s16(vsubq_s16(v, vmovl_s8(lo)), 3));
          vst1_s8(reinterpret_cast<int8_t*>(out + 16 * j + 8 * h), lo);
          vst1_s8(reinterpret_cast<int8_t*>(out + 64 + 16 * j + 8 * h), hi);
        }
      }
    }
  }
}

void gemm__dotprod(const Weights& w, const uint8_t* tables, const float* act, size_t n,
                   size_t tile_begin, size_t tile_end, float* y, size_t y_stride) {
  for (size_t tile = tile_begin; tile < tile_end; ++tile) {
    for (size_t t = 0; t < n; ++t) {
      Tile(w, tables + t * TableBytes(w.k), act[t], tile, y + t * y_stride);
    }
  }
}

}  // namespace lutra::kernels::ternary3
