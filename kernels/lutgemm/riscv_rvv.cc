// RVV 1.0 lookup GEMM, VLEN-agnostic (128 … 2048 bits; tested under qemu at 128, 256, 512 and
// 1024). One e8/m1 register holds qs = min(VLEN/128, run, 16) consecutive quads of one plane
// (the canonical layout puts them next to each other, docs/lut-format.md §1), and the tables
// of the same qs quads are contiguous, so one `vrgather.vv` looks up all of them with the index
// nibble | 16·lane (lane = byte / 16; indices stay < 256 because qs ≤ 16).
//
// Accumulation: tables become signed bytes (XOR 0x80); lookups are sign-extended into int16
// lanes with `vwadd.wv` (lane i = quad lane i/16, byte i%16). At the end of a run the quad
// lanes are folded by halving (`vslidedown` + add, log2 qs steps), one `vrgather` on 16 int16
// lanes puts the bytes into row order (byte p holds row ρ(p) = (p & 1)·8 + p/2), and the
// result is widened into the int32 group sums.
//
// Overflow bound (docs/lut-format.md §4, signed form): a row's run sum over R quads is
// Σ_i 2^i Σ_j Q_ij with |Q| ≤ 127, and every partial sum (any subset of the quads, as a quad
// lane or a Horner prefix holds) is bounded by (2^b − 1)·127·R ≤ 32767 for R ≤ 258/(2^b − 1)
// (b = 1: 258, 2: 86, 3: 36, 4: 17). Exact mode adds the lo bytes (0..255) unsigned
// (`vwaddu.wv`) into uint16: ≤ (2^b − 1)·255·R ≤ 65535 for R ≤ 257/(2^b − 1) (257, 85, 36, 17),
// and h = hi − 128 ∈ [−2, 1] signed into int16. Runs are R = min(G/4, 32) quads for b ≤ 3 and
// min(G/4, 16) for b = 4, inside every bound.
#include <riscv_vector.h>

#include <algorithm>

#include "kernels/lutgemm/driver.h"
#include "kernels/lutgemm/variants.h"

