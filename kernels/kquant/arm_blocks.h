// The NEON and dotprod kquant kernels' shared driver. Each super-block of a row is unpacked once
// into sixteen code registers (Q4_K nibbles, Q5_K with the fifth bits; Q6_K nibbles with their
// two high bits inserted by shift-insert; Q3_K, Q2_K two-bit fields, Q3_K's third bit
// inserted) and its integer scales widened once; then every token of the call dots with those
// registers, so prefill does not unpack again per token.
//
// Decode (one token) of Q4_K, Q5_K and Q6_K goes through Q4KDecodeRows / Q6KDecodeRows below
// instead: two rows per pass, codes unpacked as they are dotted.
//
// Sub-block scales are applied in int32 by multiply-accumulate by lane. With sdot
// (Dot::kChained, Add16 / Add32 accumulate) the sub-block dots run as chains in one
// accumulator each (Q4_K: one per super-block; Q6_K: one per half, interleaved, which the
// in-order A55 models 4% faster and the A76 7% slower, still below its memory bound): a fresh
// accumulator per sub-block would cost a zeroed register per sdot (sdot only accumulates).
// After sub-block i a chain's lanes sum to the prefix S_i = D_first + … + D_i, and by
// summation by parts Σ sc_i·D_i = Σ S_i·(sc_i − sc_i+1) with sc_last+1 = 0, so each step
// multiplies the chain by one scale difference, computed once per super-block. Shorter
// chains, or a pairwise-add tree per four sub-blocks, model slower on both (bench/arm-model).
// Widening multiplies (Sum16 / Sum32) start each sub-block afresh, which vpaddlq_s16 does for
// free, and take the scales themselves: no chain latency for an out-of-order core to wait on.
//
// The integer sums are the scalar file's exactly: int32 arithmetic wraps, so an order whose
// partial sums overflow still ends at the exact total (< 2^30). Included by the ARM ISA files
// only; everything is static, so each file compiles it with its own flags.
#pragma once

#include <arm_neon.h>

#include <cstring>
#include <type_traits>
#include <utility>

#include "kernels/kquant/block_fields.h"
#include "kernels/kquant/kquant.h"

namespace lutra::kernels::kquant::arm {

// vpaddq_s32, which ARMv7 lacks: [a0+a1, a2+a3, b0+b1, b2+b3].
static inline int32x4_t PairAdd(int32x4_t a, int32x4_t b) {
#if defined(__aarch64__)
  return vpaddq_s32(a, b);
#else
  return vcombine_s32(vpadd_s32(vget_low_s32(a), vget_high_s32(a)),
                      vpadd_s32(vget_low_s32(b), vget_high_s32(b)));
#endif
}

static inline int16x8_t PairAdd(int16x8_t a, int16x8_t b) {
#if defined(__aarch64__)
  return vpaddq_s16(a, b);
#else
  return vcombine_s16(vpadd_s16(vget_low_s16(a), vget_high_s16(a)),
                      vpadd_s16(vget_low_s16(b), vget_high_s16(b)));
#endif
}

// t + p·v[L].
template <int L>
static inline int32x4_t MlaLane(int32x4_t t, int32x4_t p, int32x4_t v) {
#if defined(__aarch64__)
  return vmlaq_laneq_s32(t, p, v, L);
#else
  if constexpr (L < 2) {
    return vmlaq_lane_s32(t, p, vget_low_s32(v), L);
  } else {
    return vmlaq_lane_s32(t, p, vget_high_s32(v), L - 2);
  }
#endif
}

// p·v[L].
template <int L>
static inline int32x4_t MulLane(int32x4_t p, int32x4_t v) {
#if defined(__aarch64__)
  return vmulq_laneq_s32(p, v, L);
#else
  if constexpr (L < 2) {
    return vmulq_lane_s32(p, vget_low_s32(v), L);
  } else {
    return vmulq_lane_s32(p, vget_high_s32(v), L - 2);
  }
#endif
}

template <typename F, int... i>
static inline void UnrollSequence(F& f, std::integer_sequence<int, i...>) {
  (f(std::integral_constant<int, i>{}), ...);
}

// f(integral_constant<int, 0>), …, f(integral_constant<int, N − 1>): lane numbers must be
// constants.
template <int N, typename F>
static inline void Unroll(F&& f) {
  UnrollSequence(f, std::make_integer_sequence<int, N>{});
}

static inline int32_t AddLanes(int32x4_t v) {
#if defined(__aarch64__)
  return vaddvq_s32(v);
#else
  const int32x2_t s = vadd_s32(vget_low_s32(v), vget_high_s32(v));
  return vget_lane_s32(vpadd_s32(s, s), 0);
#endif
}

static inline float32x2_t Fma2(float32x2_t acc, float32x2_t a, float32x2_t b) {
#if defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
  return vfma_f32(acc, a, b);
#else
  return vmla_f32(acc, a, b);
#endif
}

// The fp16 pair at p (any alignment). ARMv7's fp16 conversions need -mfp16-format, which the
// armhf NEON group does not set, so it converts in software.
static inline float32x2_t HalfPair(const uint8_t* p) {
#if defined(__aarch64__)
  uint32_t bits;
  std::memcpy(&bits, p, sizeof bits);
  return vget_low_f32(vcvt_f32_f16(vreinterpret_f16_u64(vcreate_u64(bits))));
#else
  const float v[2] = {HalfAt(p), HalfAt(p + 2)};
  return vld1_f32(v);
#endif
}

static inline float Half(const uint8_t* p) {
#if defined(__aarch64__)
  __fp16 h;
  std::memcpy(&h, p, sizeof h);
  return float(h);
#else
  return HalfAt(p);
#endif
}

// The scales of a Q4_K block as sc_j (or sc_j − sc_j+1, chained: see the top) in two int32
// vectors, and its mins as int16.
template <bool kChained>
static inline void Q4KScales(const uint8_t* blk, int32x4_t sc[2], int16x8_t* mn) {
  // Q4KScalesMins on whole words in the integer unit, which the NEON code leaves idle: bytes
  // 0–7 carry sc0–3 and m0–3 in their low six bits and the high two bits of sc4–7, m4–7;
  // bytes 8–11 the low four bits of sc4–7 (low nibbles) and m4–7 (high nibbles).
  uint64_t x;
  uint32_t z;
  std::memcpy(&x, blk + kQ4KScales, sizeof x);
  std::memcpy(&z, blk + kQ4KScales + 8, sizeof z);
  const uint64_t m6 = 0x3f3f3f3f3f3f3f3full, m4 = 0x0f0f0f0f0f0f0f0full;
  const uint64_t lo = x & m6;  // sc0–3 | m0–3
  const uint64_t hi = ((z | uint64_t(z) << 28) & m4) | ((x >> 2) & 0x3030303030303030ull);
  const uint64_t scales = (lo & 0xffffffffull) | hi << 32, mins = lo >> 32 | (hi >> 32) << 32;
  // |sc_j − sc_j+1| ≤ 63; the wrapped uint16 is the int16.
  const uint64_t next = kChained ? scales >> 8 : 0;
  const int16x8_t diff = vreinterpretq_s16_u16(vsubl_u8(vcreate_u8(scales), vcreate_u8(next)));
  sc[0] = vmovl_s16(vget_low_s16(diff));
  sc[1] = vmovl_s16(vget_high_s16(diff));
  *mn = vreinterpretq_s16_u16(vmovl_u8(vcreate_u8(mins)));
}

// Q5_K's fifth bits: the codes of sub-blocks 2i (low nibbles of r, weights l..l+15) and 2i + 1
// (high nibbles) with bits 2i | 2i + 1 of h (qh[l..l+15]) in bit 4, by shift-insert.
template <int i>
static inline void Q5KPair(uint8x16_t r, uint8x16_t h, int8x16_t* lo, int8x16_t* hi) {
  const uint8x16_t one = vdupq_n_u8(1), bit4 = vdupq_n_u8(0x10);
  uint8x16_t b_lo = h, b_hi;
  if constexpr (i > 0) b_lo = vshrq_n_u8(h, 2 * i);
  if constexpr (2 * i + 1 < 4) {
    b_hi = vshlq_n_u8(h, 3 - 2 * i);
  } else {
    b_hi = vshrq_n_u8(h, 2 * i + 1 - 4);
  }
  // (b_lo & 1) << 4 | (r & 15), and (r >> 4) | (b_hi & 0x10).
  *lo = vreinterpretq_s8_u8(vsliq_n_u8(r, vandq_u8(b_lo, one), 4));
  *hi = vreinterpretq_s8_u8(vsriq_n_u8(vandq_u8(b_hi, bit4), r, 4));
}

// Q4_K: codes q[v] are weights 16v..16v+15 (sub-block j is q[2j], q[2j+1]); Q5_K (kFive) the
// same with the fifth bits (Q5KPair).
template <bool kChained, bool kFive = false>
struct Q4K {
  static constexpr size_t kBytes = BlockBytes(kFive ? Format::kQ5K : Format::kQ4K);
  using Acc = float32x2_t;  // Σ d·s·D, Σ dmin·s·M

