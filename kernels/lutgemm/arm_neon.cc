// NEON lookup GEMM (AArch64 and ARMv7 NEON): one 16-byte load = one quad of one plane for 32
// rows; `tbl` looks up its 16 low nibbles (rows ρ(p)) and 16 high nibbles (rows 16 + ρ(p)) in
// the quad's 16-byte table. ARMv7 has no 16-byte `vqtbl1q`: there the lookup is two `vtbl2`
// on the halves of the index vector (same table pair, 8 results each).
//
// Accumulation (differs from x86, which adds offset-binary bytes as whole 16-bit words and
// splits even/odd bytes afterwards): each half of a lookup vector is zero-extended and added
// into uint16 lanes (`uaddw`), 4 uint16x8 accumulators per token for the 32 rows, so no byte
// split is needed. Lane e of the low half holds byte p = e, i.e. rows 0,8,1,9,…; one `uzp` per
// 16 rows at the end of a run restores row order before widening to int32, where the offset
// 128·(2^b − 1)·R of the offset-binary bytes is subtracted.
//
// Overflow bound (the proof of docs/lut-format.md §4, per uint16 lane): per row, a run of R
// quads adds A = Σ_i 2^i Σ_{j<R} u_ij with 0 ≤ u ≤ 255, so 0 ≤ A ≤ (2^b − 1)·255·R, and every
// partial sum of the Horner evaluation (acc ← 2·acc + plane) is bounded by the same expression
// with fewer terms. uint16 holds it when (2^b − 1)·255·R ≤ 65535, i.e. R ≤ 257/(2^b − 1) →
// b = 1: 257, 2: 85, 3: 36, 4: 17. Exact mode adds the lo bytes and the hi bytes (stored
// h + 128 ∈ [126, 129]) the same way, both unsigned, so the same bound holds for each; the
// offset 128·(2^b − 1)·R comes off the hi sums when widening (no per-lookup sign flip). The
// kernels use R = min(G/4, 32) for b ≤ 3 and min(G/4, 16) for b = 4, inside
// every bound above.
//
// Instruction count per 256 weight × activation products of one token (2 plane blocks of
// 32 rows × 4 k, per plane; DESIGN.md §4), quantized mode, nr = 4: per block and token 1 table
// load + 2 `tbl` + 4 `uaddw`, plus the shared load, `and`, `ushr` over nr tokens:
// 2·(7 + 3/4)·b = 15.5·b → b = 1: 15.5, 2: 31, 3: 46.5, 4: 62. AArch64 has 32 vector
// registers (nr = 4 quantized, 2 exact), ARMv7 16 (nr = 2 and 1).
//
// Why there is no dotprod (`sdot`) variant (a count, not a measurement; on a Cortex-A76 `tbl`,
// `sdot` and simple ALU ops all issue at 2 per cycle on its two ASIMD pipes, so the count decides):
// - Summing lookups with `sdot` against a ones/selector vector does not work on this layout:
//   `sdot` adds the 4 bytes of a 32-bit lane, and adjacent lookup bytes are different rows
//   (rows ρ(p)); a selector picking one byte per lane widens 4 bytes per instruction, worse
//   than `uaddw` (8 per instruction).
// - Unpack-to-int8 + `sdot` (what the x86 VNNI prefill kernel does): per plane block, 4 `tbl`
//   byte spreads + 8 `cmtst` + 8 `and` + 8 `add` build the codes of 32 rows × 4 k (28
//   instructions), then 8 `sdot` + 1 `ld1r` per token. With 16 rows × nr tokens of int32
//   accumulators, 32 registers allow nr = 4 at most, so per 256 products and token
//   2·(28·b/4 + 9) = 14·b + 18 → 32, 46, 60, 74: above the lookup path (15.5·b) at every b ≤ 4. x86
//   wins with VNNI because one 512-bit `vptestmb` + masked add unpacks 64 codes per plane and
//   its register file holds 8 tokens' accumulators; NEON's 128-bit registers do not.
// So dotprod CPUs run this kernel (its names have no dotprod level).
#include <arm_neon.h>

#include <algorithm>

#include "kernels/lutgemm/driver.h"
#include "kernels/lutgemm/variants.h"

