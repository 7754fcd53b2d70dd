// AVX-512 VBMI + VNNI ternary3 kernels (Ice Lake, Zen 4 and later).
//
// GEMM, per 64-byte load of a block's indices (4 triples × 32 rows, dword p = rows p and
// 16 + p): the index nibbles, offset by 16j, select a triple's 16-entry table inside the
// block's 64-byte lo and hi table vectors (vpermb), and vpdpbusd with a ±1 multiplier per byte
// (one vpblendmb from the sign bits, which the layout stores in the same byte order) adds each
// row's four signed lookups. 13 vector operations per 384 weights, against 24 per 512 for the
// bit-plane exact kernel, and 5 bits per 3 weights instead of 2 per weight.
//
// GCC 12 reports the _mm512_undefined_*() placeholders inside its own intrinsics as
// maybe-uninitialized; the values are never read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/ternary3/variants.h"

namespace lutra::kernels::ternary3 {
namespace {

// quad[4p + j] = 16j: index byte 4p + j selects in triple j's 16-entry table.
struct QuadOffsets {
  alignas(64) uint8_t quad[64];
  constexpr QuadOffsets() : quad() {
    for (int i = 0; i < 64; ++i) quad[i] = uint8_t(16 * (i % 4));
  }
};
constexpr QuadOffsets kQuadOffsets;

// The table build, per block (4 triples, 12 activations, sign-extended to int16 lanes): a
// vector of 32 int16 lanes holds two triples' 16 entries; lane l of half h (triple
// 2h + l / 16) is V = Σ_d c_d(e)·a[3·triple + d], e = l % 16. Per digit d one vpermw spreads
// the triple's activation over its 16 lanes and vpmullw applies c_d ∈ {−1, 0, +1}; vpermt2b
// then gathers the low bytes (and the high bytes) of both halves into one 64-byte table.
struct BuildConstants {
  alignas(64) int16_t spread[2][3][32];   // [half][digit][lane]: activation index
  alignas(64) int16_t digit[3][32];       // [digit][lane]: c_d(lane % 16), 0 for 14 and 15
  alignas(64) uint8_t low[64], high[64];  // byte i ← byte 2i (+1) of the pair of vectors
  constexpr BuildConstants() : spread(), digit(), low(), high() {
    for (int lane = 0; lane < 32; ++lane) {
      for (int d = 0; d < 3; ++d) digit[d][lane] = int16_t(BalancedDigit(lane % 16, d));
      for (int h = 0; h < 2; ++h) {
        for (int d = 0; d < 3; ++d) spread[h][d][lane] = int16_t(3 * (2 * h + lane / 16) + d);
      }
    }
    for (int i = 0; i < 64; ++i) {
      low[i] = uint8_t(2 * i);
      high[i] = uint8_t(2 * i + 1);
    }
  }
};
constexpr BuildConstants kBuild;

// The weight stream is read once: prefetch it into L2, 12 KB ahead. Into L1 it would evict
// the tables (43 KB per 4096 activations, already more than L1 holds; see
// kernels/lutgemm/x86_prefetch.h).
constexpr size_t kPrefetchDistance = 12288;

template <int NB>
void Tile(const Weights& w, const uint8_t* tables, const float* act, size_t t0, size_t tile,
          float* y, size_t y_stride) {
  const size_t blocks = Blocks(w.k), table_bytes = TableBytes(w.k);
  const __m512i quad = _mm512_load_si512(kQuadOffsets.quad);
  const __m512i nib = _mm512_set1_epi8(0x0F);
  const __m512i plus = _mm512_set1_epi8(1), minus = _mm512_set1_epi8(-1);
  __m512i lo[NB][2], hi[NB][2];
  for (int t = 0; t < NB; ++t) lo[t][0] = lo[t][1] = hi[t][0] = hi[t][1] = _mm512_setzero_si512();
  const uint8_t* data = w.data + tile * blocks * kBlockBytes;
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = data + b * kBlockBytes;
    // A block (80 bytes) spans two cache lines: prefetch both ends, or one line in five
    // would be a demand miss.
    _mm_prefetch(reinterpret_cast<const char*>(blk + kPrefetchDistance), _MM_HINT_T1);
    _mm_prefetch(reinterpret_cast<const char*>(blk + kPrefetchDistance + kBlockBytes - 1),
                 _MM_HINT_T1);
    const __m512i wv = _mm512_loadu_si512(blk);
    const __m512i i_lo = _mm512_ternarylogic_epi32(wv, nib, quad, 0xEA);  // (a & b) | c
    const __m512i i_hi = _mm512_ternarylogic_epi32(_mm512_srli_epi16(wv, 4), nib, quad, 0xEA);
    uint64_t bits[2];
    std::memcpy(bits, blk + 64, 16);
    const __m512i m_lo = _mm512_mask_blend_epi8(_cvtu64_mask64(bits[0]), plus, minus);
    const __m512i m_hi = _mm512_mask_blend_epi8(_cvtu64_mask64(bits[1]), plus, minus);
    for (int t = 0; t < NB; ++t) {
      const uint8_t* tp = tables + (t0 + t) * table_bytes + b * kTableBlockBytes;
      const __m512i tl = _mm512_loadu_si512(tp), th = _mm512_loadu_si512(tp + 64);
      lo[t][0] = _mm512_dpbusd_epi32(lo[t][0], _mm512_permutexvar_epi8(i_lo, tl), m_lo);
      lo[t][1] = _mm512_dpbusd_epi32(lo[t][1], _mm512_permutexvar_epi8(i_hi, tl), m_hi);
      hi[t][0] = _mm512_dpbusd_epi32(hi[t][0], _mm512_permutexvar_epi8(i_lo, th), m_lo);
      hi[t][1] = _mm512_dpbusd_epi32(hi[t][1], _mm512_permutexvar_epi8(i_hi, th), m_hi);
    }
  }
  const size_t row0 = tile * kTileRows;
  const size_t rows = std::min(kTileRows, w.m - row0);
  for (int h = 0; h < 2; ++h) {
    if (rows <= size_t(16 * h)) break;
    const size_t cnt = std::min<size_t>(16, rows - 16 * h);
    const __mmask16 mask = __mmask16((uint32_t{1} << cnt) - 1);
    const __m512i sign_sum = _mm512_loadu_si512(w.sign_sum + row0 + 16 * h);
    const __m512 scale = _mm512_loadu_ps(w.scale + row0 + 16 * h);
    for (int t = 0; t < NB; ++t) {
      // S = Σ sign·lo + 256·(Σ sign·hi − 2·Σ sign): the hi tables are stored + 2.
      const __m512i s = _mm512_add_epi32(
          lo[t][h],
          _mm512_slli_epi32(_mm512_sub_epi32(hi[t][h], _mm512_add_epi32(sign_sum, sign_sum)), 8));
      const __m512 v =
          _mm512_mul_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(scale, _mm512_set1_ps(act[t0 + t])));
      _mm512_mask_storeu_ps(y + (t0 + t) * y_stride + row0 + 16 * h, mask, v);
    }
  }
}

}  // namespace