  int8x16_t q[16];
  int32x4_t sc[2];  // sub-blocks 0–3 and 4–7: sc_j, or sc_j − sc_j+1 when chained (above)
  int16x8_t mn;     // the mins
  float32x2_t dm;   // d, dmin

  explicit Q4K(const uint8_t* blk) {
    const uint8_t* qs = blk + (kFive ? kQ5KQs : kQ4KQs);
    const uint8x16_t low = vdupq_n_u8(15);
    if constexpr (kFive) {
      const uint8x16_t h0 = vld1q_u8(blk + kQ5KQh), h1 = vld1q_u8(blk + kQ5KQh + 16);
      Unroll<4>([&](auto ic) {
        constexpr int i = ic;
        Q5KPair<i>(vld1q_u8(qs + 32 * i), h0, &q[4 * i], &q[4 * i + 2]);
        Q5KPair<i>(vld1q_u8(qs + 32 * i + 16), h1, &q[4 * i + 1], &q[4 * i + 3]);
      });
    } else {
      for (int i = 0; i < 4; ++i) {
        const uint8x16_t r0 = vld1q_u8(qs + 32 * i), r1 = vld1q_u8(qs + 32 * i + 16);
        q[4 * i] = vreinterpretq_s8_u8(vandq_u8(r0, low));
        q[4 * i + 1] = vreinterpretq_s8_u8(vandq_u8(r1, low));
        q[4 * i + 2] = vreinterpretq_s8_u8(vshrq_n_u8(r0, 4));
        q[4 * i + 3] = vreinterpretq_s8_u8(vshrq_n_u8(r1, 4));
      }
    }
    Q4KScales<kChained>(blk, sc, &mn);
    dm = HalfPair(blk);
  }

  static Acc Zero() { return vdup_n_f32(0.0f); }
  static float Result(Acc acc) { return vget_lane_f32(acc, 0) - vget_lane_f32(acc, 1); }

  template <typename Dot>
  void Add(Acc& acc, const int8_t* a, const int16_t* bs, float s) const {
    int32x4_t p = vdupq_n_s32(0), dots;
    Unroll<8>([&](auto jc) {
      constexpr int j = jc;
      const int8x16_t a0 = vld1q_s8(a + 32 * j), a1 = vld1q_s8(a + 32 * j + 16);
      if constexpr (kChained) {
        p = Dot::Add32(p, q[2 * j], q[2 * j + 1], a0, a1);
      } else {
        p = Dot::Sum32(q[2 * j], q[2 * j + 1], a0, a1);
      }
      if constexpr (j == 0) {
        dots = MulLane<0>(p, sc[0]);
      } else {
        dots = MlaLane<j % 4>(dots, p, sc[j / 4]);
      }
    });
    // Sub-block j's code sum is bsum 2j + 2j+1 (|·| ≤ 32·127, an int16).
    const int16x8_t b = PairAdd(vld1q_s16(bs), vld1q_s16(bs + 8));
    int32x4_t mins = vmull_s16(vget_low_s16(mn), vget_low_s16(b));
    mins = vmlal_s16(mins, vget_high_s16(mn), vget_high_s16(b));
    // [Σ dots, Σ mins] in one fold, converted and scaled as a pair.
    const int32x4_t f = PairAdd(dots, mins);
    acc = Fma2(acc, vcvt_f32_s32(vget_low_s32(PairAdd(f, f))), vmul_n_f32(dm, s));
  }
};

// Q6_K: codes q[i] are sub-block i (weights 16i..16i+15), q ∈ [0, 64); the −32 offset is
// subtracted as 32·Σ sc_i·bsum_i.
template <bool kChained>
struct Q6K {
  static constexpr size_t kBytes = BlockBytes(Format::kQ6K);
  using Acc = float;