namespace lutra::kernels::lutgemm {
namespace {

using packw::kTileRows;

template <int B>
constexpr size_t kRunQuads = B == 4 ? 16 : 32;

constexpr size_t kPrefetchDistance = 2048;

#if defined(__aarch64__)
constexpr int kNbTables = 4;
constexpr int kNbExact = 2;
#else
constexpr int kNbTables = 2;
constexpr int kNbExact = 1;
#endif

static inline uint8x16_t Lookup(uint8x16_t table, uint8x16_t idx) {
#if defined(__aarch64__)
  return vqtbl1q_u8(table, idx);
#else
  const uint8x8x2_t t = {{vget_low_u8(table), vget_high_u8(table)}};
  return vcombine_u8(vtbl2_u8(t, vget_low_u8(idx)), vtbl2_u8(t, vget_high_u8(idx)));
#endif
}

static inline float32x4_t Fma(float32x4_t acc, float32x4_t a, float32x4_t b) {
#if defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
  return vfmaq_f32(acc, a, b);
#else
  return vmlaq_f32(acc, a, b);
#endif
}

// 32 rows as 4 int16x8: [0] bytes 0..7 of the low-nibble lookup, [1] bytes 8..15, [2], [3] the
// same for the high nibbles (rows 16..31), as uint16 lanes.
struct Acc {
  int16x8_t v[4];
};

static inline void Zero(Acc& a) {
  for (auto& v : a.v) v = vdupq_n_s16(0);
}
static inline void Double(Acc& a) {
  for (auto& v : a.v) v = vaddq_s16(v, v);
}
static inline void AddUnsigned(Acc& a, uint8x16_t r_lo, uint8x16_t r_hi) {
  a.v[0] = vreinterpretq_s16_u16(vaddw_u8(vreinterpretq_u16_s16(a.v[0]), vget_low_u8(r_lo)));
  a.v[1] = vreinterpretq_s16_u16(vaddw_u8(vreinterpretq_u16_s16(a.v[1]), vget_high_u8(r_lo)));
  a.v[2] = vreinterpretq_s16_u16(vaddw_u8(vreinterpretq_u16_s16(a.v[2]), vget_low_u8(r_hi)));
  a.v[3] = vreinterpretq_s16_u16(vaddw_u8(vreinterpretq_u16_s16(a.v[3]), vget_high_u8(r_hi)));
}

// Run sums in row order: out[q] = rows 4q..4q+3 as int32 (the uint16 sums zero-extended).
// As 32-bit lanes, a.v[0] holds rows e (low half) and e + 8 (high half) in lane e: one `and`
// and one `ushr #16` per register split them, no uzp (three cycles on the A72 model).
static inline void Widen(const Acc& a, int32x4_t out[8]) {
  const uint32x4_t low = vdupq_n_u32(0xFFFF);
  for (int h = 0; h < 4; ++h) {
    const uint32x4_t u = vreinterpretq_u32_s16(a.v[h]);
    // Registers 0, 1: rows 0..15 (quads q = h and h + 2); 2, 3: rows 16..31.
    const int q = (h & 1) + 4 * (h >> 1);
    out[q] = vreinterpretq_s32_u32(vandq_u32(u, low));
    out[q + 2] = vreinterpretq_s32_u32(vshrq_n_u32(u, 16));
  }
}

// What a group's end adds per row (decided once per call): the bias term of asymmetric
// weights (none, from one zero point, or per group) and, exact mode, whether the row has one
// scale (integer sums across groups) or one per group.
enum class GroupEnd {
  kPlain,
  kZeroPoint,
  kPerGroup,
  kUniform,
  kUniformZeroPoint,
  kUniformPerGroup
};

static inline GroupEnd EndOf(const Weights& w, bool exact) {
  const int bias = !w.shape.asymmetric ? 0 : w.zero_point >= 0 ? 1 : 2;
  return GroupEnd((exact && w.uniform_scale ? 3 : 0) + bias);
}

// A group's sums (gsum: rows 4q..4q+3 per q) into one token's running values: yacc (fp32) or
// iacc (exact mode with a uniform scale).
template <int B, bool Exact, GroupEnd kEnd>
static inline void EndGroup(const Weights& w, size_t si, float tscale, float tsum, float const_bias,
                            int32_t offset, const int32x4_t (&gsum)[8], float* yacc,
                            int32_t* iacc) {
  constexpr int kMaxCode = (1 << B) - 1;
  constexpr bool kZero = kEnd == GroupEnd::kZeroPoint || kEnd == GroupEnd::kUniformZeroPoint;
  constexpr bool kPer = kEnd == GroupEnd::kPerGroup || kEnd == GroupEnd::kUniformPerGroup;
  constexpr bool kUniform = kEnd >= GroupEnd::kUniform;
  // Quantized mode: λ/2 and the constant the offset-binary lookups (and one zero point) add.
  const float alpha = 0.5f * tscale;
  const float beta = -float(offset) * alpha + (kZero ? const_bias * tsum : 0.0f);
  for (int q = 0; q < 8; ++q) {
    // Loaded only where used: rows with one scale never read the per-group scales.
    auto scale = [&] { return vld1q_f32(w.data.scale + si + 4 * q); };
    if constexpr (Exact) {
      int32x4_t i2 = gsum[q];
      if constexpr (kZero) {
        i2 = vaddq_s32(i2, vdupq_n_s32((kMaxCode - 2 * w.zero_point) * int32_t(tsum)));
      } else if constexpr (kPer) {
        const uint8_t* zp = w.data.zero + si + 4 * q;
        const int32x4_t z = {zp[0], zp[1], zp[2], zp[3]};
        const int32x4_t coef = vsubq_s32(vdupq_n_s32(kMaxCode), vaddq_s32(z, z));
        i2 = vmlaq_s32(i2, coef, vdupq_n_s32(int32_t(tsum)));
      }
      if constexpr (kUniform) {
        vst1q_s32(iacc + 4 * q, vaddq_s32(vld1q_s32(iacc + 4 * q), i2));
      } else {
        const float32x4_t term =
            vmulq_n_f32(vmulq_f32(vcvtq_f32_s32(i2), vmulq_n_f32(scale(), tscale)), 0.5f);
        vst1q_f32(yacc + 4 * q, vaddq_f32(vld1q_f32(yacc + 4 * q), term));
      }
    } else {
      // scale·(λ/2·(A − offset) + bias term): the sums still hold the offset (an integer
      // below 2^24, so A exactly in fp32), removed inside the one fma per row quad.
      const float32x4_t inner = Fma(vdupq_n_f32(beta), vcvtq_f32_s32(gsum[q]), vdupq_n_f32(alpha));
      float32x4_t a = Fma(vld1q_f32(yacc + 4 * q), scale(), inner);
      if constexpr (kPer) {
        a = Fma(a, vld1q_f32(w.data.bias + si + 4 * q), vdupq_n_f32(tsum));
      }
      vst1q_f32(yacc + 4 * q, a);
    }
  }
}

// The microkernel of the shared driver (driver.h).
struct Neon {
  // One branch per call on what a group's end adds (GroupEnd): the group loop has none (the
  // model, like a core's front end, saw separate blocks where it branched per group).
  template <int B, bool Exact, int NB, size_t G>
  static void Block(const Weights& w, const Tables& tb, size_t t0, size_t tile, float* y,
                    size_t y_stride) {
    switch (EndOf(w, Exact)) {
      case GroupEnd::kPlain:
        return Groups<B, Exact, NB, G, GroupEnd::kPlain>(w, tb, t0, tile, y, y_stride);
      case GroupEnd::kZeroPoint:
        return Groups<B, Exact, NB, G, GroupEnd::kZeroPoint>(w, tb, t0, tile, y, y_stride);
      case GroupEnd::kPerGroup:
        return Groups<B, Exact, NB, G, GroupEnd::kPerGroup>(w, tb, t0, tile, y, y_stride);
      case GroupEnd::kUniform:
        return Groups<B, Exact, NB, G, GroupEnd::kUniform>(w, tb, t0, tile, y, y_stride);
      case GroupEnd::kUniformZeroPoint:
        return Groups<B, Exact, NB, G, GroupEnd::kUniformZeroPoint>(w, tb, t0, tile, y, y_stride);
      case GroupEnd::kUniformPerGroup:
        return Groups<B, Exact, NB, G, GroupEnd::kUniformPerGroup>(w, tb, t0, tile, y, y_stride);
    }
  }
  template <int B, bool Exact, int NB, size_t G, GroupEnd kEnd>
  static void Groups(const Weights& w, const Tables& tb, size_t t0, size_t tile, float* y,
                     size_t y_stride);
};

template <int B, bool Exact, int NB, size_t G, GroupEnd kEnd>
void Neon::Groups(const Weights& w, const Tables& tb, size_t t0, size_t tile, float* y,
                  size_t y_stride) {
  const packw::Shape& s = w.shape;
  constexpr size_t quads = G / 4, run = std::min(quads, kRunQuads<B>), runs = quads / run;
  const size_t groups = packw::Groups(s);
  constexpr int kMaxCode = (1 << B) - 1;
  const float const_bias = 0.5f * float(kMaxCode) - float(w.zero_point);  // zero_point ≥ 0
  const uint8x16_t nib = vdupq_n_u8(0x0F);
  // Quantized mode adds the offset-binary bytes, exact mode the hi bytes (h + 128): each run
  // adds 128·(2^b − 1)·run per row.
  const int32x4_t offset = vdupq_n_s32(int32_t(128 * kMaxCode * run));
  const int32_t group_offset = int32_t(128 * kMaxCode * quads);  // quantized: all runs

  float yacc[NB][kTileRows] = {};
  int32_t iacc[NB][kTileRows] = {};
  const uint8_t* lut[NB];
  for (int t = 0; t < NB; ++t) lut[t] = tb.lut + (t0 + t) * tb.lut_stride;

  for (size_t g = 0; g < groups; ++g) {
    int32x4_t gsum[NB][8];
    for (int t = 0; t < NB; ++t) {
      for (auto& v : gsum[t]) v = vdupq_n_s32(0);
    }
    const uint8_t* group_bits = w.data.bits + (tile * groups + g) * B * quads * 16;

    for (size_t r = 0; r < runs; ++r) {
      Acc acc[NB], acc_hi[Exact ? NB : 1];
      for (int t = 0; t < NB; ++t) Zero(acc[t]);
      if constexpr (Exact) {
        for (int t = 0; t < NB; ++t) Zero(acc_hi[t]);
      }
      for (int slot = 0; slot < B; ++slot) {
        if (slot != 0) {
          for (int t = 0; t < NB; ++t) Double(acc[t]);
          if constexpr (Exact) {
            for (int t = 0; t < NB; ++t) Double(acc_hi[t]);
          }
        }
        const uint8_t* wp = group_bits + (slot * quads + r * run) * 16;
        const size_t table0 = (g * quads + r * run) * 16;
        // One prefetch per 64-byte line of the run's quads (a plane's quads start on a line),
        // not one per 16-byte load: the other three were dropped by the core but still took
        // an issue slot each. Issued before the loop so that its schedule stays the same.
        static_assert(run % 4 == 0);
        for (size_t line = 0; line < run * 16; line += 64) {
          __builtin_prefetch(wp + line + kPrefetchDistance);
        }
        if constexpr (Exact) {
          // (One index for every load: the pointer scheme below modelled slower on the A55
          // for the exact kernels, whose four table loads per quad keep its load unit busy.)
#pragma GCC unroll 4
          for (size_t c = 0; c < run; ++c) {
            const uint8x16_t wv = vld1q_u8(wp + c * 16);
            const uint8x16_t i_lo = vandq_u8(wv, nib);
            const uint8x16_t i_hi = vshrq_n_u8(wv, 4);
            for (int t = 0; t < NB; ++t) {
              const uint8_t* tp = lut[t] + table0 + c * 16;
              const uint8x16_t tab = vld1q_u8(tp);
              AddUnsigned(acc[t], Lookup(tab, i_lo), Lookup(tab, i_hi));
              const uint8x16_t tab_hi = vld1q_u8(tp + tb.hi_offset);
              AddUnsigned(acc_hi[t], Lookup(tab_hi, i_lo), Lookup(tab_hi, i_hi));
            }
          }
        } else {
          // Four quads per step, each load at an immediate offset from pointers stepped once:
          // GCC's register-indexed loads were two micro-ops each on the A72 model, whose
          // dispatch (three per cycle) then bounded the loop. Odd quads go through a second
          // pointer GCC cannot relate to the first: adjacent loads from one base became ldp q,
          // six cycles each on the in-order A55 model.
          const uint8_t* wq[2] = {wp, wp + 16};
          const uint8_t* tq[NB][2];
          for (int t = 0; t < NB; ++t) {
            tq[t][0] = lut[t] + table0;
            tq[t][1] = tq[t][0] + 16;
          }
          for (size_t c = 0; c < run; c += 4) {
            for (size_t u = 0; u < 4; ++u) {
              const uint8x16_t wv = vld1q_u8(wq[u & 1] + 32 * (u >> 1));
              const uint8x16_t i_lo = vandq_u8(wv, nib);
              const uint8x16_t i_hi = vshrq_n_u8(wv, 4);
              for (int t = 0; t < NB; ++t) {
                const uint8_t* tp = tq[t][u & 1] + 32 * (u >> 1);
                const uint8x16_t tab = vld1q_u8(tp);
                AddUnsigned(acc[t], Lookup(tab, i_lo), Lookup(tab, i_hi));
              }
            }
            // (The empty asm keeps GCC from folding the pointers back into one register index.)
            for (int h = 0; h < 2; ++h) {
              wq[h] += 64;
              asm("" : "+r"(wq[h]));
              for (int t = 0; t < NB; ++t) {
                tq[t][h] += 64;
                asm("" : "+r"(tq[t][h]));
              }
            }
          }
        }
      }
      for (int t = 0; t < NB; ++t) {
        int32x4_t v[8];
        if constexpr (Exact) {
          int32x4_t hv[8];
          Widen(acc[t], v);
          Widen(acc_hi[t], hv);
          for (int q = 0; q < 8; ++q) {
            v[q] = vaddq_s32(v[q], vshlq_n_s32(vsubq_s32(hv[q], offset), 8));
          }
        } else {
          // The offset comes off in fp32 at the group's end (EndGroup).
          Widen(acc[t], v);
        }
        for (int q = 0; q < 8; ++q) gsum[t][q] = vaddq_s32(gsum[t][q], v[q]);
      }
    }
    const size_t si = (tile * groups + g) * kTileRows;
    for (int t = 0; t < NB; ++t) {
      const size_t bi = (t0 + t) * tb.block_stride + g;
      const float tscale = tb.scale[bi], tsum = tb.sum[bi];
      EndGroup<B, Exact, kEnd>(w, si, tscale, tsum, const_bias, group_offset, gsum[t], yacc[t],
                               iacc[t]);
    }
  }

  const size_t row0 = tile * kTileRows;
  const size_t rows = std::min(kTileRows, s.m - row0);
  for (int t = 0; t < NB; ++t) {
    float* yt = y + (t0 + t) * y_stride + row0;
    if constexpr (Exact && kEnd >= GroupEnd::kUniform) {
      const size_t si0 = tile * groups * kTileRows;
      const float act = tb.scale[(t0 + t) * tb.block_stride];
      for (int q = 0; q < 8; ++q) {
        const float32x4_t f = vcvtq_f32_s32(vld1q_s32(iacc[t] + 4 * q));
        vst1q_f32(yacc[t] + 4 * q,
                  vmulq_n_f32(vmulq_f32(f, vmulq_n_f32(vld1q_f32(w.data.scale + si0 + 4 * q), act)),
                              0.5f));
      }
    }
    std::copy(yacc[t], yacc[t] + rows, yt);
  }
}

}  // namespace

// Names carry nr, which differs between AArch64 and ARMv7 (kNbTables, kNbExact; the list has
// both sets).
#if defined(__aarch64__)
LUTRA_LUTGEMM_DEFINE(w1_32x4g4__neon, Gemm<Neon, 1, false, kNbTables>)
LUTRA_LUTGEMM_DEFINE(w1a8_32x2g4__neon, Gemm<Neon, 1, true, kNbExact>)
LUTRA_LUTGEMM_DEFINE(w2_32x4g4__neon, Gemm<Neon, 2, false, kNbTables>)
LUTRA_LUTGEMM_DEFINE(w2a8_32x2g4__neon, Gemm<Neon, 2, true, kNbExact>)
LUTRA_LUTGEMM_DEFINE(w3_32x4g4__neon, Gemm<Neon, 3, false, kNbTables>)
LUTRA_LUTGEMM_DEFINE(w3a8_32x2g4__neon, Gemm<Neon, 3, true, kNbExact>)
LUTRA_LUTGEMM_DEFINE(w4_32x4g4__neon, Gemm<Neon, 4, false, kNbTables>)
LUTRA_LUTGEMM_DEFINE(w4a8_32x2g4__neon, Gemm<Neon, 4, true, kNbExact>)
#else
LUTRA_LUTGEMM_DEFINE(w1_32x2g4__neon, Gemm<Neon, 1, false, kNbTables>)
LUTRA_LUTGEMM_DEFINE(w1a8_32x1g4__neon, Gemm<Neon, 1, true, kNbExact>)
LUTRA_LUTGEMM_DEFINE(w2_32x2g4__neon, Gemm<Neon, 2, false, kNbTables>)
LUTRA_LUTGEMM_DEFINE(w2a8_32x1g4__neon, Gemm<Neon, 2, true, kNbExact>)
LUTRA_LUTGEMM_DEFINE(w3_32x2g4__neon, Gemm<Neon, 3, false, kNbTables>)
LUTRA_LUTGEMM_DEFINE(w3a8_32x1g4__neon, Gemm<Neon, 3, true, kNbExact>)
LUTRA_LUTGEMM_DEFINE(w4_32x2g4__neon, Gemm<Neon, 4, false, kNbTables>)
LUTRA_LUTGEMM_DEFINE(w4a8_32x1g4__neon, Gemm<Neon, 4, true, kNbExact>)
#endif

}  // namespace lutra::kernels::lutgemm