namespace lutra::kernels::lutgemm {
namespace {

using packw::kTileRows;

template <int B>
constexpr size_t kRunQuads = B == 4 ? 16 : 32;

// int16 lanes in byte order p → row order: out[i] = in[p(i)], p(r) = 2r (r < 8), 2(r − 8) + 1.
static inline vuint16m2_t RowOrder() {
  const vuint16m2_t i = __riscv_vid_v_u16m2(16);
  const vuint16m2_t lo = __riscv_vsll_vx_u16m2(i, 1, 16);    // 2i
  const vuint16m2_t hi = __riscv_vsub_vx_u16m2(lo, 15, 16);  // 2(i − 8) + 1
  const vbool8_t upper = __riscv_vmsgeu_vx_u16m2_b8(i, 8, 16);
  return __riscv_vmerge_vvm_u16m2(lo, hi, upper, 16);
}

// Sums the qs quad lanes of acc (16·qs int16 lanes) into lanes 0..15.
static inline vint16m2_t Fold(vint16m2_t acc, size_t qs) {
  for (size_t h = qs / 2; h >= 1; h /= 2) {
    acc = __riscv_vadd_vv_i16m2(acc, __riscv_vslidedown_vx_i16m2(acc, 16 * h, 16 * h), 16 * h);
  }
  return acc;
}

static inline void Double(vint16m2_t& l, vint16m2_t& h, size_t vl) {
  l = __riscv_vadd_vv_i16m2(l, l, vl);
  h = __riscv_vadd_vv_i16m2(h, h, vl);
}

// Quantized tables: signed lookups of the low (rows ρ(p)) and high nibbles (rows 16 + ρ(p)).
static inline void LookupSigned(const uint8_t* tp, vuint8m1_t i_lo, vuint8m1_t i_hi, size_t vl,
                                vint16m2_t& l, vint16m2_t& h) {
  const vuint8m1_t tab = __riscv_vxor_vx_u8m1(__riscv_vle8_v_u8m1(tp, vl), 0x80, vl);
  l = __riscv_vwadd_wv_i16m2(
      l, __riscv_vreinterpret_v_u8m1_i8m1(__riscv_vrgather_vv_u8m1(tab, i_lo, vl)), vl);
  h = __riscv_vwadd_wv_i16m2(
      h, __riscv_vreinterpret_v_u8m1_i8m1(__riscv_vrgather_vv_u8m1(tab, i_hi, vl)), vl);
}

// Exact tables: lo bytes unsigned into l/h (as uint16), hi bytes − 128 signed into el/eh.
static inline void LookupExact(const uint8_t* tp, size_t hi_offset, vuint8m1_t i_lo,
                               vuint8m1_t i_hi, size_t vl, vint16m2_t& l, vint16m2_t& h,
                               vint16m2_t& el, vint16m2_t& eh) {
  const vuint8m1_t tab = __riscv_vle8_v_u8m1(tp, vl);
  l = __riscv_vreinterpret_v_u16m2_i16m2(__riscv_vwaddu_wv_u16m2(
      __riscv_vreinterpret_v_i16m2_u16m2(l), __riscv_vrgather_vv_u8m1(tab, i_lo, vl), vl));
  h = __riscv_vreinterpret_v_u16m2_i16m2(__riscv_vwaddu_wv_u16m2(
      __riscv_vreinterpret_v_i16m2_u16m2(h), __riscv_vrgather_vv_u8m1(tab, i_hi, vl), vl));
  LookupSigned(tp + hi_offset, i_lo, i_hi, vl, el, eh);
}

// End of a run: fold the quad lanes, put rows in order, add into the int32 group sums.
template <bool Exact>
static inline void Finish(vint16m2_t l, vint16m2_t h, vint16m2_t el, vint16m2_t eh, size_t qs,
                          vuint16m2_t order, int32_t* gsum) {
  for (int half = 0; half < 2; ++half) {
    int32_t* gs = gsum + 16 * half;
    const vint16m2_t a = __riscv_vrgather_vv_i16m2(Fold(half ? h : l, qs), order, 16);
    vint32m4_t sum = __riscv_vle32_v_i32m4(gs, 16);
    if constexpr (Exact) {
      // Unsigned lo sums (mod 2^32 the same as a signed add of their values).
      sum = __riscv_vreinterpret_v_u32m4_i32m4(__riscv_vwaddu_wv_u32m4(
          __riscv_vreinterpret_v_i32m4_u32m4(sum), __riscv_vreinterpret_v_i16m2_u16m2(a), 16));
      const vint16m2_t hs = __riscv_vrgather_vv_i16m2(Fold(half ? eh : el, qs), order, 16);
      sum = __riscv_vadd_vv_i32m4(
          sum, __riscv_vsll_vx_i32m4(__riscv_vsext_vf2_i32m4(hs, 16), 8, 16), 16);
    } else {
      sum = __riscv_vwadd_wv_i32m4(sum, a, 16);
    }
    __riscv_vse32_v_i32m4(gs, sum, 16);
  }
}

// The microkernel of the shared driver (driver.h).
struct Rvv {
  template <int B, bool Exact, int NB, size_t G>
  static void Block(const Weights& w, const Tables& tb, size_t t0, size_t tile, float* y,
                    size_t y_stride);
};

template <int B, bool Exact, int NB, size_t G>
void Rvv::Block(const Weights& w, const Tables& tb, size_t t0, size_t tile, float* y,
                size_t y_stride) {
  static_assert(NB == 1 || NB == 2, "token slots 0 and 1 only");
  const packw::Shape& s = w.shape;
  constexpr size_t quads = G / 4, run = std::min(quads, kRunQuads<B>), runs = quads / run;
  const size_t groups = packw::Groups(s);
  constexpr int kMaxCode = (1 << B) - 1;
  const float const_bias = 0.5f * float(kMaxCode) - float(w.zero_point);  // zero_point ≥ 0
  const size_t qs = std::min<size_t>({__riscv_vsetvlmax_e8m1() / 16, run, 16});
  const size_t vl = 16 * qs;
  const vuint8m1_t lane = __riscv_vand_vx_u8m1(__riscv_vid_v_u8m1(vl), 0xF0, vl);
  const vuint16m2_t order = RowOrder();

  float yacc[NB][kTileRows] = {};
  int32_t iacc[NB][kTileRows] = {};
  const uint8_t* lut[NB];
  for (int t = 0; t < NB; ++t) lut[t] = tb.lut + (t0 + t) * tb.lut_stride;

  for (size_t g = 0; g < groups; ++g) {
    int32_t gsum[NB][kTileRows] = {};
    const uint8_t* group_bits = w.data.bits + (tile * groups + g) * B * quads * 16;

    for (size_t r = 0; r < runs; ++r) {
      // RVV types cannot form arrays: token slot 0 and 1 get named accumulators ([l]ow /
      // [h]igh nibble rows; e*: exact-mode hi-byte sums). Unused slots are dead code.
      vint16m2_t a0l = __riscv_vmv_v_x_i16m2(0, vl), a0h = a0l, a1l = a0l, a1h = a0l;
      vint16m2_t e0l = a0l, e0h = a0l, e1l = a0l, e1h = a0l;
      for (int slot = 0; slot < B; ++slot) {
        if (slot != 0) {
          Double(a0l, a0h, vl);
          if constexpr (NB > 1) Double(a1l, a1h, vl);
          if constexpr (Exact) {
            Double(e0l, e0h, vl);
            if constexpr (NB > 1) Double(e1l, e1h, vl);
          }
        }
        const uint8_t* wp = group_bits + (slot * quads + r * run) * 16;
        const size_t table0 = (g * quads + r * run) * 16;
        for (size_t c = 0; c < run; c += qs) {
          const vuint8m1_t wv = __riscv_vle8_v_u8m1(wp + c * 16, vl);
          const vuint8m1_t i_lo = __riscv_vor_vv_u8m1(__riscv_vand_vx_u8m1(wv, 0x0F, vl), lane, vl);
          const vuint8m1_t i_hi = __riscv_vor_vv_u8m1(__riscv_vsrl_vx_u8m1(wv, 4, vl), lane, vl);
          const size_t off = table0 + c * 16;
          if constexpr (Exact) {
            LookupExact(lut[0] + off, tb.hi_offset, i_lo, i_hi, vl, a0l, a0h, e0l, e0h);
            if constexpr (NB > 1) {
              LookupExact(lut[1] + off, tb.hi_offset, i_lo, i_hi, vl, a1l, a1h, e1l, e1h);
            }
          } else {
            LookupSigned(lut[0] + off, i_lo, i_hi, vl, a0l, a0h);
            if constexpr (NB > 1) LookupSigned(lut[1] + off, i_lo, i_hi, vl, a1l, a1h);
          }
        }
      }
      Finish<Exact>(a0l, a0h, e0l, e0h, qs, order, gsum[0]);
      if constexpr (NB > 1) Finish<Exact>(a1l, a1h, e1l, e1h, qs, order, gsum[1]);
    }
    // Per group: 32 rows at once (e32/m8 holds 32 lanes from VLEN = 128 on).
    const size_t si = (tile * groups + g) * kTileRows;
    // Loaded only where used: rows with one scale never read the per-group scales.
    auto scale = [&] { return __riscv_vle32_v_f32m8(w.data.scale + si, kTileRows); };
    for (int t = 0; t < NB; ++t) {
      const size_t bi = (t0 + t) * tb.block_stride + g;
      const float tscale = tb.scale[bi], tsum = tb.sum[bi];
      vint32m8_t i2 = __riscv_vle32_v_i32m8(gsum[t], kTileRows);
      if constexpr (Exact) {
        if (s.asymmetric && w.zero_point >= 0) {
          i2 = __riscv_vadd_vx_i32m8(i2, (kMaxCode - 2 * w.zero_point) * int32_t(tsum), kTileRows);
        } else if (s.asymmetric) {
          const vint32m8_t z = __riscv_vreinterpret_v_u32m8_i32m8(
              __riscv_vzext_vf4_u32m8(__riscv_vle8_v_u8m2(w.data.zero + si, kTileRows), kTileRows));
          const vint32m8_t coef =
              __riscv_vrsub_vx_i32m8(__riscv_vadd_vv_i32m8(z, z, kTileRows), kMaxCode, kTileRows);
          i2 = __riscv_vmacc_vx_i32m8(i2, int32_t(tsum), coef, kTileRows);
        }
        if (w.uniform_scale) {
          __riscv_vse32_v_i32m8(
              iacc[t],
              __riscv_vadd_vv_i32m8(__riscv_vle32_v_i32m8(iacc[t], kTileRows), i2, kTileRows),
              kTileRows);
        } else {
          const vfloat32m8_t term = __riscv_vfmul_vf_f32m8(
              __riscv_vfmul_vv_f32m8(__riscv_vfcvt_f_x_v_f32m8(i2, kTileRows),
                                     __riscv_vfmul_vf_f32m8(scale(), tscale, kTileRows), kTileRows),
              0.5f, kTileRows);
          __riscv_vse32_v_f32m8(
              yacc[t],
              __riscv_vfadd_vv_f32m8(__riscv_vle32_v_f32m8(yacc[t], kTileRows), term, kTileRows),
              kTileRows);
        }
      } else {
        const vfloat32m8_t sc = scale();
        vfloat32m8_t a = __riscv_vle32_v_f32m8(yacc[t], kTileRows);
        a = __riscv_vfmacc_vv_f32m8(a, __riscv_vfcvt_f_x_v_f32m8(i2, kTileRows),
                                    __riscv_vfmul_vf_f32m8(sc, 0.5f * tscale, kTileRows),
                                    kTileRows);
        if (s.asymmetric && w.zero_point >= 0) {
          a = __riscv_vfmacc_vf_f32m8(a, const_bias * tsum, sc, kTileRows);
        } else if (s.asymmetric) {
          a = __riscv_vfmacc_vf_f32m8(a, tsum, __riscv_vle32_v_f32m8(w.data.bias + si, kTileRows),
                                      kTileRows);
        }
        __riscv_vse32_v_f32m8(yacc[t], a, kTileRows);
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
      const vfloat32m8_t f =
          __riscv_vfcvt_f_x_v_f32m8(__riscv_vle32_v_i32m8(iacc[t], kTileRows), kTileRows);
      const vfloat32m8_t sa = __riscv_vfmul_vf_f32m8(
          __riscv_vle32_v_f32m8(w.data.scale + si0, kTileRows), act, kTileRows);
      __riscv_vse32_v_f32m8(
          yacc[t],
          __riscv_vfmul_vf_f32m8(__riscv_vfmul_vv_f32m8(f, sa, kTileRows), 0.5f, kTileRows),
          kTileRows);
    }
    __riscv_vse32_v_f32m8(yt, __riscv_vle32_v_f32m8(yacc[t], rows), rows);
  }
}

}  // namespace

LUTRA_LUTGEMM_DEFINE(w1_32x2g4__rvv, Gemm<Rvv, 1, false, 2>)
LUTRA_LUTGEMM_DEFINE(w1a8_32x1g4__rvv, Gemm<Rvv, 1, true, 1>)
LUTRA_LUTGEMM_DEFINE(w2_32x2g4__rvv, Gemm<Rvv, 2, false, 2>)
LUTRA_LUTGEMM_DEFINE(w2a8_32x1g4__rvv, Gemm<Rvv, 2, true, 1>)
LUTRA_LUTGEMM_DEFINE(w3_32x2g4__rvv, Gemm<Rvv, 3, false, 2>)
LUTRA_LUTGEMM_DEFINE(w3a8_32x1g4__rvv, Gemm<Rvv, 3, true, 1>)
LUTRA_LUTGEMM_DEFINE(w4_32x2g4__rvv, Gemm<Rvv, 4, false, 2>)
LUTRA_LUTGEMM_DEFINE(w4a8_32x1g4__rvv, Gemm<Rvv, 4, true, 1>)

}  // namespace lutra::kernels::lutgemm
