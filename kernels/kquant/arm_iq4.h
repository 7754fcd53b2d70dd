// The NEON and dotprod kquant kernels of IQ4_NL and IQ4_XS (llama.cpp's non-linear 4-bit
// formats, block_fields.h): each 16 qs bytes give 32 nibbles (low: weights 0–15, high: 16–31),
// and one table lookup of the 16-value codebook per 16 nibbles turns them into the signed
// values, which multiply the int8 activations exactly as Q8_0's codes do: sdot, or widening
// multiplies with two products per int16 lane (|2·127·127| < 2^15; four, as Q4_K's Sum32
// takes, could overflow).
//   IQ4_NL  Q8_0's driver (arm_blocks32.h: four rows per pass with sdot, two with widening
//           multiplies, four blocks per fp32 step) with the looked-up values as its codes.
//   IQ4_XS  Q4_K's structure without mins: eight sub-blocks of 32 under integer scales
//           (6-bit − 32) applied in int32 by multiply-accumulate by lane, with sdot one chain per
//           super-block and the scale differences (summation by parts, arm_blocks.h). Decode
//           runs two rows per pass, each 16 qs bytes looked up just before their dot, as
//           Q4KDecodeRows; several tokens take the shared driver (a super-block's sixteen code
//           registers, then every token's dots).
// Included by the ARM ISA files only; everything is static, so each file compiles it with its
// own flags.
#pragma once

#include <arm_neon.h>

#include "kernels/kquant/arm_blocks.h"
#include "kernels/kquant/arm_blocks32.h"

namespace lutra::kernels::kquant::arm {

static inline int8x16_t IQ4Table() {
  return vld1q_s8(kIQ4Values);
}

// The codebook values of 16 qs bytes: weights 0–15 (low nibbles) and 16–31 (high).
static inline void IQ4Lookup(int8x16_t values, uint8x16_t qs, int8x16_t* lo, int8x16_t* hi) {
  *lo = Lookup16(values, vandq_u8(qs, vdupq_n_u8(15)));
  *hi = Lookup16(values, vshrq_n_u8(qs, 4));
}

// IQ4_NL for Gemm32 (arm_blocks32.h): signed codes, no offset.
struct IQ4NLCodes {
  static constexpr size_t kBytes = BlockBytes(Format::kIQ4NL);
  static constexpr int kOffsetShift = 0;
  static void Load(const uint8_t* blk, int8x16_t q[2]) {
    IQ4Lookup(IQ4Table(), vld1q_u8(blk + kIQ4NLQs), &q[0], &q[1]);
  }
};

// The eight IQ4_XS scales (sc_j, or sc_j − sc_j+1 with sc_8 = 0 when chained) as int32.
template <bool kChained>
static inline void IQ4XSScales(const uint8_t* blk, int32x4_t sc[2]) {
  const int8x8_t s8 = vsub_s8(vreinterpret_s8_u64(vcreate_u64(IQ4XSScales8(blk))), vdup_n_s8(32));
  // |sc_j − sc_j+1| ≤ 63: the top byte shifted in is sc_8 = 0.
  const int8x8_t next =
      kChained ? vreinterpret_s8_u64(vshr_n_u64(vreinterpret_u64_s8(s8), 8)) : vdup_n_s8(0);
  const int16x8_t diff = vsubl_s8(s8, next);
  sc[0] = vmovl_s16(vget_low_s16(diff));
  sc[1] = vmovl_s16(vget_high_s16(diff));
}

// A sub-block's dot: chained onto p (sdot) or fresh (widening multiplies, two per int16 lane).
template <typename Dot>
static inline int32x4_t IQ4Dot32(int32x4_t p, int8x16_t q0, int8x16_t q1, int8x16_t a0,
                                 int8x16_t a1) {
  if constexpr (Dot::kChained) {
    return Dot::Add32(p, q0, q1, a0, a1);
  } else {
    return Dot::Block32(q0, q1, a0, a1);
  }
}

// IQ4_XS for GemmRows (arm_blocks.h): codes q[2j], q[2j + 1] are sub-block j.
template <bool kChained>
struct IQ4XS {
  static constexpr size_t kBytes = BlockBytes(Format::kIQ4XS);
  using Acc = float;

  int8x16_t q[16];
  int32x4_t sc[2];  // sub-blocks 0–3 and 4–7 (IQ4XSScales)
  float d;

