// AVX-512 VBMI + VNNI lookup GEMM (Ice Lake, Zen 4 and later) on the canonical LUT layout.
//
// The BW kernel (x86_avx512.cc) looks up with vpshufb, whose result byte p of lane j is row
// ρ(p) of quad j: summing a row means summing across lanes, so it accumulates 16-bit words,
// splits odd bytes off with shifts and folds the lanes at the end of every int16 run. Here the
// four bytes of dword r of a 64-byte weight load are row r of quads 0..3 (row-quad order,
// packw.h; canonical bits are transposed by one vpermb per load); the lookup is then a vpermb
// into the 64-byte table of those four quads (index nibble + 16·quad), and one vpdpbusd with
// the plane weight 2^i as its signed multiplier adds the four lookups of each row into an
// int32 lane. No int16 runs (no overflow bound to keep), no lane folds, no per-plane doubling,
// and the rows come out in natural order.
// Ops per 64-byte load of one plane (512 weights·bits): index 3, lookups 2 (exact 4), vpdpbusd
// 2 (exact 4): 7 (exact 11), one more to transpose canonical bits, against 11 (exact 19) for
// the BW kernel. Where the shuffles and vpdpbusd share a pipe (Zen 4) each op counts, which is
// what the row-quad layout saves (docs/lut-format.md §6).
//
// This file also holds the row-quad instantiations of the VNNI dot-product kernels
// (x86_avx512_dot.h), the many-token partners of the row-quad lookup kernels.
//
// Table bytes are offset binary (stored = value + 128) except the exact mode's lo tables
// (unsigned low bytes): Σ 2^i·stored over a group is corrected by 128·(2^b − 1)·(G/4) per row,
// as in docs/lut-format.md §4; vpdpbusd takes them as the unsigned operand, so nothing wraps.
//
// GCC 12 reports the _mm512_undefined_*() placeholders inside its own intrinsics as
// maybe-uninitialized; the values are never read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include <algorithm>

#include "kernels/lutgemm/variants.h"
#include "kernels/lutgemm/x86_avx512_dot.h"
#include "kernels/lutgemm/x86_avx512_rows.h"
#include "kernels/lutgemm/x86_prefetch.h"

