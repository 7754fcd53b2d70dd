// NEON ternary2 GEMM (AArch64 and ARMv7, no dot product).
//
// Several tokens (both architectures; ARMv7 for one token too), one group of four rows per
// step: the same unpack as the dotprod kernel (`and` per field: 4^f·(w + 1), field 3 64·w),
// then widening byte multiplies. A code register's half is two rows × four k; smull / smlal of
// it with the field's four activations replicated (one ld1r per quad) chain the four registers
// of a chunk in int16 (at most 4·64·127 = 32512 per lane, field 3; no overflow), the fields'
// chains are combined with exact arithmetic shifts (ssra #2, #4, #6: each is a multiple of its
// power of four) and one sadalp per half folds pairs into int32 lanes. Two tokens per weight
// load.
//
// One token on AArch64 (decode): Decode below, two groups per step sharing each activation
// load, with two of every sixteen units off the multiply pipe (the A72's one) and the
// activations replicated in a stack copy.
#include <arm_neon.h>

#include <cstring>

#include "arch/arm/exp_neon.h"
#include "kernels/f16/convert.h"
#include "kernels/ternary2/variants.h"

namespace lutra::kernels::ternary2 {
namespace {

using arch::arm::NeonFma;

// [a0+a1, a2+a3, b0+b1, b2+b3] (vpaddq_s32 is AArch64 only).
inline int32x4_t PairAdd(int32x4_t a, int32x4_t b) {
#if defined(__aarch64__)
  return vpaddq_s32(a, b);
#else
  return vcombine_s32(vpadd_s32(vget_low_s32(a), vget_high_s32(a)),
                      vpadd_s32(vget_low_s32(b), vget_high_s32(b)));
#endif
}

// The four fp16 scales at p as fp32. ARMv7's fp16 conversions need -mfp16-format, which the
// armhf NEON group does not set, so it converts in software.
inline float32x4_t BlockScales(const uint16_t* p) {
#if defined(__aarch64__)
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
#else
  float v[kRows];
  for (size_t j = 0; j < kRows; ++j) v[j] = f16::HalfToFloat(p[j]);
  return vld1q_f32(v);
#endif
}

// Four activations (4-byte aligned) in every 32-bit lane.
inline int8x16_t Quad(const int8_t* p) {
  return vreinterpretq_s8_s32(vld1q_dup_s32(reinterpret_cast<const int32_t*>(p)));
}

// Field f of a chunk's four registers for G groups and T tokens, added to comb (int16 lanes,
// per group, token and half) with its power of four removed.
template <int f, size_t G, size_t T>
inline void Field(const uint8x16_t (&v)[G][4], uint8x16_t mask, const int8_t* const (&act)[T],
                  int16x8_t (&comb)[G][T][2]) {
  int16x8_t ch[G][T][2];
  for (int s = 0; s < 4; ++s) {
    int8x16_t quad[T];
    for (size_t t = 0; t < T; ++t) quad[t] = Quad(act[t] + 16 * f + 4 * s);
    for (size_t g = 0; g < G; ++g) {
      const int8x16_t wf = vreinterpretq_s8_u8(vandq_u8(v[g][s], mask));
      for (size_t t = 0; t < T; ++t) {
        const int8x8_t lo = vget_low_s8(wf), hi = vget_high_s8(wf);
        if (s == 0) {
          ch[g][t][0] = vmull_s8(lo, vget_low_s8(quad[t]));
          ch[g][t][1] = vmull_s8(hi, vget_high_s8(quad[t]));
        } else {
          ch[g][t][0] = vmlal_s8(ch[g][t][0], lo, vget_low_s8(quad[t]));
          ch[g][t][1] = vmlal_s8(ch[g][t][1], hi, vget_high_s8(quad[t]));
        }
      }
    }
  }
  for (size_t g = 0; g < G; ++g) {
    for (size_t t = 0; t < T; ++t) {
      for (size_t h = 0; h < 2; ++h) {
        if constexpr (f == 0) {
          comb[g][t][h] = ch[g][t][h];
        } else {
          comb[g][t][h] = vsraq_n_s16(comb[g][t][h], ch[g][t][h], 2 * f);
        }
      }
    }
  }
}

// G groups (rows 4·g0 .. 4·(g0 + G)), T tokens from t0; kBlocks: fp16 scale per block.
template <size_t G, size_t T, bool kBlocks>
void Tile(const Weights& w, const Activations& a, size_t g0, size_t t0, size_t row_end, float* y,
          size_t y_stride) {
  const size_t blocks = Blocks(w.k), sums = SumCount(w.k);
  const uint8x16_t m0 = vdupq_n_u8(0x03), m1 = vdupq_n_u8(0x0C), m2 = vdupq_n_u8(0x30),
                   m3 = vdupq_n_u8(0xC0);
  const uint8_t* codes[G];
  for (size_t g = 0; g < G; ++g) codes[g] = w.codes + (g0 + g) * GroupBytes(w.k);
  // Rows 0, 1 (acc[..][0]) and 2, 3 ([1]), pairs of lanes per row.
  int32x4_t acc[G][T][2];
  float32x4_t part[G][T];
  for (size_t g = 0; g < G; ++g) {
    for (size_t t = 0; t < T; ++t) {
      part[g][t] = vdupq_n_f32(0.0f);
      acc[g][t][0] = acc[g][t][1] = vdupq_n_s32(0);
    }
  }
  for (size_t b = 0; b < blocks; ++b) {
    for (size_t c = b * (kBlock / kChunk); c < (b + 1) * (kBlock / kChunk); ++c) {
      uint8x16_t v[G][4];
      for (size_t g = 0; g < G; ++g) {
        for (size_t s = 0; s < 4; ++s) v[g][s] = vld1q_u8(codes[g] + c * 64 + 16 * s);
      }
      const int8_t* act[T];
      for (size_t t = 0; t < T; ++t) act[t] = a.q + (t0 + t) * a.k + c * kChunk;
      int16x8_t comb[G][T][2];
      Field<0>(v, m0, act, comb);
      Field<1>(v, m1, act, comb);
      Field<2>(v, m2, act, comb);
      Field<3>(v, m3, act, comb);
      for (size_t g = 0; g < G; ++g) {
        for (size_t t = 0; t < T; ++t) {
          for (size_t h = 0; h < 2; ++h) acc[g][t][h] = vpadalq_s16(acc[g][t][h], comb[g][t][h]);
        }
      }
    }
    if constexpr (kBlocks) {
      for (size_t g = 0; g < G; ++g) {
        const float32x4_t d = BlockScales(w.block_scale + ((g0 + g) * blocks + b) * kRows);
        for (size_t t = 0; t < T; ++t) {
          const int32x4_t dot = vsubq_s32(PairAdd(acc[g][t][0], acc[g][t][1]),
                                          vdupq_n_s32(a.sums[(t0 + t) * sums + b]));
          part[g][t] = NeonFma(part[g][t], vcvtq_f32_s32(dot), d);
          acc[g][t][0] = acc[g][t][1] = vdupq_n_s32(0);
        }
      }
    }
  }
  for (size_t g = 0; g < G; ++g) {
    const size_t r0 = (g0 + g) * kRows;
    const size_t rows = row_end - r0 < kRows ? row_end - r0 : kRows;
    for (size_t t = 0; t < T; ++t) {
      const float s = a.scale[t0 + t];
      float32x4_t out;
      if constexpr (kBlocks) {
        out = vmulq_n_f32(part[g][t], s);
      } else {
        const int32x4_t dot = vsubq_s32(PairAdd(acc[g][t][0], acc[g][t][1]),
                                        vdupq_n_s32(a.sums[(t0 + t) * sums + blocks]));
        out = vmulq_n_f32(vmulq_f32(vcvtq_f32_s32(dot), vld1q_f32(w.row_scale + r0)), s);
      }
      float* yt = y + (t0 + t) * y_stride + r0;
      if (rows == kRows) {
        vst1q_f32(yt, out);
      } else {
        float buf[kRows];
        vst1q_f32(buf, out);
        std::memcpy(yt, buf, rows * sizeof(float));
      }
    }
  }
}

// One group per step, two tokens per weight load.
template <bool kBlocks>
void Gemm(const Weights& w, const Activations& a, size_t row_begin, size_t row_end, float* y,
          size_t y_stride) {
  const size_t g_begin = row_begin / kRows, g_end = Groups(row_end);
  for (size_t g = g_begin; g < g_end; ++g) {
    size_t t = 0;
    for (; t + 2 <= a.n; t += 2) Tile<1, 2, kBlocks>(w, a, g, t, row_end, y, y_stride);
    if (t < a.n) Tile<1, 1, kBlocks>(w, a, g, t, row_end, y, y_stride);
  }
}

#if defined(__aarch64__)
// One token on AArch64 (decode). The A72 has one integer-multiply pipe: the path above needs
// 32 multiplies per 256 weights, 32 cycles however they are chained. Here a chunk's sixteen
// (field, register) units of 16 weights split into
//   14 multiplied: one `and` (0x03 / 0x0C / 0x30: 4^f·u, u = w + 1) or, field 3, `sshr #6`
//     (w itself), then smull / smlal + smlal2 into an int16 chain: 3 instructions, 2 of them
//     multiplies;
//   2 sign-applied (field 2 of registers 0 and 1): u·a = (a ∧ [u ≠ 0]) + (a ∧ [u = 2]) by two
//     cmtst, two `and` and two sadalp into int16 pairs (the sum would overflow int8): 6
//     instructions, no multiply.
// Per 256 weights that is 28 multiplies against ~56 vector instructions, balanced on the A72
// model's two vector pipes (all but the multiplies and sadalp / ssra issue on either): ~28
// cycles, where the all-multiply path's floor is 32. The activation quads are 16-byte loads
// from a stack copy of the token with every quad replicated (no ld1r, whose second micro-op
// takes a vector pipe), made once per kSliceBlocks blocks for every group of the call.
// Chains per group and register half, per block (lane maxima for |a| ≤ 127):
//   c03: field 0 (u·a ≤ 254) and field 3 (w·a ≤ 127), 16 each: 6096;
//   c2: field 2 of registers 2, 3 (16u·a ≤ 4064), 8: 32512;
//   c1: field 1 (4u·a ≤ 1016), 16: 16256, then + c2 / 4 ≤ 24384;
//   c03 + c1 / 4 ≤ 12192 (exact: c2 is a multiple of 16, c1 + c2 / 4 of 4); the halves added
//   pairwise ≤ 24384, plus the sign-applied pairs (8 units·2·254 = 4064): 28448; then int32.
// The offset (u = w + 1) comes off with the activation sums of fields 0..2, as in the other
// kernels.
constexpr size_t kSliceBlocks = 16;  // blocks per slice: 16 KiB of replicated activations

// The token's activations at a, `quads` quads of four, each replicated into 16 bytes at rep.
inline void Replicate(const int8_t* a, size_t quads, int8_t* rep) {
  for (size_t q = 0; q < quads; q += 4) {
    const int32x4_t v = vreinterpretq_s32_s8(vld1q_s8(a + 4 * q));
    vst1q_s32(reinterpret_cast<int32_t*>(rep + 16 * q), vdupq_laneq_s32(v, 0));
    vst1q_s32(reinterpret_cast<int32_t*>(rep + 16 * q + 16), vdupq_laneq_s32(v, 1));
    vst1q_s32(reinterpret_cast<int32_t*>(rep + 16 * q + 32), vdupq_laneq_s32(v, 2));
    vst1q_s32(reinterpret_cast<int32_t*>(rep + 16 * q + 48), vdupq_laneq_s32(v, 3));
  }
}

// A block of two groups (a, b) is one asm statement with fixed registers. GCC, given the same
// work as intrinsics or as an asm statement per chunk with the chains as operands, moved the
// chains from register to register (a `mov` per one to three multiplies, ~2.5 cycles per 256
// weights on the A72 model; between chunks, ~0.5). Registers: chains of group a v0..v6 (c03
// lo, hi, c1 lo, hi, c2 lo, hi, sign), of group b v7..v13; code registers v14 (a), v15 (b);
// the activation quad v16; temporaries v17..v20. Code register s of chunk c at ca / cb +
// 64·c + 16·s, the replicated quad of field f at rp + 256·c + 64·f + 16·s.
// clang-format off
#define T2_A03L "v0"
#define T2_A03H "v1"
#define T2_A1L "v2"
#define T2_A1H "v3"
#define T2_A2L "v4"
#define T2_A2H "v5"
#define T2_ASIGN "v6"
#define T2_B03L "v7"
#define T2_B03H "v8"
#define T2_B1L "v9"
#define T2_B1H "v10"
#define T2_B2L "v11"
#define T2_B2H "v12"
#define T2_BSIGN "v13"
// Field f (mask) of both groups' registers times the quad at OFF into chains AL/AH, BL/BH.
#define T2_FIELD(OFF, MASK, OP, AL, AH, BL, BH)                 \
  "ldr q16, [%[rp], #" OFF "]\n\t"                             \
  "and v17.16b, v14.16b, %[" MASK "].16b\n\t"                  \
  "and v18.16b, v15.16b, %[" MASK "].16b\n\t"                  \
  OP " " AL ".8h, v17.8b, v16.8b\n\t"                          \
  OP " " BL ".8h, v18.8b, v16.8b\n\t"                          \
  OP "2 " AH ".8h, v17.16b, v16.16b\n\t"                       \
  OP "2 " BH ".8h, v18.16b, v16.16b\n\t"
// Field 2 without a multiply: u·r = (r ∧ [u ≠ 0]) + (r ∧ [u = 2]) into the sign chains.
#define T2_SIGN(OFF, OP)                                        \
  "ldr q16, [%[rp], #" OFF "]\n\t"                             \
  "cmtst v17.16b, v14.16b, %[m2].16b\n\t"                      \
  "cmtst v18.16b, v15.16b, %[m2].16b\n\t"                      \
  "cmtst v19.16b, v14.16b, %[m5].16b\n\t"                      \
  "cmtst v20.16b, v15.16b, %[m5].16b\n\t"                      \
  "and v17.16b, v17.16b, v16.16b\n\t"                          \
  "and v18.16b, v18.16b, v16.16b\n\t"                          \
  "and v19.16b, v19.16b, v16.16b\n\t"                          \
  "and v20.16b, v20.16b, v16.16b\n\t"                          \
  OP " " T2_ASIGN ".8h, v17.16b\n\t"                           \
  OP " " T2_BSIGN ".8h, v18.16b\n\t"                           \
  "sadalp " T2_ASIGN ".8h, v19.16b\n\t"                        \
  "sadalp " T2_BSIGN ".8h, v20.16b\n\t"
// Field 3: sshr #6 is w itself, into the c03 chains.
#define T2_F3(OFF)                                              \
  "ldr q16, [%[rp], #" OFF "]\n\t"                             \
  "sshr v17.16b, v14.16b, #6\n\t"                              \
  "sshr v18.16b, v15.16b, #6\n\t"                              \
  "smlal " T2_A03L ".8h, v17.8b, v16.8b\n\t"                   \
  "smlal " T2_B03L ".8h, v18.8b, v16.8b\n\t"                   \
  "smlal2 " T2_A03H ".8h, v17.16b, v16.16b\n\t"                \
  "smlal2 " T2_B03H ".8h, v18.16b, v16.16b\n\t"
#define T2_F01(F0, F1, OP)                                                                  \
  T2_FIELD(F0, "m0", OP, T2_A03L, T2_A03H, T2_B03L, T2_B03H)                              \
  T2_FIELD(F1, "m1", OP, T2_A1L, T2_A1H, T2_B1L, T2_B1H)
#define T2_F2(F2, OP) T2_FIELD(F2, "m2", OP, T2_A2L, T2_A2H, T2_B2L, T2_B2H)
// Register s of chunk c: code offset S, activation offsets of fields 0..3.
#define T2_REG(S, F0, F1, F2, F3, OP01, FIELD2)                                             \
  "ldr q14, [%[ca], #" S "]\n\t"                                                          \
  "ldr q15, [%[cb], #" S "]\n\t"                                                          \
  T2_F01(F0, F1, OP01) FIELD2 T2_F3(F3)
// Chunk c (code bytes C0..C3 for its registers, activations from byte A·256): registers 0, 1
// sign-apply field 2, registers 2, 3 multiply it. The first chunk starts the chains.
#define T2_CHUNK(C0, C1, C2, C3, R, OP01, OPS, OP2)                                         \
  T2_REG(C0, R "0", R "64", R "128", R "192", OP01, T2_SIGN(R "128", OPS))                \
  T2_REG(C1, R "16", R "80", R "144", R "208", "smlal", T2_SIGN(R "144", "sadalp"))       \
  T2_REG(C2, R "32", R "96", R "160", R "224", "smlal", T2_F2(R "160", OP2))              \
  T2_REG(C3, R "48", R "112", R "176", R "240", "smlal", T2_F2(R "176", "smlal"))
// The block's sums of group a into ta, b into tb: c03 + (c1 + c2 / 4) / 4 (exact: c2 is a
// multiple of 16, c1 + c2 / 4 of 4), the halves added pairwise, plus the sign pairs: lanes
// are rows 0..3, two per row.
#define T2_FINISH                                               \
  "ssra " T2_A1L ".8h, " T2_A2L ".8h, #2\n\t"                  \
  "ssra " T2_B1L ".8h, " T2_B2L ".8h, #2\n\t"                  \
  "ssra " T2_A1H ".8h, " T2_A2H ".8h, #2\n\t"                  \
  "ssra " T2_B1H ".8h, " T2_B2H ".8h, #2\n\t"                  \
  "ssra " T2_A03L ".8h, " T2_A1L ".8h, #2\n\t"                 \
  "ssra " T2_B03L ".8h, " T2_B1L ".8h, #2\n\t"                 \
  "ssra " T2_A03H ".8h, " T2_A1H ".8h, #2\n\t"                 \
  "ssra " T2_B03H ".8h, " T2_B1H ".8h, #2\n\t"                 \
  "addp " T2_A03L ".8h, " T2_A03L ".8h, " T2_A03H ".8h\n\t"    \
  "addp " T2_B03L ".8h, " T2_B03L ".8h, " T2_B03H ".8h\n\t"    \
  "add %[ta].8h, " T2_A03L ".8h, " T2_ASIGN ".8h\n\t"          \
  "add %[tb].8h, " T2_B03L ".8h, " T2_BSIGN ".8h\n\t"
// clang-format on

struct DecodeMasks {
  uint8x16_t m0, m1, m2, m5;
};

// One block of groups a and b: codes at ca, cb, replicated activations at rp; their sums
// (T2_FINISH) into ta, tb.
[[gnu::always_inline]] inline void DecodeBlock(const uint8_t* ca, const uint8_t* cb,
                                               const int8_t* rp, const DecodeMasks& m,
                                               int16x8_t& ta, int16x8_t& tb) {
  // clang-format off
  asm(T2_CHUNK("0", "16", "32", "48", "", "smull", "saddlp", "smull")
      T2_CHUNK("64", "80", "96", "112", "256+", "smlal", "sadalp", "smlal")
      T2_CHUNK("128", "144", "160", "176", "512+", "smlal", "sadalp", "smlal")
      T2_CHUNK("192", "208", "224", "240", "768+", "smlal", "sadalp", "smlal")
      T2_FINISH
      // clang-format on
      : [ta] "=w"(ta), [tb] "=w"(tb)
      : [ca] "r"(ca), [cb] "r"(cb), [rp] "r"(rp), [m0] "w"(m.m0), [m1] "w"(m.m1), [m2] "w"(m.m2),
        [m5] "w"(m.m5)
      : "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12",
        "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20");
}
#undef T2_FINISH
#undef T2_CHUNK
#undef T2_REG
#undef T2_F2
#undef T2_F01
#undef T2_F3
#undef T2_SIGN
#undef T2_FIELD
#undef T2_A03L
#undef T2_A03H
#undef T2_A1L
#undef T2_A1H
#undef T2_A2L
#undef T2_A2H
#undef T2_ASIGN
#undef T2_B03L
#undef T2_B03H
#undef T2_B1L
#undef T2_B1H
#undef T2_B2L
#undef T2_B2H
#undef T2_BSIGN

// Four rows' fp32 values at p (rows < 4: the rest read as 0) and back.
inline float32x4_t LoadRows(const float* p, size_t rows) {
  if (rows == kRows) return vld1q_f32(p);
  float buf[kRows] = {};
  std::memcpy(buf, p, rows * sizeof(float));
  return vld1q_f32(buf);
}
inline void StoreRows(float* p, size_t rows, float32x4_t v) {
  if (rows == kRows) {
    vst1q_f32(p, v);
    return;
  }
  float buf[kRows];
  vst1q_f32(buf, v);
  std::memcpy(p, buf, rows * sizeof(float));
}

// Blocks [b0, b0 + nb) of groups g0 and g0 + 1 against the replicated slice at rep (G = 1: the
// last group alone, computed twice). Between slices y holds each row's running value:
// uniform, the int32 sum (its bits); blocks, the fp32 sum.
template <size_t G, bool kBlocks>
void DecodeTile(const Weights& w, const Activations& a, const int8_t* rep, size_t b0, size_t nb,
                size_t g0, size_t row_end, float* y) {
  const size_t blocks = Blocks(w.k);
  const bool first = b0 == 0, last = b0 + nb == blocks;
  DecodeMasks m;
  m.m0 = vdupq_n_u8(0x03);
  m.m1 = vdupq_n_u8(0x0C);
  m.m2 = vdupq_n_u8(0x30);
  m.m5 = vdupq_n_u8(0x20);
  const uint8_t* code[2];
  size_t rows[G];
  int32x4_t acc[G];
  float32x4_t part[G];
  for (size_t g = 0; g < 2; ++g) {
    code[g] = w.codes + (g0 + (g < G ? g : 0)) * GroupBytes(w.k) + b0 * kBlock;
  }
  for (size_t g = 0; g < G; ++g) {
    const size_t r0 = (g0 + g) * kRows;
    rows[g] = row_end - r0 < kRows ? row_end - r0 : kRows;
    const float32x4_t prev = first ? vdupq_n_f32(0.0f) : LoadRows(y + r0, rows[g]);
    acc[g] = vreinterpretq_s32_f32(prev);
    part[g] = prev;
  }
  for (size_t b = 0; b < nb; ++b) {
    int16x8_t t[2];
    DecodeBlock(code[0] + b * kBlock, code[1] + b * kBlock, rep + b * kBlock * 4, m, t[0], t[1]);
    for (size_t g = 0; g < G; ++g) {
      if constexpr (kBlocks) {
        const int32x4_t dot = vsubq_s32(vpaddlq_s16(t[g]), vdupq_n_s32(a.sums[b0 + b]));
        const float32x4_t d = BlockScales(w.block_scale + ((g0 + g) * blocks + b0 + b) * kRows);
        part[g] = vfmaq_f32(part[g], vcvtq_f32_s32(dot), d);
      } else {
        acc[g] = vpadalq_s16(acc[g], t[g]);
      }
    }
  }
  // Every group's result before any store (StoreRows branches on partial groups).
  float32x4_t out[G];
  for (size_t g = 0; g < G; ++g) {
    if (!last) {
      out[g] = kBlocks ? part[g] : vreinterpretq_f32_s32(acc[g]);
    } else if constexpr (kBlocks) {
      out[g] = vmulq_n_f32(part[g], a.scale[0]);
    } else {
      const int32x4_t dot = vsubq_s32(acc[g], vdupq_n_s32(a.sums[blocks]));
      out[g] = vmulq_n_f32(vmulq_f32(vcvtq_f32_s32(dot), vld1q_f32(w.row_scale + (g0 + g) * kRows)),
                           a.scale[0]);
    }
  }
  for (size_t g = 0; g < G; ++g) StoreRows(y + (g0 + g) * kRows, rows[g], out[g]);
}

template <bool kBlocks>
void Decode(const Weights& w, const Activations& a, size_t row_begin, size_t row_end, float* y) {
  alignas(16) int8_t rep[kSliceBlocks * kBlock * 4];
  const size_t blocks = Blocks(w.k), g_begin = row_begin / kRows, g_end = Groups(row_end);
  for (size_t b0 = 0; b0 < blocks; b0 += kSliceBlocks) {
    const size_t nb = blocks - b0 < kSliceBlocks ? blocks - b0 : kSliceBlocks;
    Replicate(a.q + b0 * kBlock, nb * kBlock / 4, rep);
    size_t g = g_begin;
    for (; g + 2 <= g_end; g += 2) DecodeTile<2, kBlocks>(w, a, rep, b0, nb, g, row_end, y);
    if (g < g_end) DecodeTile<1, kBlocks>(w, a, rep, b0, nb, g, row_end, y);
  }
}
#endif

}  // namespace

#if defined(__aarch64__)
// One token: two groups per step sharing each activation load (Decode); several tokens: one
// group per step, two tokens per weight load.
void gemm_r8t2__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                     float* y, size_t y_stride) {
  if (a.n == 1) {
    if (w.block_scale != nullptr) {
      Decode<true>(w, a, row_begin, row_end, y);
    } else {
      Decode<false>(w, a, row_begin, row_end, y);
    }
  } else if (w.block_scale != nullptr) {
    Gemm<true>(w, a, row_begin, row_end, y, y_stride);
  } else {
    Gemm<false>(w, a, row_begin, row_end, y, y_stride);
  }
}
#else
// ARMv7 (16 q registers): one group per step, two tokens per weight load.
void gemm_r4t2__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                     float* y, size_t y_stride) {
  if (w.block_scale != nullptr) {
    Gemm<true>(w, a, row_begin, row_end, y, y_stride);
  } else {
    Gemm<false>(w, a, row_begin, row_end, y, y_stride);
  }
}
#endif

}  // namespace lutra::kernels::ternary2