  int8x16_t q[16];
  int32x4_t sc[4];    // sub-blocks 4g..4g+3: sc_i, or sc_i − sc_i+1 within a half (above)
  int16x8_t sc32[2];  // 32·scale (|·| ≤ 4096)
  float d;

  explicit Q6K(const uint8_t* blk) {
    const uint8x16_t m2 = vdupq_n_u8(3), m45 = vdupq_n_u8(0x30);
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = blk + 64 * h;
      const uint8_t* qh = blk + kQ6KQh + 32 * h;
      for (int c = 0; c < 2; ++c) {
        // Weights 32s + 16c + l of this half, s = 0..3: low nibbles of l01 (s = 0) and l23
        // (s = 1), high nibbles (s = 2, 3); their high bits are bit pairs 2s of hb.
        const uint8x16_t l01 = vld1q_u8(ql + 16 * c), l23 = vld1q_u8(ql + 32 + 16 * c);
        const uint8x16_t hb = vld1q_u8(qh + 16 * c), hb2 = vshrq_n_u8(hb, 2);
        const int i = 8 * h + c;
        // The shift-inserts overwrite their first operand: l01 and l23 are read last.
        q[i + 4] = vreinterpretq_s8_u8(vsriq_n_u8(vandq_u8(hb, m45), l01, 4));
        q[i + 6] = vreinterpretq_s8_u8(vsriq_n_u8(vandq_u8(hb2, m45), l23, 4));
        q[i + 0] = vreinterpretq_s8_u8(vsliq_n_u8(l01, vandq_u8(hb, m2), 4));
        q[i + 2] = vreinterpretq_s8_u8(vsliq_n_u8(l23, vandq_u8(hb2, m2), 4));
      }
    }
    const int8x16_t s8 = vld1q_s8(reinterpret_cast<const int8_t*>(blk + kQ6KScales));
    // |sc_i − sc_i+1| ≤ 255, an int16; sc_8 and sc_16 count as 0 (the chains end there).
    const int8x16_t next =
        kChained ? vreinterpretq_s8_u64(vshrq_n_u64(vreinterpretq_u64_s8(s8), 8)) : vdupq_n_s8(0);
    const int16x8_t d0 = vsubl_s8(vget_low_s8(s8), vget_low_s8(next));
    const int16x8_t d1 = vsubl_s8(vget_high_s8(s8), vget_high_s8(next));
    sc[0] = vmovl_s16(vget_low_s16(d0));
    sc[1] = vmovl_s16(vget_high_s16(d0));
    sc[2] = vmovl_s16(vget_low_s16(d1));
    sc[3] = vmovl_s16(vget_high_s16(d1));
    sc32[0] = vshll_n_s8(vget_low_s8(s8), 5);
    sc32[1] = vshll_n_s8(vget_high_s8(s8), 5);
    d = Half(blk + kQ6KD);
  }

  static Acc Zero() { return 0.0f; }
  static float Result(Acc acc) { return acc; }

  template <typename Dot>
  void Add(Acc& acc, const int8_t* a, const int16_t* bs, float s) const {
    // |32·sc·bsum| ≤ 4096·2032 per product, and the sum ends exact (see the top).
    const int16x8_t b0 = vld1q_s16(bs), b1 = vld1q_s16(bs + 8);
    int32x4_t p[2] = {vdupq_n_s32(0), vdupq_n_s32(0)}, t[2];
    Unroll<16>([&](auto nc) {
      // sdot: the halves' chains interleave; widening multiplies go in order.
      constexpr int n = nc, h = kChained ? n % 2 : 0, i = kChained ? 8 * h + n / 2 : n;
      if constexpr (kChained) {
        p[h] = Dot::Add16(p[h], q[i], vld1q_s8(a + 16 * i));
      } else {
        p[h] = Dot::Sum16(q[i], vld1q_s8(a + 16 * i));
      }
      if constexpr (n < (kChained ? 2 : 1)) {
        t[h] = MulLane<i % 4>(p[h], sc[i / 4]);
      } else {
        t[h] = MlaLane<i % 4>(t[h], p[h], sc[i / 4]);
      }
    });
    int32x4_t total = kChained ? vaddq_s32(t[0], t[1]) : t[0];
    total = vmlsl_s16(total, vget_low_s16(sc32[0]), vget_low_s16(b0));
    total = vmlsl_s16(total, vget_high_s16(sc32[0]), vget_high_s16(b0));
    total = vmlsl_s16(total, vget_low_s16(sc32[1]), vget_low_s16(b1));
    total = vmlsl_s16(total, vget_high_s16(sc32[1]), vget_high_s16(b1));
    acc += d * s * float(AddLanes(total));
  }
};

// Q3_K and Q2_K: codes q[i] are sub-block i (weights 16i..16i+15) as for Q6_K, two bits from
// qs (Q3_K's third from hmask, shift-inserted at bit 2), so the dots are Q6_K's. Q3_K's codes
// are q − 4 (4·Σ sc_i·bsum_i off the total, as Q6_K's 32); Q2_K's 4-bit mins weigh the code
// sums and take dmin.
template <bool kChained, Format F>
struct Q32K {
  static constexpr bool kQ3 = F == Format::kQ3K;
  static constexpr size_t kBytes = BlockBytes(F);
  using Acc = std::conditional_t<kQ3, float, float32x2_t>;  // Q2_K: Σ d·s·D, Σ dmin·s·M