namespace lutra::kernels::lutgemm {
namespace {

using packw::kTileRows;

// Canonical bits: output byte 4r + j ← input byte 16j + ρ⁻¹(r), the row-quad order of
// packw::ToRowQuads; ρ(p) = (p & 1)·8 + p/2, so ρ⁻¹(r) = 2r (r < 8), 2r − 15.
struct Transpose {
  alignas(64) uint8_t idx[64];
  alignas(64) uint8_t quad[64];  // 16·j: selects quad j's 16 entries of the 64-byte table
  constexpr Transpose() : idx(), quad() {
    for (int r = 0; r < 16; ++r) {
      for (int j = 0; j < 4; ++j) {
        idx[4 * r + j] = uint8_t(16 * j + (r < 8 ? 2 * r : 2 * r - 15));
        quad[4 * r + j] = uint8_t(16 * j);
      }
    }
  }
};
constexpr Transpose kTranspose;

// (a & 0x0F) | quad in one vpternlogd: truth table (A & B) | C = 0xEA.
static inline __m512i Index(__m512i a, __m512i low_nibble, __m512i quad) {
  return _mm512_ternarylogic_epi32(a, low_nibble, quad, 0xEA);
}

// One block: NB tokens × TT consecutive tiles. Each table load serves the TT tiles and each
// weight load the NB tokens (one of the two is 1).
template <packw::PlaneOrder Order, int B, bool Exact, int NB, int TT, size_t G>
static void Block(const Weights& w, const Tables& tb, size_t t0, size_t tile0, float* y,
                  size_t y_stride) {
  static_assert(NB == 1 || TT == 1, "a block shares either its weight or its table loads");
  const packw::Shape& s = w.shape;
  constexpr size_t quads = G / 4;
  constexpr int kMaxCode = (1 << B) - 1;
  // p, the parity of the 64-byte step, keeps two vpdpbusd chains per row half in flight when
  // there is a single tile; several tiles are independent chains already.
  constexpr int kParities = TT == 1 ? 2 : 1;
  const size_t groups = packw::Groups(s);
  const size_t tile_bytes = groups * B * quads * 16;
  const __m512i transpose = _mm512_load_si512(kTranspose.idx);
  const __m512i quad = _mm512_load_si512(kTranspose.quad);
  const __m512i nib = _mm512_set1_epi8(0x0F);
  // Offset binary: each row's group sum carries 128·(2^b − 1)·quads (exact: in the hi part).
  const __m512i offset = _mm512_set1_epi32(128 * kMaxCode * int(quads));

  alignas(64) float yacc[TT][NB][kTileRows] = {};
  alignas(64) int32_t iacc[TT][NB][kTileRows] = {};
  const uint8_t* lut[NB];
  for (int t = 0; t < NB; ++t) lut[t] = tb.lut + (t0 + t) * tb.lut_stride;

  for (size_t g = 0; g < groups; ++g) {
    // acc[·][u][t][0]: rows 0..15 of tile u, [1]: rows 16..31; hi: the exact mode's high
    // table bytes.
    __m512i acc[kParities][TT][NB][2], acc_hi[kParities][TT][Exact ? NB : 1][2];
    for (int p = 0; p < kParities; ++p) {
      for (int u = 0; u < TT; ++u) {
        for (int t = 0; t < NB; ++t) acc[p][u][t][0] = acc[p][u][t][1] = _mm512_setzero_si512();
        if constexpr (Exact) {
          for (int t = 0; t < NB; ++t) {
            acc_hi[p][u][t][0] = acc_hi[p][u][t][1] = _mm512_setzero_si512();
          }
        }
      }
    }
    const uint8_t* group_bits[TT];
    const uint8_t* tile_end[TT];
    for (int u = 0; u < TT; ++u) {
      group_bits[u] = w.data.bits + (tile0 + u) * tile_bytes + g * B * quads * 16;
      tile_end[u] = w.data.bits + (tile0 + u + 1) * tile_bytes;  // its prefetch turns here
    }
    for (int slot = 0; slot < B; ++slot) {
      const __m512i plane = _mm512_set1_epi8(char(1 << (B - 1 - slot)));  // MSB plane first
      // Not unrolled further: GCC unrolls the whole group by itself, which bunches its weight
      // prefetches and made 2-bit from memory slower (docs/measurements.md).
#pragma GCC unroll 1
      for (size_t c = 0; c < quads; c += 8) {  // quads is a multiple of 8 (G ≥ 32)
        for (int h = 0; h < 2; ++h) {
          const size_t cp = c + 4 * h;
          const int p = h % kParities;
          __m512i i_lo[TT], i_hi[TT];
          for (int u = 0; u < TT; ++u) {
            const uint8_t* wp = group_bits[u] + (slot * quads + cp) * 16;
            if constexpr (Exact) {
              x86::PrefetchWeightsToL2<12288>(wp);
            } else if constexpr (TT == 1) {
              x86::PrefetchWeightsToL1(wp);
            } else {
              x86::PrefetchTileStreamToL2<2048>(wp, tile_end[u], (TT - 1) * tile_bytes);
            }
            __m512i wv = _mm512_loadu_si512(wp);
            if constexpr (Order == packw::PlaneOrder::kCanonical) {
              wv = _mm512_permutexvar_epi8(transpose, wv);
            }
            i_lo[u] = Index(wv, nib, quad);
            i_hi[u] = Index(_mm512_srli_epi16(wv, 4), nib, quad);
          }
          const size_t table0 = (g * quads + cp) * 16;
          for (int t = 0; t < NB; ++t) {
            const uint8_t* tp = lut[t] + table0;
            const __m512i tab = _mm512_loadu_si512(tp);
            for (int u = 0; u < TT; ++u) {
              acc[p][u][t][0] = _mm512_dpbusd_epi32(acc[p][u][t][0],
                                                    _mm512_permutexvar_epi8(i_lo[u], tab), plane);
              acc[p][u][t][1] = _mm512_dpbusd_epi32(acc[p][u][t][1],
                                                    _mm512_permutexvar_epi8(i_hi[u], tab), plane);
            }
            if constexpr (Exact) {
              const __m512i tab_hi = _mm512_loadu_si512(tp + tb.hi_offset);
              for (int u = 0; u < TT; ++u) {
                acc_hi[p][u][t][0] = _mm512_dpbusd_epi32(
                    acc_hi[p][u][t][0], _mm512_permutexvar_epi8(i_lo[u], tab_hi), plane);
                acc_hi[p][u][t][1] = _mm512_dpbusd_epi32(
                    acc_hi[p][u][t][1], _mm512_permutexvar_epi8(i_hi[u], tab_hi), plane);
              }
            }
          }
        }
      }
    }
    for (int u = 0; u < TT; ++u) {
      const size_t si = ((tile0 + u) * groups + g) * kTileRows;
      for (int t = 0; t < NB; ++t) {
        const size_t bi = (t0 + t) * tb.block_stride + g;
        for (int h = 0; h < 2; ++h) {
          __m512i lo = acc[0][u][t][h];
          if constexpr (kParities == 2) lo = _mm512_add_epi32(lo, acc[1][u][t][h]);
          __m512i sums = _mm512_sub_epi32(lo, offset);
          if constexpr (Exact) {
            // A = lo + 256·(hi − offset), the Σ 2^i·T of the int16 tables.
            __m512i hi = acc_hi[0][u][t][h];
            if constexpr (kParities == 2) hi = _mm512_add_epi32(hi, acc_hi[1][u][t][h]);
            sums = _mm512_add_epi32(lo, _mm512_slli_epi32(_mm512_sub_epi32(hi, offset), 8));
          }
          avx512_rows::AddGroup<B, Exact>(w, si, h, sums, tb.scale[bi], tb.sum[bi], yacc[u][t],
                                          iacc[u][t]);
        }
      }
    }
  }

  for (int u = 0; u < TT; ++u) {
    const size_t row0 = (tile0 + u) * kTileRows;
    const size_t rows = std::min(kTileRows, s.m - row0);
    for (int t = 0; t < NB; ++t) {
      avx512_rows::StoreTile<Exact>(w, tile0 + u, tb.scale[(t0 + t) * tb.block_stride], yacc[u][t],
                                    iacc[u][t], rows, y + (t0 + t) * y_stride + row0);
    }
  }
}

// Tiles per block for a single token. From memory, the weights stream through L1 and evict the
// token's tables (16 KB per 4096 activations) between two tiles; each table line then comes
// back from L2 once per tile, and those refills compete with the weight stream for L1's miss
// slots. Sharing each table load among four tiles cuts that traffic and the table loads: four
// tiles at 1, 2 and 3 bits; one at 4 bits (four win at G = 128 but lose at G = 64, lutra-convert's
// default, and in decode); one in exact mode (two tables, which the weight prefetches must not
// evict). The runs: docs/measurements.md, "Tiles per table load".
template <int B, bool Exact>
constexpr int kTilesPerTableLoad = !Exact && B <= 3 ? 4 : 1;

template <packw::PlaneOrder Order, int B, bool Exact, int NB, size_t G>
static void Tiles(const Weights& w, const Tables& tb, size_t n, size_t tile_begin, size_t tile_end,
                  float* y, size_t y_stride) {
  constexpr int TT = kTilesPerTableLoad<B, Exact>;
  const size_t full = n / NB * NB;  // tokens in blocks of NB; the rest go one at a time
  size_t tile = tile_begin;
  for (; tile + TT <= tile_end; tile += TT) {
    for (int u = 0; u < TT; ++u) {
      for (size_t t = 0; t < full; t += NB) {
        Block<Order, B, Exact, NB, 1, G>(w, tb, t, tile + u, y, y_stride);
      }
    }
    for (size_t t = full; t < n; ++t) Block<Order, B, Exact, 1, TT, G>(w, tb, t, tile, y, y_stride);
  }
  for (; tile < tile_end; ++tile) {
    for (size_t t = 0; t < full; t += NB)
      Block<Order, B, Exact, NB, 1, G>(w, tb, t, tile, y, y_stride);
    for (size_t t = full; t < n; ++t) Block<Order, B, Exact, 1, 1, G>(w, tb, t, tile, y, y_stride);
  }
}

template <packw::PlaneOrder Order, int B, bool Exact, int NB>
static void Gemm(const Weights& w, const Tables& tb, size_t n, size_t tile_begin, size_t tile_end,
                 float* y, size_t y_stride) {
  switch (w.shape.group) {
    case 32:
      return Tiles<Order, B, Exact, NB, 32>(w, tb, n, tile_begin, tile_end, y, y_stride);
    case 64:
      return Tiles<Order, B, Exact, NB, 64>(w, tb, n, tile_begin, tile_end, y, y_stride);
    default:
      return Tiles<Order, B, Exact, NB, 128>(w, tb, n, tile_begin, tile_end, y, y_stride);
  }
}

}  // namespace

constexpr auto kCanonical = packw::PlaneOrder::kCanonical;
constexpr auto kRowQuads = packw::PlaneOrder::kRowQuads;

LUTRA_LUTGEMM_DEFINE(w1_32x4g4__avx512icl, Gemm<kCanonical, 1, false, 4>)
LUTRA_LUTGEMM_DEFINE(w1a8_32x2g4__avx512icl, Gemm<kCanonical, 1, true, 2>)
LUTRA_LUTGEMM_DEFINE(w1_32x4g4rq__avx512icl, Gemm<kRowQuads, 1, false, 4>)
LUTRA_LUTGEMM_DEFINE(w1a8_32x2g4rq__avx512icl, Gemm<kRowQuads, 1, true, 2>)
LUTRA_LUTGEMM_DEFINE(w1a8_32x8g4rq__avx512icl, avx512_dot::Gemm<kRowQuads, 1, false>)
LUTRA_LUTGEMM_DEFINE(w2_32x4g4__avx512icl, Gemm<kCanonical, 2, false, 4>)
LUTRA_LUTGEMM_DEFINE(w2a8_32x2g4__avx512icl, Gemm<kCanonical, 2, true, 2>)
LUTRA_LUTGEMM_DEFINE(w2_32x4g4rq__avx512icl, Gemm<kRowQuads, 2, false, 4>)
LUTRA_LUTGEMM_DEFINE(w2a8_32x2g4rq__avx512icl, Gemm<kRowQuads, 2, true, 2>)
LUTRA_LUTGEMM_DEFINE(w2a8_32x8g4rq__avx512icl, avx512_dot::Gemm<kRowQuads, 2, false>)
LUTRA_LUTGEMM_DEFINE(w3_32x4g4__avx512icl, Gemm<kCanonical, 3, false, 4>)
LUTRA_LUTGEMM_DEFINE(w3a8_32x2g4__avx512icl, Gemm<kCanonical, 3, true, 2>)
LUTRA_LUTGEMM_DEFINE(w3_32x4g4rq__avx512icl, Gemm<kRowQuads, 3, false, 4>)
LUTRA_LUTGEMM_DEFINE(w3a8_32x2g4rq__avx512icl, Gemm<kRowQuads, 3, true, 2>)
LUTRA_LUTGEMM_DEFINE(w3a8_32x8g4rq__avx512icl, avx512_dot::Gemm<kRowQuads, 3, false>)
LUTRA_LUTGEMM_DEFINE(w4_32x4g4__avx512icl, Gemm<kCanonical, 4, false, 4>)
LUTRA_LUTGEMM_DEFINE(w4a8_32x2g4__avx512icl, Gemm<kCanonical, 4, true, 2>)
LUTRA_LUTGEMM_DEFINE(w4_32x4g4rq__avx512icl, Gemm<kRowQuads, 4, false, 4>)
LUTRA_LUTGEMM_DEFINE(w4a8_32x2g4rq__avx512icl, Gemm<kRowQuads, 4, true, 2>)
LUTRA_LUTGEMM_DEFINE(w4a8_32x8g4rq__avx512icl, avx512_dot::Gemm<kRowQuads, 4, false>)
// Per-block (fp32 activation) prefill variants, at 3 and 4 bits only (kernels.inc).
LUTRA_LUTGEMM_DEFINE(w3_32x8g4rq__avx512icl, avx512_dot::Gemm<kRowQuads, 3, true>)
LUTRA_LUTGEMM_DEFINE(w4_32x8g4rq__avx512icl, avx512_dot::Gemm<kRowQuads, 4, true>)

}  // namespace lutra::kernels::lutgemm