  explicit IQ4XS(const uint8_t* blk) {
    const int8x16_t values = IQ4Table();
    for (int j = 0; j < 8; ++j) {
      IQ4Lookup(values, vld1q_u8(blk + kIQ4XSQs + 16 * j), &q[2 * j], &q[2 * j + 1]);
    }
    IQ4XSScales<kChained>(blk, sc);
    d = Half(blk);
  }

  static Acc Zero() { return 0.0f; }
  static float Result(Acc acc) { return acc; }

  template <typename Dot>
  void Add(Acc& acc, const int8_t* a, const int16_t* /*bs*/, float s) const {
    int32x4_t p = vdupq_n_s32(0), dots;
    Unroll<8>([&](auto jc) {
      constexpr int j = jc;
      p = IQ4Dot32<Dot>(p, q[2 * j], q[2 * j + 1], vld1q_s8(a + 32 * j), vld1q_s8(a + 32 * j + 16));
      if constexpr (j == 0) {
        dots = MulLane<0>(p, sc[0]);
      } else {
        dots = MlaLane<j % 4>(dots, p, sc[j / 4]);
      }
    });
    acc += d * s * float(AddLanes(dots));
  }
};

// IQ4_XS decode (one token), kRows rows per pass: shared activation loads, one float step for
// both rows, independent chains; each sub-block's 16 qs bytes are looked up just before its dot.
template <typename Dot, int kRows>
static inline void IQ4XSDecodeRows(const uint8_t* const* x, size_t blocks, const int8_t* a,
                                   const float* s, float* out) {
  constexpr size_t kBytes = BlockBytes(Format::kIQ4XS);
  const int8x16_t values = IQ4Table();
  // Row r's Σ d·s·D in lane r.
  float32x2_t acc = vdup_n_f32(0.0f);
  for (size_t b = 0; b < blocks; ++b) {
    const int8_t* ab = a + b * kSuperBlock;
    int32x4_t sc[kRows][2], t[kRows], p[kRows];
    const uint8_t* blk[kRows];
    for (int r = 0; r < kRows; ++r) {
      blk[r] = x[r] + b * kBytes;
      IQ4XSScales<Dot::kChained>(blk[r], sc[r]);
      p[r] = vdupq_n_s32(0);
    }
    Unroll<8>([&](auto jc) {
      constexpr int j = jc;
      const int8x16_t a0 = vld1q_s8(ab + 32 * j), a1 = vld1q_s8(ab + 32 * j + 16);
      for (int r = 0; r < kRows; ++r) {
        int8x16_t q0, q1;
        IQ4Lookup(values, vld1q_u8(blk[r] + kIQ4XSQs + 16 * j), &q0, &q1);
        p[r] = IQ4Dot32<Dot>(p[r], q0, q1, a0, a1);
        if constexpr (j == 0) {
          t[r] = MulLane<0>(p[r], sc[r][0]);
        } else {
          t[r] = MlaLane<j % 4>(t[r], p[r], sc[r][j / 4]);
        }
      }
    });
    // [T_0, T_1] (one row: twice row 0's), scaled by [d_0, d_1]·s.
    const int32x4_t f = PairAdd(t[0], t[kRows - 1]);
    float32x2_t d = vdup_n_f32(Half(blk[0]));
    if constexpr (kRows == 2) d = vset_lane_f32(Half(blk[1]), d, 1);
    acc = Fma2(acc, vcvt_f32_s32(vget_low_s32(PairAdd(f, f))), vmul_n_f32(d, s[b]));
  }
  out[0] = vget_lane_f32(acc, 0);
  if constexpr (kRows == 2) out[1] = vget_lane_f32(acc, 1);
}

template <typename Dot>
static inline void IQ4XSGemm(const Weights& w, const Activations& a, size_t row_begin,
                             size_t row_end, float* y, size_t y_stride) {
  if (a.n != 1) {
    GemmRows<IQ4XS<Dot::kChained>, Dot>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  const size_t blocks = w.k / kSuperBlock;
  size_t r = row_begin;
  for (; r + 2 <= row_end; r += 2) {
    const uint8_t* x[2] = {w.data + r * w.row_bytes, w.data + (r + 1) * w.row_bytes};
    IQ4XSDecodeRows<Dot, 2>(x, blocks, a.q, a.scale, y + r);
  }
  if (r < row_end) {
    const uint8_t* x[1] = {w.data + r * w.row_bytes};
    IQ4XSDecodeRows<Dot, 1>(x, blocks, a.q, a.scale, y + r);
  }
}

}  // namespace lutra::kernels::kquant::arm