  int8x16_t q[16];
  int32x4_t sc[4];    // sub-blocks 4g..4g+3: sc_i, or sc_i − sc_i+1 within a half (Q6K)
  int16x8_t corr[2];  // Q3_K: 4·sc_i; Q2_K: the mins
  float32x2_t dm;     // d, dmin (Q3_K: d, 0)

  explicit Q32K(const uint8_t* blk) {
    const uint8x16_t m3 = vdupq_n_u8(3), one = vdupq_n_u8(1);
    Unroll<2>([&](auto hc) {
      constexpr int h = hc;
      for (int c = 0; c < 2; ++c) {
        const uint8x16_t qs = vld1q_u8(blk + (kQ3 ? kQ3KQs : kQ2KQs) + 32 * h + 16 * c);
        const uint8x16_t hm = kQ3 ? vld1q_u8(blk + 16 * c) : vdupq_n_u8(0);
        Unroll<4>([&](auto sc_) {
          constexpr int s = sc_, k = 4 * h + s;
          uint8x16_t low = qs;
          if constexpr (s > 0) low = vshrq_n_u8(qs, 2 * s);
          uint8x16_t code;
          if constexpr (kQ3) {
            // (hm >> k & 1) << 2 over the low two bits (shift-insert keeps them, drops the rest).
            uint8x16_t hb = hm;
            if constexpr (k > 0) hb = vshrq_n_u8(hm, k);
            code = vsliq_n_u8(low, vandq_u8(hb, one), 2);
          } else {
            code = s == 3 ? low : vandq_u8(low, m3);
          }
          q[8 * h + 2 * s + c] = vreinterpretq_s8_u8(code);
        });
      }
    });
    int8x16_t s8;
    if constexpr (kQ3) {
      uint64_t lo, hi;
      Q3KScales16(blk + kQ3KScales, &lo, &hi);
      s8 = vsubq_s8(vreinterpretq_s8_u8(vcombine_u8(vcreate_u8(lo), vcreate_u8(hi))),
                    vdupq_n_s8(32));
      corr[0] = vshll_n_s8(vget_low_s8(s8), 2);
      corr[1] = vshll_n_s8(vget_high_s8(s8), 2);
      dm = vset_lane_f32(Half(blk + kQ3KD), vdup_n_f32(0.0f), 0);
    } else {
      const uint8x16_t v = vld1q_u8(blk);
      s8 = vreinterpretq_s8_u8(vandq_u8(v, vdupq_n_u8(15)));
      const uint8x16_t mn = vshrq_n_u8(v, 4);
      corr[0] = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(mn)));
      corr[1] = vreinterpretq_s16_u16(vmovl_u8(vget_high_u8(mn)));
      dm = HalfPair(blk + kQ2KD);
    }
    // |sc_i − sc_i+1| ≤ 63, an int16; sc_8 and sc_16 count as 0 (the chains end there).
    const int8x16_t next =
        kChained ? vreinterpretq_s8_u64(vshrq_n_u64(vreinterpretq_u64_s8(s8), 8)) : vdupq_n_s8(0);
    const int16x8_t d0 = vsubl_s8(vget_low_s8(s8), vget_low_s8(next));
    const int16x8_t d1 = vsubl_s8(vget_high_s8(s8), vget_high_s8(next));
    sc[0] = vmovl_s16(vget_low_s16(d0));
    sc[1] = vmovl_s16(vget_high_s16(d0));
    sc[2] = vmovl_s16(vget_low_s16(d1));
    sc[3] = vmovl_s16(vget_high_s16(d1));
  }

  static Acc Zero() {
    if constexpr (kQ3) {
      return 0.0f;
    } else {
      return vdup_n_f32(0.0f);
    }
  }
  static float Result(Acc acc) {
    if constexpr (kQ3) {
      return acc;
    } else {
      return vget_lane_f32(acc, 0) - vget_lane_f32(acc, 1);
    }
  }

  template <typename Dot>
  void Add(Acc& acc, const int8_t* a, const int16_t* bs, float s) const {
    const int16x8_t b0 = vld1q_s16(bs), b1 = vld1q_s16(bs + 8);
    int32x4_t p[2] = {vdupq_n_s32(0), vdupq_n_s32(0)}, t[2];
    Unroll<16>([&](auto nc) {
      // sdot: the halves' chains interleave; widening multiplies go in order (as Q6K).
      constexpr int n = nc, h = kChained ? n % 2 : 0, i = kChained ? 8 * h + n / 2 : n;
      if constexpr (kChained) {
        p[h] = Dot::Add16(p[h], q[i], vld1q_s8(a + 16 * i));
      } else {
        p[h] = Dot::Sum16(q[i], vld1q_s8(a + 16 * i));
      }
      if constexpr (n < (kChained ? 2 : 1)) {
        t[h] = MulLane<i % 4>(p[h], sc[i / 4]);
      } else {
        t[h] = MlaLane<i % 4>(t[h], p[h], sc[i / 4]);
      }
    });
    const int32x4_t total = kChained ? vaddq_s32(t[0], t[1]) : t[0];
    if constexpr (kQ3) {
      int32x4_t x = vmlsl_s16(total, vget_low_s16(corr[0]), vget_low_s16(b0));
      x = vmlsl_s16(x, vget_high_s16(corr[0]), vget_high_s16(b0));
      x = vmlsl_s16(x, vget_low_s16(corr[1]), vget_low_s16(b1));
      x = vmlsl_s16(x, vget_high_s16(corr[1]), vget_high_s16(b1));
      acc += vget_lane_f32(dm, 0) * s * float(AddLanes(x));
    } else {
      int32x4_t m = vmull_s16(vget_low_s16(corr[0]), vget_low_s16(b0));
      m = vmlal_s16(m, vget_high_s16(corr[0]), vget_high_s16(b0));
      m = vmlal_s16(m, vget_low_s16(corr[1]), vget_low_s16(b1));
      m = vmlal_s16(m, vget_high_s16(corr[1]), vget_high_s16(b1));
      const int32x4_t f = PairAdd(total, m);
      acc = Fma2(acc, vcvt_f32_s32(vget_low_s32(PairAdd(f, f))), vmul_n_f32(dm, s));
    }
  }
};

