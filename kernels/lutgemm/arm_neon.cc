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

// (even lanes of a then b, odd lanes of a then b)
static inline void Uzp(int16x8_t a, int16x8_t b, int16x8_t* even, int16x8_t* odd) {
#if defined(__aarch64__)
  *even = vuzp1q_s16(a, b);
  *odd = vuzp2q_s16(a, b);
#else
  const int16x8x2_t r = vuzpq_s16(a, b);
  *even = r.val[0];
  *odd = r.val[1];
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

// Run sums in row order: out[q] = rows 4q..4q+3 as int32 (signed or unsigned lanes).
template <bool Unsigned>
static inline void Widen(const Acc& a, int32x4_t out[8]) {
  int16x8_t r[4];
  Uzp(a.v[0], a.v[1], &r[0], &r[1]);  // rows 0..7, 8..15
  Uzp(a.v[2], a.v[3], &r[2], &r[3]);  // rows 16..23, 24..31
  for (int h = 0; h < 4; ++h) {
    if constexpr (Unsigned) {
      const uint16x8_t u = vreinterpretq_u16_s16(r[h]);
      out[2 * h] = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(u)));
      out[2 * h + 1] = vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(u)));
    } else {
      out[2 * h] = vmovl_s16(vget_low_s16(r[h]));
      out[2 * h + 1] = vmovl_s16(vget_high_s16(r[h]));
    }
  }
}

// The microkernel of the shared driver (driver.h).
struct Neon {
  template <int B, bool Exact, int NB, size_t G>
  static void Block(const Weights& w, const Tables& tb, size_t t0, size_t tile, float* y,
                    size_t y_stride);
};

template <int B, bool Exact, int NB, size_t G>
void Neon::Block(const Weights& w, const Tables& tb, size_t t0, size_t tile, float* y,
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
#pragma GCC unroll 4
        for (size_t c = 0; c < run; ++c) {
          const uint8x16_t wv = vld1q_u8(wp + c * 16);
          const uint8x16_t i_lo = vandq_u8(wv, nib);
          const uint8x16_t i_hi = vshrq_n_u8(wv, 4);
          for (int t = 0; t < NB; ++t) {
            const uint8_t* tp = lut[t] + table0 + c * 16;
            if constexpr (Exact) {
              const uint8x16_t tab = vld1q_u8(tp);
              AddUnsigned(acc[t], Lookup(tab, i_lo), Lookup(tab, i_hi));
              const uint8x16_t tab_hi = vld1q_u8(tp + tb.hi_offset);
              AddUnsigned(acc_hi[t], Lookup(tab_hi, i_lo), Lookup(tab_hi, i_hi));
            } else {
              const uint8x16_t tab = vld1q_u8(tp);
              AddUnsigned(acc[t], Lookup(tab, i_lo), Lookup(tab, i_hi));
            }
          }
        }
      }
      for (int t = 0; t < NB; ++t) {
        int32x4_t v[8];
        if constexpr (Exact) {
          int32x4_t hv[8];
          Widen<true>(acc[t], v);
          Widen<true>(acc_hi[t], hv);
          for (int q = 0; q < 8; ++q) {
            v[q] = vaddq_s32(v[q], vshlq_n_s32(vsubq_s32(hv[q], offset), 8));
          }
        } else {
          Widen<true>(acc[t], v);
          for (int q = 0; q < 8; ++q) v[q] = vsubq_s32(v[q], offset);
        }
        for (int q = 0; q < 8; ++q) gsum[t][q] = vaddq_s32(gsum[t][q], v[q]);
      }
    }
    const size_t si = (tile * groups + g) * kTileRows;
    for (int t = 0; t < NB; ++t) {
      const size_t bi = (t0 + t) * tb.block_stride + g;
      const float tscale = tb.scale[bi], tsum = tb.sum[bi];
      for (int q = 0; q < 8; ++q) {
        // Loaded only where used: rows with one scale never read the per-group scales.
        auto scale = [&] { return vld1q_f32(w.data.scale + si + 4 * q); };
        if constexpr (Exact) {
          int32x4_t i2 = gsum[t][q];
          if (s.asymmetric && w.zero_point >= 0) {
            i2 = vaddq_s32(i2, vdupq_n_s32((kMaxCode - 2 * w.zero_point) * int32_t(tsum)));
          } else if (s.asymmetric) {
            const uint8_t* zp = w.data.zero + si + 4 * q;
            const int32x4_t z = {zp[0], zp[1], zp[2], zp[3]};
            const int32x4_t coef = vsubq_s32(vdupq_n_s32(kMaxCode), vaddq_s32(z, z));
            i2 = vmlaq_s32(i2, coef, vdupq_n_s32(int32_t(tsum)));
          }
          if (w.uniform_scale) {
            vst1q_s32(iacc[t] + 4 * q, vaddq_s32(vld1q_s32(iacc[t] + 4 * q), i2));
          } else {
            const float32x4_t term =
                vmulq_n_f32(vmulq_f32(vcvtq_f32_s32(i2), vmulq_n_f32(scale(), tscale)), 0.5f);
            vst1q_f32(yacc[t] + 4 * q, vaddq_f32(vld1q_f32(yacc[t] + 4 * q), term));
          }
        } else {
          const float32x4_t sc = scale();
          float32x4_t a = vld1q_f32(yacc[t] + 4 * q);
          a = Fma(a, vcvtq_f32_s32(gsum[t][q]), vmulq_n_f32(sc, 0.5f * tscale));
          if (s.asymmetric && w.zero_point >= 0) {
            a = Fma(a, sc, vdupq_n_f32(const_bias * tsum));
          } else if (s.asymmetric) {
            a = Fma(a, vld1q_f32(w.data.bias + si + 4 * q), vdupq_n_f32(tsum));
          }
          vst1q_f32(yacc[t] + 4 * q, a);
        }
      }
    }
  }

  const size_t row0 = tile * kTileRows;
  const size_t rows = std::min(kTileRows, s.m - row0);
  for (int t = 0; t < NB; ++t) {
    float* yt = y + (t0 + t) * y_stride + row0;
    if (Exact && w.uniform_scale) {
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
