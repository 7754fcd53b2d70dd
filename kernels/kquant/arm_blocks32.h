// The NEON and dotprod kquant kernels of the 32-weight formats (Q8_0, Q5_0, Q4_0; IQ4_NL's codes
// are in arm_iq4.h): kRows rows share
// every activation load; each block's dot is a fresh int32x4 (Dot::Block32), and four blocks'
// dots fold pairwise into one vector whose lanes are the blocks, so the fp32 step (convert,
// times d·s, accumulate) runs once per four blocks with the activation scales loaded as they
// lie and the four fp16 d of a row (34 or 22 bytes apart) gathered in the integer unit, which
// the NEON code leaves idle. Rows per pass: four with sdot (more independent chains for the
// in-order A55: 157 → 118 modelled cycles per 256 weights, from two rows), two with widening
// multiplies (four run out of registers: the A72 models 47 → 63). Several tokens: the rows'
// blocks are read again per token from L1.
// Included by the ARM ISA files only; everything is static, so each file compiles it with its
// own flags.
#pragma once

#include <arm_neon.h>

#include <cstring>

#include "kernels/kquant/arm_blocks.h"

namespace lutra::kernels::kquant::arm {

// The fp16 d of four consecutive blocks (the first at p, `stride` bytes apart) as fp32, lanes
// past `count` 0.
template <size_t kStride>
static inline float32x4_t Halves4(const uint8_t* p, size_t count) {
#if defined(__aarch64__)
  // Four ldrh and three shifted orr: in the integer unit (the A76 and X1 model 20% faster than
  // with lane loads; the A55 4% slower).
  uint64_t bits = 0;
  for (size_t j = 0; j < 4; ++j) {
    uint16_t h = 0;
    if (j < count) std::memcpy(&h, p + j * kStride, sizeof h);
    bits |= uint64_t(h) << (16 * j);
  }
  return vcvt_f32_f16(vreinterpret_f16_u64(vcreate_u64(bits)));
#else
  float v[4] = {0, 0, 0, 0};
  for (size_t j = 0; j < count && j < 4; ++j) v[j] = HalfAt(p + j * kStride);
  return vld1q_f32(v);
#endif
}

static inline float32x4_t Fma4(float32x4_t acc, float32x4_t a, float32x4_t b) {
#if defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
  return vfmaq_f32(acc, a, b);
#else
  return vmlaq_f32(acc, a, b);
#endif
}

static inline float32x4_t LoadScales(const float* p, size_t count) {
  if (count == 4) return vld1q_f32(p);
  float v[4] = {0, 0, 0, 0};
  for (size_t j = 0; j < count && j < 4; ++j) v[j] = p[j];
  return vld1q_f32(v);
}

// Each format's codes: kBytes per block, Load (32 codes), and kOffsetShift: 0 for signed codes,
// else the codes are unsigned and small (< 32: Dot::Block32Small) and 2^kOffsetShift·Σa of the
// block comes off its dot.
// Q8_0: codes as stored (signed), no offset.
struct Q8_0Codes {
  static constexpr size_t kBytes = BlockBytes(Format::kQ8_0);
  static constexpr int kOffsetShift = 0;
  static void Load(const uint8_t* blk, int8x16_t q[2]) {
    q[0] = vld1q_s8(reinterpret_cast<const int8_t*>(blk + kQ8_0Qs));
    q[1] = vld1q_s8(reinterpret_cast<const int8_t*>(blk + kQ8_0Qs + 16));
  }
};

// Q5_0: codes q ∈ [0, 32) (the offset 16 comes off the dot as 16·Σa): low nibbles of qs are
// weights 0–15, high nibbles 16–31, bit 4 of weight j is bit j of the 32-bit qh. Byte j of
// each half gets the qh byte that holds its bit (table lookup), shifted so the bit lands on
// bit 4 (vshl by 4 − j % 8, negative counts shift right), and a bit select puts it over the
// nibble.
struct Q5_0Codes {
  static constexpr size_t kBytes = BlockBytes(Format::kQ5_0);
  static constexpr int kOffsetShift = 4;
  static void Load(const uint8_t* blk, int8x16_t q[2]) {
    static constexpr uint8_t kPick[2][16] = {{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1},
                                             {2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3}};
    static constexpr int8_t kShift[16] = {4, 3, 2, 1, 0, -1, -2, -3, 4, 3, 2, 1, 0, -1, -2, -3};
    const uint8x16_t qs = vld1q_u8(blk + kQ5_0Qs);
    uint32_t qh;
    std::memcpy(&qh, blk + kQ5_0Qh, sizeof qh);
    const int8x16_t words = vreinterpretq_s8_u32(vdupq_n_u32(qh));
    const int8x16_t shift = vld1q_s8(kShift);
    const uint8x16_t bit4 = vdupq_n_u8(0x10);
    const uint8x16_t h0 = vshlq_u8(vreinterpretq_u8_s8(Lookup16(words, vld1q_u8(kPick[0]))), shift);
    const uint8x16_t h1 = vshlq_u8(vreinterpretq_u8_s8(Lookup16(words, vld1q_u8(kPick[1]))), shift);
    q[0] = vreinterpretq_s8_u8(vbslq_u8(bit4, h0, vandq_u8(qs, vdupq_n_u8(15))));
    q[1] = vreinterpretq_s8_u8(vbslq_u8(bit4, h1, vshrq_n_u8(qs, 4)));
  }
};

// Q4_0: codes q ∈ [0, 16), the nibbles as stored (low: weights 0–15, high: 16–31); the offset 8
// comes off the dot as 8·Σa.
struct Q4_0Codes {
  static constexpr size_t kBytes = BlockBytes(Format::kQ4_0);
  static constexpr int kOffsetShift = 3;
  static void Load(const uint8_t* blk, int8x16_t q[2]) {
    const uint8x16_t qs = vld1q_u8(blk + kQ4_0Qs);
    q[0] = vreinterpretq_s8_u8(vandq_u8(qs, vdupq_n_u8(15)));
    q[1] = vreinterpretq_s8_u8(vshrq_n_u8(qs, 4));
  }
};

// Rows x[0..kRows) against one token: `count` (≤ 4) blocks from block b, added to acc (lanes =
// blocks).
template <typename Codes, typename Dot, int kRows>
static inline void Blocks4(const uint8_t* const* x, const int8_t* a, const float* s,
                           const int16_t* bs, size_t b, size_t count, float32x4_t* acc) {
  int32x4_t pair[2][kRows];
  for (size_t h = 0; h < 2; ++h) {
    int32x4_t p[2][kRows];
    for (size_t j = 0; j < 2; ++j) {
      const size_t blk = b + 2 * h + j;
      if (2 * h + j >= count) {
        for (int r = 0; r < kRows; ++r) p[j][r] = vdupq_n_s32(0);
        continue;
      }
      const int8x16_t a0 = vld1q_s8(a + 32 * blk), a1 = vld1q_s8(a + 32 * blk + 16);
      for (int r = 0; r < kRows; ++r) {
        int8x16_t q[2];
        Codes::Load(x[r] + blk * Codes::kBytes, q);
        if constexpr (Codes::kOffsetShift != 0) {  // codes < 32
          p[j][r] = Dot::Block32Small(q[0], q[1], a0, a1);
        } else {
          p[j][r] = Dot::Block32(q[0], q[1], a0, a1);
        }
      }
    }
    for (int r = 0; r < kRows; ++r) pair[h][r] = PairAdd(p[0][r], p[1][r]);
  }
  const float32x4_t sv = LoadScales(s + b, count);
  int32x4_t off = vdupq_n_s32(0);
  if constexpr (Codes::kOffsetShift != 0) {
    // 2^kOffsetShift·Σa of each block: its two code sums of 16 (zero past count).
    int16_t sums[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t j = 0; j < 2 * count && j < 8; ++j) sums[j] = bs[2 * b + j];
    const int16x8_t v = vld1q_s16(sums);
    off = vshlq_n_s32(vpaddlq_s16(v), Codes::kOffsetShift);
  }
  for (int r = 0; r < kRows; ++r) {
    int32x4_t dots = PairAdd(pair[0][r], pair[1][r]);
    if constexpr (Codes::kOffsetShift != 0) dots = vsubq_s32(dots, off);
    const float32x4_t dv = Halves4<Codes::kBytes>(x[r] + b * Codes::kBytes, count);
    acc[r] = Fma4(acc[r], vcvtq_f32_s32(dots), vmulq_f32(dv, sv));
  }
}

template <typename Codes, typename Dot, int kRows>
static inline void Rows32(const uint8_t* const* x, size_t blocks, const int8_t* a, const float* s,
                          const int16_t* bs, float* y) {
  float32x4_t acc[kRows];
  for (int r = 0; r < kRows; ++r) acc[r] = vdupq_n_f32(0.0f);
  size_t b = 0;
  for (; b + 4 <= blocks; b += 4) Blocks4<Codes, Dot, kRows>(x, a, s, bs, b, 4, acc);
  if (b < blocks) Blocks4<Codes, Dot, kRows>(x, a, s, bs, b, blocks - b, acc);
  for (int r = 0; r < kRows; ++r) {
#if defined(__aarch64__)
    y[r] = vaddvq_f32(acc[r]);
#else
    const float32x2_t h = vadd_f32(vget_low_f32(acc[r]), vget_high_f32(acc[r]));
    y[r] = vget_lane_f32(vpadd_f32(h, h), 0);
#endif
  }
}

// kRows32 rows at a time (the last pass 1..kRows32 − 1 rows one by one), every token.
template <typename Codes, typename Dot, int kRows32>
static inline void Gemm32(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                          float* y, size_t y_stride) {
  const size_t blocks = w.k / 32;
  size_t r = row_begin;
  for (; r + kRows32 <= row_end; r += kRows32) {
    const uint8_t* x[kRows32];
    for (int i = 0; i < kRows32; ++i) x[i] = w.data + (r + i) * w.row_bytes;
    for (size_t t = 0; t < a.n; ++t) {
      Rows32<Codes, Dot, kRows32>(x, blocks, a.q + t * w.k, a.scale + t * blocks,
                                  a.bsum + t * (w.k / kSumGroup), y + t * y_stride + r);
    }
  }
  for (; r < row_end; ++r) {
    const uint8_t* x[1] = {w.data + r * w.row_bytes};
    for (size_t t = 0; t < a.n; ++t) {
      Rows32<Codes, Dot, 1>(x, blocks, a.q + t * w.k, a.scale + t * blocks,
                            a.bsum + t * (w.k / kSumGroup), y + t * y_stride + r);
    }
  }
}

}  // namespace lutra::kernels::kquant::arm