// Rows one at a time; tokens in groups of up to kTokens whose accumulators stay in registers
// (kTokens = 1 is decode, where the block's registers are used once).
template <typename Block, typename Dot, size_t kTokens>
static inline void GemmTokens(const Weights& w, const Activations& a, size_t row_begin,
                              size_t row_end, float* y, size_t y_stride) {
  const size_t blocks = w.k / kSuperBlock, sums = w.k / kSumGroup;
  for (size_t r = row_begin; r < row_end; ++r) {
    const uint8_t* row = w.data + r * w.row_bytes;
    for (size_t t0 = 0; t0 < a.n; t0 += kTokens) {
      const size_t nt = kTokens == 1 ? 1 : (a.n - t0 < kTokens ? a.n - t0 : kTokens);
      typename Block::Acc acc[kTokens];
      for (size_t t = 0; t < kTokens; ++t) acc[t] = Block::Zero();
      for (size_t b = 0; b < blocks; ++b) {
        const Block blk(row + b * Block::kBytes);
        for (size_t t = 0; t < nt; ++t) {
          const size_t tt = t0 + t;
          blk.template Add<Dot>(acc[t], a.q + tt * w.k + b * kSuperBlock,
                                a.bsum + tt * sums + b * (kSuperBlock / kSumGroup),
                                a.scale[tt * blocks + b]);
        }
      }
      for (size_t t = 0; t < nt; ++t) y[(t0 + t) * y_stride + r] = Block::Result(acc[t]);
    }
  }
}

template <typename Block, typename Dot>
static inline void GemmRows(const Weights& w, const Activations& a, size_t row_begin,
                            size_t row_end, float* y, size_t y_stride) {
  if (a.n == 1) {
    GemmTokens<Block, Dot, 1>(w, a, row_begin, row_end, y, y_stride);
  } else {
    GemmTokens<Block, Dot, 8>(w, a, row_begin, row_end, y, y_stride);
  }
}

// Table lookup of the 16 bytes of t at idx (out-of-range indices give 0).
static inline int8x16_t Lookup16(int8x16_t t, uint8x16_t idx) {
#if defined(__aarch64__)
  return vqtbl1q_s8(t, idx);
#else
  const int8x8x2_t tt = {{vget_low_s8(t), vget_high_s8(t)}};
  return vcombine_s8(vtbl2_s8(tt, vreinterpret_s8_u8(vget_low_u8(idx))),
                     vtbl2_s8(tt, vreinterpret_s8_u8(vget_high_u8(idx))));
#endif
}

// No instruction: a and b pass through it after x and y are computed, so the compiler cannot
// schedule a shift-insert that overwrites a or b before the instructions that computed x and y
// from them; otherwise GCC does and copies the register first (a mov per code register pair:
// with them the A55 models Q6_K decode at 175.8 cycles per 256 weights, without 161.4). The
// NEON variant, short of registers, models slower with it (190.8 → 206.4) and goes without.
static inline void OrderAfter(uint8x16_t& a, uint8x16_t& b, int8x16_t x, int8x16_t y) {
#if defined(__aarch64__)
  asm("" : "+w"(a), "+w"(b) : "w"(x), "w"(y));
#else
  (void)a, (void)b, (void)x, (void)y;
#endif
}