void build__avx512icl(size_t k, size_t n, const int8_t* xq, size_t xq_stride, uint8_t* tables) {
  __m512i spread[2][3], digit[3];
  for (int d = 0; d < 3; ++d) {
    digit[d] = _mm512_load_si512(kBuild.digit[d]);
    for (int h = 0; h < 2; ++h) spread[h][d] = _mm512_load_si512(kBuild.spread[h][d]);
  }
  const __m512i low = _mm512_load_si512(kBuild.low), high = _mm512_load_si512(kBuild.high);
  const __m512i two = _mm512_set1_epi8(2);
  const size_t blocks = Blocks(k), block_k = kBlockTriples * 3;
  for (size_t t = 0; t < n; ++t) {
    const int8_t* x = xq + t * xq_stride;
    uint8_t* tab = tables + t * TableBytes(k);
    for (size_t b = 0; b < blocks; ++b) {
      // Only the block's activations below k are read (the rest are zero tables).
      const size_t c0 = b * block_k, valid = std::min(block_k, k - c0);
      const __m128i a8 = _mm_maskz_loadu_epi8(__mmask16((1u << valid) - 1), x + c0);
      const __m512i a16 = _mm512_castsi256_si512(_mm256_cvtepi8_epi16(a8));
      __m512i v[2];
      for (int h = 0; h < 2; ++h) {
        __m512i acc = _mm512_mullo_epi16(_mm512_permutexvar_epi16(spread[h][0], a16), digit[0]);
        acc = _mm512_add_epi16(
            acc, _mm512_mullo_epi16(_mm512_permutexvar_epi16(spread[h][1], a16), digit[1]));
        v[h] = _mm512_add_epi16(
            acc, _mm512_mullo_epi16(_mm512_permutexvar_epi16(spread[h][2], a16), digit[2]));
      }
      uint8_t* out = tab + b * kTableBlockBytes;
      // |V| ≤ 384, so the high byte is in [−2, 1]; the tables store it + 2.
      _mm512_storeu_si512(out, _mm512_permutex2var_epi8(v[0], low, v[1]));
      _mm512_storeu_si512(out + 64,
                          _mm512_add_epi8(_mm512_permutex2var_epi8(v[0], high, v[1]), two));
    }
  }
}

void gemm__avx512icl(const Weights& w, const uint8_t* tables, const float* act, size_t n,
                     size_t tile_begin, size_t tile_end, float* y, size_t y_stride) {
  for (size_t tile = tile_begin; tile < tile_end; ++tile) {
    size_t t = 0;
    for (; t + 4 <= n; t += 4) Tile<4>(w, tables, act, t, tile, y, y_stride);
    for (; t < n; ++t) Tile<1>(w, tables, act, t, tile, y, y_stride);
  }
}

}  // namespace lutra::kernels::ternary3
