// AVX-512 VBMI pack of the canonical layout (packw.h): the load-time repack of every Q4_0,
// Q4_1 and ternary matrix that runs on the lookup kernels, a third of a cold Q4_0 load with
// the portable packer (which gathers the bits of 8 codes and ORs 2 nibbles per plane).
//
// One tile (32 rows) and 64 columns at a time. Per row and plane, vpmovb2m takes bit `plane`
// of 64 codes at once (shifted to each byte's top bit) as a 64-bit mask: byte j of row r's mask
// holds the plane's bits of columns 8j..8j+7, that is quad 2j in its low nibble and quad 2j + 1
// in its high nibble. The layout wants, per quad, 16 bytes with byte p = row ρ(p) (low nibble)
// and row 16 + ρ(p) (high nibble), ρ(p) = (p & 1)·8 + p/2: a byte transpose of the 16 masks of
// rows 0–15 (and of rows 16–31) from row-major to byte-major, one vpermt2b per 4 mask bytes,
// then the nibbles are combined by masks and shifts and the quads interleaved. Every byte of
// the bits array is written (padding columns load as zero codes), so nothing is cleared first.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/packw/pack_scales.h"
#include "kernels/packw/variants.h"

namespace lutra::kernels::packw {
namespace {

constexpr size_t kColumns = 64;  // codes per row per step: one vector, 16 quads

// vpermt2b indices: output byte 16j' + p (the j'-th of four mask bytes j = j0 + j') takes byte
// j of row ρ(p)'s mask, at 8·ρ(p) + j of the two vectors holding the 16 masks.
__m512i TransposeIndex(int j0) {
  alignas(64) uint8_t idx[64];
  for (int o = 0; o < 64; ++o) {
    const int j = j0 + o / 16, p = o % 16;
    const int rho = (p & 1) * 8 + p / 2;
    idx[o] = uint8_t(8 * rho + j);
  }
  return _mm512_load_si512(idx);
}

// Quads 2j (from `even`'s 16-byte lane j) and 2j + 1 (`odd`'s lane j) in memory order:
// lanes (e0, o0, e1, o1) for half 0, (e2, o2, e3, o3) for half 1.
inline __m512i InterleaveQuads(__m512i even, __m512i odd, int half) {
  const __m512i idx = half == 0 ? _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11)
                                : _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
  return _mm512_permutex2var_epi64(even, idx, odd);
}

}  // namespace

void pack_32x4__avx512vbmi(const Shape& s, const Unpacked& in, const PackedMut& out) {
  PackScales(s, in, out);
  const size_t groups = Groups(s), quads = s.group / kQuad, padded_k = PaddedK(s);
  const size_t plane_stride = quads * kQuadBytes, group_stride = s.bits * plane_stride;
  const __m512i first_four = TransposeIndex(0), last_four = TransposeIndex(4);
  const __m512i low = _mm512_set1_epi8(0x0f), high = _mm512_set1_epi8(char(0xf0));
  alignas(64) uint64_t masks[4][kTileRows];
  for (size_t tile = 0; tile < Tiles(s); ++tile) {
    const size_t row0 = tile * kTileRows, rows = std::min(kTileRows, s.m - row0);
    uint8_t* tile_bits = out.bits + tile * groups * group_stride;
    for (size_t col0 = 0; col0 < padded_k; col0 += kColumns) {
      const size_t valid = col0 < s.k ? std::min(kColumns, s.k - col0) : 0;
      const __mmask64 load = valid == kColumns ? ~__mmask64{0} : (__mmask64{1} << valid) - 1;
      for (size_t r = 0; r < kTileRows; ++r) {
        const __m512i q = r < rows ? _mm512_maskz_loadu_epi8(load, in.q + (row0 + r) * s.k + col0)
                                   : _mm512_setzero_si512();
        for (uint32_t plane = 0; plane < s.bits; ++plane) {
          // Shifting 16-bit lanes left by 7 − plane puts bit `plane` of both bytes on their top
          // bits (codes have at most 4 bits, so nothing crosses into the high byte's top bit).
          masks[plane][r] = _cvtmask64_u64(
              _mm512_movepi8_mask(_mm512_sll_epi16(q, _mm_cvtsi32_si128(int(7 - plane)))));
        }
      }
      for (uint32_t plane = 0; plane < s.bits; ++plane) {
        const __m512i lo0 = _mm512_load_si512(masks[plane]),
                      lo1 = _mm512_load_si512(masks[plane] + 8);
        const __m512i hi0 = _mm512_load_si512(masks[plane] + 16);
        const __m512i hi1 = _mm512_load_si512(masks[plane] + 24);
        uint8_t* plane_bits = tile_bits + (s.bits - 1 - plane) * plane_stride;  // MSB first
        for (int half = 0; half < 2; ++half) {
          const __m512i idx = half == 0 ? first_four : last_four;
          const __m512i x = _mm512_permutex2var_epi8(lo0, idx, lo1);  // rows 0-15
          const __m512i y = _mm512_permutex2var_epi8(hi0, idx, hi1);  // rows 16-31
          const __m512i even = _mm512_or_si512(_mm512_and_si512(x, low),
                                               _mm512_and_si512(_mm512_slli_epi16(y, 4), high));
          const __m512i odd = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(x, 4), low),
                                              _mm512_and_si512(y, high));
          for (int part = 0; part < 2; ++part) {
            // Four quads: 16 columns from c, inside one group (G is a multiple of 32).
            const size_t c = col0 + 32 * half + 16 * part;
            if (c >= padded_k) break;
            uint8_t* dst =
                plane_bits + (c / s.group) * group_stride + (c % s.group) / kQuad * kQuadBytes;
            _mm512_storeu_si512(dst, InterleaveQuads(even, odd, part));
          }
        }
      }
    }
  }
}

}  // namespace lutra::kernels::packw