// Q6_K decode (one token), kRows rows per pass. The rows share every activation and code sum
// load and the per-super-block float work, and their dot chains are independent, so the
// in-order A55 has a second chain to issue while one waits on sdot / mla latency. The codes
// stream: each group of 16 ql bytes (two nibbles), 16 more and 16 qh bytes unpacks into four
// sub-blocks that are dotted at once (Q6K above keeps all sixteen for the token loop, which
// one token does not need: with two rows they would not fit the 32 registers).
// Chained, each row is one chain over the sub-blocks in unpack order 0, 2, 4, 6, 1, 3, 5, 7,
// 8, 10, …, 15, so the summation by parts takes sc_i − sc_next(i), next from a table lookup.
template <typename Dot, int kRows>
static inline void Q6KDecodeRows(const uint8_t* const* x, size_t blocks, const int8_t* a,
                                 const int16_t* bs, const float* s, float* out) {
  constexpr bool kChained = Dot::kChained;
  const uint8x16_t m2 = vdupq_n_u8(3), m45 = vdupq_n_u8(0x30);
  static constexpr uint8_t kNext[16] = {2, 3, 4, 5, 6, 7, 1, 8, 10, 11, 12, 13, 14, 15, 9, 255};
  const uint8x16_t next_idx = vld1q_u8(kNext);
  float acc[kRows] = {};
  float32x2_t acc2 = vdup_n_f32(0.0f);
  for (size_t b = 0; b < blocks; ++b) {
    const int8_t* ab = a + b * kSuperBlock;
    // −bsum (|·| ≤ 2032): the −32 offset starts each row's total at −32·Σ sc_i·bsum_i.
    const int16x8_t nb0 = vnegq_s16(vld1q_s16(bs + 16 * b));
    const int16x8_t nb1 = vnegq_s16(vld1q_s16(bs + 16 * b + 8));
    int32x4_t sc[kRows][4], t[kRows], p[kRows];
    const uint8_t* blk[kRows];
    for (int r = 0; r < kRows; ++r) {
      blk[r] = x[r] + b * BlockBytes(Format::kQ6K);
      const int8x16_t s8 = vld1q_s8(reinterpret_cast<const int8_t*>(blk[r] + kQ6KScales));
      // |sc_i − sc_next| ≤ 255, an int16.
      const int8x16_t nx = kChained ? Lookup16(s8, next_idx) : vdupq_n_s8(0);
      const int16x8_t d0 = vsubl_s8(vget_low_s8(s8), vget_low_s8(nx));
      const int16x8_t d1 = vsubl_s8(vget_high_s8(s8), vget_high_s8(nx));
      sc[r][0] = vmovl_s16(vget_low_s16(d0));
      sc[r][1] = vmovl_s16(vget_high_s16(d0));
      sc[r][2] = vmovl_s16(vget_low_s16(d1));
      sc[r][3] = vmovl_s16(vget_high_s16(d1));
      const int16x8_t sc32a = vshll_n_s8(vget_low_s8(s8), 5),
                      sc32b = vshll_n_s8(vget_high_s8(s8), 5);
      int32x4_t c = vmull_s16(vget_low_s16(sc32a), vget_low_s16(nb0));
      c = vmlal_s16(c, vget_high_s16(sc32a), vget_high_s16(nb0));
      c = vmlal_s16(c, vget_low_s16(sc32b), vget_low_s16(nb1));
      t[r] = vmlal_s16(c, vget_high_s16(sc32b), vget_high_s16(nb1));
      p[r] = vdupq_n_s32(0);
    }
    Unroll<4>([&](auto gc) {
      constexpr int h = gc / 2, c = gc % 2;
      int8x16_t q[kRows][4];
      for (int r = 0; r < kRows; ++r) {
        const uint8_t* ql = blk[r] + 64 * h + 16 * c;
        const uint8x16_t hb = vld1q_u8(blk[r] + kQ6KQh + 32 * h + 16 * c), hb2 = vshrq_n_u8(hb, 2);
        uint8x16_t l01 = vld1q_u8(ql), l23 = vld1q_u8(ql + 32);
        // High nibbles by shift-right-accumulate into the masked high bits: the A55's
        // shift-insert has latency 4 where usra has 3, and its in-order pipe stalls the next
        // short instruction on it (modelled 178.8 with sri, 175.8 with usra).
        q[r][2] = vreinterpretq_s8_u8(vsraq_n_u8(vandq_u8(hb, m45), l01, 4));
        q[r][3] = vreinterpretq_s8_u8(vsraq_n_u8(vandq_u8(hb2, m45), l23, 4));
        if constexpr (kChained) OrderAfter(l01, l23, q[r][2], q[r][3]);
        q[r][0] = vreinterpretq_s8_u8(vsliq_n_u8(l01, vandq_u8(hb, m2), 4));
        q[r][1] = vreinterpretq_s8_u8(vsliq_n_u8(l23, vandq_u8(hb2, m2), 4));
      }
      Unroll<4>([&](auto sc_) {
        constexpr int i = 8 * h + c + 2 * sc_;
        const int8x16_t av = vld1q_s8(ab + 16 * i);
        for (int r = 0; r < kRows; ++r) {
          if constexpr (kChained) {
            p[r] = Dot::Add16(p[r], q[r][sc_], av);
          } else {
            p[r] = Dot::Sum16(q[r][sc_], av);
          }
          t[r] = MlaLane<i % 4>(t[r], p[r], sc[r][i / 4]);
        }
      });
    });
    if constexpr (kRows == 2) {
      // Both rows' lane sums in two pairwise adds, scaled as a pair.
      const int32x4_t f = PairAdd(t[0], t[1]);
      const float32x2_t ds = vmul_n_f32(
          vset_lane_f32(Half(blk[1] + kQ6KD), vdup_n_f32(Half(blk[0] + kQ6KD)), 1), s[b]);
      acc2 = Fma2(acc2, vcvt_f32_s32(vget_low_s32(PairAdd(f, f))), ds);
    } else {
      for (int r = 0; r < kRows; ++r) acc[r] += Half(blk[r] + kQ6KD) * s[b] * float(AddLanes(t[r]));
    }
  }
  if constexpr (kRows == 2) {
    out[0] = vget_lane_f32(acc2, 0);
    out[1] = vget_lane_f32(acc2, 1);
  } else {
    for (int r = 0; r < kRows; ++r) out[r] = acc[r];
  }
}

// Q6_K: decode by Q6KDecodeRows, two rows at a time; several tokens by the shared driver.
template <typename Dot>
static inline void Q6KGemm(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                           float* y, size_t y_stride) {
  if (a.n != 1) {
    GemmRows<Q6K<Dot::kChained>, Dot>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  const size_t blocks = w.k / kSuperBlock;
  size_t r = row_begin;
  for (; r + 2 <= row_end; r += 2) {
    const uint8_t* x[2] = {w.data + r * w.row_bytes, w.data + (r + 1) * w.row_bytes};
    Q6KDecodeRows<Dot, 2>(x, blocks, a.q, a.bsum, a.scale, y + r);
  }
  if (r < row_end) {
    const uint8_t* x[1] = {w.data + r * w.row_bytes};
    Q6KDecodeRows<Dot, 1>(x, blocks, a.q, a.bsum, a.scale, y + r);
  }
}

// Q4_K decode (one token), two rows per pass as Q6KDecodeRows: shared activation and code sum
// loads, one float step for both rows, two independent chains; each 32 bytes of codes are
// unpacked as their two sub-blocks are dotted.
template <typename Dot, int kRows, bool kFive = false>
static inline void Q4KDecodeRows(const uint8_t* const* x, size_t blocks, const int8_t* a,
                                 const int16_t* bs, const float* s, float* out) {
  constexpr bool kChained = Dot::kChained;
  constexpr size_t kBytes = BlockBytes(kFive ? Format::kQ5K : Format::kQ4K);
  const uint8x16_t low = vdupq_n_u8(15);
  // Row r's Σ d·s·D in lane 2r, Σ dmin·s·M in lane 2r + 1.
  float32x4_t acc = vdupq_n_f32(0.0f);
  for (size_t b = 0; b < blocks; ++b) {
    const int8_t* ab = a + b * kSuperBlock;
    // Sub-block j's code sum is bsum 2j + 2j+1 (|·| ≤ 32·127, an int16).
    const int16x8_t bsum = PairAdd(vld1q_s16(bs + 16 * b), vld1q_s16(bs + 16 * b + 8));
    int32x4_t sc[kRows][2], t[kRows], m[kRows], p[kRows];
    const uint8_t* blk[kRows];
    for (int r = 0; r < kRows; ++r) {
      blk[r] = x[r] + b * kBytes;
      int16x8_t mn;
      Q4KScales<kChained>(blk[r], sc[r], &mn);
      m[r] = vmull_s16(vget_low_s16(mn), vget_low_s16(bsum));
      m[r] = vmlal_s16(m[r], vget_high_s16(mn), vget_high_s16(bsum));
      p[r] = vdupq_n_s32(0);
    }
    Unroll<4>([&](auto ic) {
      constexpr int i = ic;  // sub-blocks 2i, 2i + 1
      int8x16_t q[kRows][4];
      for (int r = 0; r < kRows; ++r) {
        const uint8_t* qs = blk[r] + (kFive ? kQ5KQs : kQ4KQs) + 32 * i;
        const uint8x16_t r0 = vld1q_u8(qs), r1 = vld1q_u8(qs + 16);
        if constexpr (kFive) {
          Q5KPair<i>(r0, vld1q_u8(blk[r] + kQ5KQh), &q[r][0], &q[r][2]);
          Q5KPair<i>(r1, vld1q_u8(blk[r] + kQ5KQh + 16), &q[r][1], &q[r][3]);
        } else {
          q[r][0] = vreinterpretq_s8_u8(vandq_u8(r0, low));
          q[r][1] = vreinterpretq_s8_u8(vandq_u8(r1, low));
          q[r][2] = vreinterpretq_s8_u8(vshrq_n_u8(r0, 4));
          q[r][3] = vreinterpretq_s8_u8(vshrq_n_u8(r1, 4));
        }
      }
      Unroll<2>([&](auto hc) {
        constexpr int j = 2 * i + hc;
        const int8x16_t a0 = vld1q_s8(ab + 32 * j), a1 = vld1q_s8(ab + 32 * j + 16);
        for (int r = 0; r < kRows; ++r) {
          if constexpr (kChained) {
            p[r] = Dot::Add32(p[r], q[r][2 * hc], q[r][2 * hc + 1], a0, a1);
          } else {
            p[r] = Dot::Sum32(q[r][2 * hc], q[r][2 * hc + 1], a0, a1);
          }
          if constexpr (j == 0) {
            t[r] = MulLane<0>(p[r], sc[r][0]);
          } else {
            t[r] = MlaLane<j % 4>(t[r], p[r], sc[r][j / 4]);
          }
        }
      });
    });
    // [D_0, M_0, D_1, M_1] (one row: twice row 0's), scaled by [d_0, dmin_0, d_1, dmin_1]·s.
    const int32x4_t f0 = PairAdd(t[0], m[0]), f1 = PairAdd(t[kRows - 1], m[kRows - 1]);
    const float32x4_t dm = vcombine_f32(HalfPair(blk[0]), HalfPair(blk[kRows - 1]));
    acc = vmlaq_f32(acc, vcvtq_f32_s32(PairAdd(f0, f1)), vmulq_n_f32(dm, s[b]));
  }
  out[0] = vgetq_lane_f32(acc, 0) - vgetq_lane_f32(acc, 1);
  if constexpr (kRows == 2) out[1] = vgetq_lane_f32(acc, 2) - vgetq_lane_f32(acc, 3);
}

// Q4_K (Q5_K with kFive): decode by Q4KDecodeRows, two rows at a time; several tokens by the
// shared driver.
template <typename Dot, bool kFive = false>
static inline void Q4KGemm(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                           float* y, size_t y_stride) {
  if (a.n != 1) {
    GemmRows<Q4K<Dot::kChained, kFive>, Dot>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  const size_t blocks = w.k / kSuperBlock;
  size_t r = row_begin;
  for (; r + 2 <= row_end; r += 2) {
    const uint8_t* x[2] = {w.data + r * w.row_bytes, w.data + (r + 1) * w.row_bytes};
    Q4KDecodeRows<Dot, 2, kFive>(x, blocks, a.q, a.bsum, a.scale, y + r);
  }
  if (r < row_end) {
    const uint8_t* x[1] = {w.data + r * w.row_bytes};
    Q4KDecodeRows<Dot, 1, kFive>(x, blocks, a.q, a.bsum, a.scale, y + r);
  }
}

// Q3_K / Q2_K decode (one token), kRows rows per pass as Q6KDecodeRows: each 16 qs bytes (and
// Q3_K's 16 hmask bytes) unpack into four sub-blocks dotted at once, one chain per row in the
// same unpack order (0, 2, 4, 6, 1, 3, …), so the same next-in-order table gives the scale
// differences. Q3_K's total starts at −4·Σ sc_i·bsum_i; Q2_K's mins go to a second sum (dmin).
template <typename Dot, int kRows, Format F>
static inline void Q32KDecodeRows(const uint8_t* const* x, size_t blocks, const int8_t* a,
                                  const int16_t* bs, const float* s, float* out) {
  constexpr bool kChained = Dot::kChained, kQ3 = F == Format::kQ3K;
  const uint8x16_t m3 = vdupq_n_u8(3), one = vdupq_n_u8(1);
  static constexpr uint8_t kNext[16] = {2, 3, 4, 5, 6, 7, 1, 8, 10, 11, 12, 13, 14, 15, 9, 255};
  const uint8x16_t next_idx = vld1q_u8(kNext);
  // Row r's Σ d·s·D in lane 2r, Σ dmin·s·M in lane 2r + 1 (Q3_K: 0).
  float32x4_t acc = vdupq_n_f32(0.0f);
  for (size_t b = 0; b < blocks; ++b) {
    const int8_t* ab = a + b * kSuperBlock;
    const int16x8_t b0 = vld1q_s16(bs + 16 * b), b1 = vld1q_s16(bs + 16 * b + 8);
    int32x4_t sc[kRows][4], t[kRows], m[kRows], p[kRows];
    const uint8_t* blk[kRows];
    for (int r = 0; r < kRows; ++r) {
      blk[r] = x[r] + b * BlockBytes(F);
      int8x16_t s8;
      int16x8_t c0, c1;  // Q3_K: 4·sc; Q2_K: the mins
      if constexpr (kQ3) {
        uint64_t lo, hi;
        Q3KScales16(blk[r] + kQ3KScales, &lo, &hi);
        s8 = vsubq_s8(vreinterpretq_s8_u8(vcombine_u8(vcreate_u8(lo), vcreate_u8(hi))),
                      vdupq_n_s8(32));
        c0 = vshll_n_s8(vget_low_s8(s8), 2);
        c1 = vshll_n_s8(vget_high_s8(s8), 2);
      } else {
        const uint8x16_t v = vld1q_u8(blk[r]);
        s8 = vreinterpretq_s8_u8(vandq_u8(v, vdupq_n_u8(15)));
        const uint8x16_t mn = vshrq_n_u8(v, 4);
        c0 = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(mn)));
        c1 = vreinterpretq_s16_u16(vmovl_u8(vget_high_u8(mn)));
      }
      // |sc_i − sc_next| ≤ 63, an int16.
      const int8x16_t nx = kChained ? Lookup16(s8, next_idx) : vdupq_n_s8(0);
      const int16x8_t d0 = vsubl_s8(vget_low_s8(s8), vget_low_s8(nx));
      const int16x8_t d1 = vsubl_s8(vget_high_s8(s8), vget_high_s8(nx));
      sc[r][0] = vmovl_s16(vget_low_s16(d0));
      sc[r][1] = vmovl_s16(vget_high_s16(d0));
      sc[r][2] = vmovl_s16(vget_low_s16(d1));
      sc[r][3] = vmovl_s16(vget_high_s16(d1));
      int32x4_t cs = vmull_s16(vget_low_s16(c0), vget_low_s16(b0));
      cs = vmlal_s16(cs, vget_high_s16(c0), vget_high_s16(b0));
      cs = vmlal_s16(cs, vget_low_s16(c1), vget_low_s16(b1));
      cs = vmlal_s16(cs, vget_high_s16(c1), vget_high_s16(b1));
      if constexpr (kQ3) {
        t[r] = vnegq_s32(cs);
      } else {
        t[r] = vdupq_n_s32(0);
        m[r] = cs;
      }
      p[r] = vdupq_n_s32(0);
    }
    Unroll<4>([&](auto gc) {
      constexpr int h = gc / 2, c = gc % 2;
      int8x16_t q[kRows][4];
      for (int r = 0; r < kRows; ++r) {
        const uint8x16_t qs = vld1q_u8(blk[r] + (kQ3 ? kQ3KQs : kQ2KQs) + 32 * h + 16 * c);
        const uint8x16_t hm = kQ3 ? vld1q_u8(blk[r] + 16 * c) : vdupq_n_u8(0);
        Unroll<4>([&](auto sc_) {
          constexpr int k = sc_, bit = 4 * h + k;
          uint8x16_t low = qs;
          if constexpr (k > 0) low = vshrq_n_u8(qs, 2 * k);
          if constexpr (kQ3) {
            uint8x16_t hb = hm;
            if constexpr (bit > 0) hb = vshrq_n_u8(hm, bit);
            q[r][k] = vreinterpretq_s8_u8(vsliq_n_u8(low, vandq_u8(hb, one), 2));
          } else {
            q[r][k] = vreinterpretq_s8_u8(k == 3 ? low : vandq_u8(low, m3));
          }
        });
      }
      Unroll<4>([&](auto kc) {
        constexpr int i = 8 * h + c + 2 * kc;
        const int8x16_t av = vld1q_s8(ab + 16 * i);
        for (int r = 0; r < kRows; ++r) {
          if constexpr (kChained) {
            p[r] = Dot::Add16(p[r], q[r][kc], av);
          } else {
            p[r] = Dot::Sum16(q[r][kc], av);
          }
          t[r] = MlaLane<i % 4>(t[r], p[r], sc[r][i / 4]);
        }
      });
    });
    // [D_0, M_0, D_1, M_1] (one row: twice row 0's), scaled by [d_0, dmin_0, d_1, dmin_1]·s.
    const int32x4_t f0 = PairAdd(t[0], kQ3 ? vdupq_n_s32(0) : m[0]);
    const int32x4_t f1 = PairAdd(t[kRows - 1], kQ3 ? vdupq_n_s32(0) : m[kRows - 1]);
    float32x4_t dm;
    if constexpr (kQ3) {
      dm = vdupq_n_f32(0.0f);
      dm = vsetq_lane_f32(Half(blk[0] + kQ3KD), dm, 0);
      dm = vsetq_lane_f32(Half(blk[kRows - 1] + kQ3KD), dm, 2);
    } else {
      dm = vcombine_f32(HalfPair(blk[0] + kQ2KD), HalfPair(blk[kRows - 1] + kQ2KD));
    }
    acc = vmlaq_f32(acc, vcvtq_f32_s32(PairAdd(f0, f1)), vmulq_n_f32(dm, s[b]));
  }
  out[0] = vgetq_lane_f32(acc, 0) - vgetq_lane_f32(acc, 1);
  if constexpr (kRows == 2) out[1] = vgetq_lane_f32(acc, 2) - vgetq_lane_f32(acc, 3);
}

// Q3_K, Q2_K: decode by Q32KDecodeRows, two rows at a time; several tokens by the shared
// driver (a block's sixteen code registers, then its dots per token).
template <typename Dot, Format F>
static inline void Q32KGemm(const Weights& w, const Activations& a, size_t row_begin,
                            size_t row_end, float* y, size_t y_stride) {
  if (a.n != 1) {
    GemmRows<Q32K<Dot::kChained, F>, Dot>(w, a, row_begin, row_end, y, y_stride);
    return;
  }
  const size_t blocks = w.k / kSuperBlock;
  size_t r = row_begin;
  for (; r + 2 <= row_end; r += 2) {
    const uint8_t* x[2] = {w.data + r * w.row_bytes, w.data + (r + 1) * w.row_bytes};
    Q32KDecodeRows<Dot, 2, F>(x, blocks, a.q, a.bsum, a.scale, y + r);
  }
  if (r < row_end) {
    const uint8_t* x[1] = {w.data + r * w.row_bytes};
    Q32KDecodeRows<Dot, 1, F>(x, blocks, a.q, a.bsum, a.scale, y + r);
  }
}

}  // namespace lutra::kernels::kquant::arm
