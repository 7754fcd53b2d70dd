// The fields of the lattice i-quant blocks (256 weights each; little-endian, any alignment) and
// their scalar decoding to what every kquant kernel multiplies: per weight a signed int8 code,
// per 16 weights an integer scale, per block one fp32 factor, so that
//   w = factor · scale · code.
// The weights are llama.cpp's (ggml-quants.c, dequantize_row_iq*): group g (0..31) of 8
// weights lies in sub-block ib = g / 4 of 32 at position l = g % 4; the scales s are 3- or
// 4-bit fields, d the fp16 block scale.
//
//   IQ2_XXS  66 bytes: d, then per ib 8 bytes: 4 grid indices (bytes), a uint32 with seven
//            sign bits for group l at 7·l and s in bits 28..31.
//            w = d·(s + ½)/4 · grid2xxs[idx] · signs      → code grid·±1, scale 2s + 1, d/8
//   IQ2_XS   74 bytes: d, qs[32] uint16 (9-bit index, seven sign bits above), scales[8]
//            (s of weights 32·ib + 0..15 in the low nibble, 16..31 in the high one).
//            w = d·(s + ½)/4 · grid2xs[idx] · signs        → scale 2s + 1 per 16, d/8
//   IQ2_S    82 bytes: d, qs[32] (index bits 0..7), signs[32] (eight bits per group), qh[8]
//            (index bits 8..9 of group l of ib at bits 2l of qh[ib]), scales[8] as IQ2_XS.
//            w = d·(s + ½)/4 · grid2s[idx] · signs         → scale 2s + 1 per 16, d/8
//   IQ3_XXS  98 bytes: d, qs[64] (two 4-value grid indices per group), then per ib a uint32:
//            seven sign bits for group l at 7·l, s in bits 28..31.
//            w = d·(s + ½)/2 · grid3xxs[idx] · signs       → scale 2s + 1, d/4
//   IQ3_S   110 bytes: d, qs[64] (index bits 0..7, two per group), qh[8] (bit 8 of index
//            2l + h of ib at bit 2l + h of qh[ib]), signs[32], scales[4] (s of ib in nibble
//            ib % 2 of scales[ib / 2]).
//            w = d·(2s + 1) · grid3s[idx] · signs          → scale 2s + 1, d
//   IQ1_S    50 bytes: d, qs[32] (index bits 0..7), qh[8] uint16 per ib: index bits 8..10 of
//            group l at 3·l, s in bits 12..14, bit 15 the sign of the shift δ.
//            w = d·(2s + 1) · (grid1s[idx] ± 1/8)          → code 8·grid ± 1, d/8
//   IQ1_M    56 bytes: qs[32], qh[16] (byte 2·ib + l/2: index bits 8..10 of group l in bits
//            4·(l%2)..+2, the sign of δ in bit 4·(l%2) + 3), scales[8] as four uint16 words:
//            3-bit s of weights 16·j..16·j+15 (j < 16) at bits 3·(j % 4) of word j / 4, and
//            d's 16 bits as the top nibbles of the four words, word i giving bits 4i..4i+3.
//            w = d·(2s + 1) · (grid1s[idx] ± 1/8)          → code 8·grid ± 1 per 8, d/8
//
// Every integer sum over a block stays exact in int32: |code| ≤ 62, scale ≤ 31, so
// |Σ scale·code·a| ≤ 256·62·31·127 < 2^26. Static inline: included by every ISA file
// (docs/kernels.md on shared headers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/f16/convert.h"
#include "kernels/kquant/iq_grids.h"
#include "kernels/kquant/kquant.h"

namespace lutra::kernels::kquant {

// Byte offsets inside the blocks.
inline constexpr size_t kIqQs = 2;  // the first field after d (IQ1_M: none)
inline constexpr size_t kIq2xsScales = 66;
inline constexpr size_t kIq2sSigns = 34, kIq2sQh = 66, kIq2sScales = 74;
inline constexpr size_t kIq3xxsAux = 66;
inline constexpr size_t kIq3sQh = 66, kIq3sSigns = 74, kIq3sScales = 106;
inline constexpr size_t kIq1sQh = 34;
inline constexpr size_t kIq1mQh = 32, kIq1mScales = 48;

static inline uint32_t IqLoad32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
static inline uint16_t IqLoad16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

static inline uint64_t IqLoad64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Sign bytes from seven stored bits per byte (bit 7 clear): bit 7 set where the seven have an
// odd count (kIqSigns' rule), for eight bytes at once. Bit 0 of each byte of p ends as the
// parity of that byte: the shifts fold bits 4, 2, 1 places down, and whatever comes in from the
// next byte stays above bit 0.
static inline uint64_t IqWithParity(uint64_t x) {
  uint64_t p = x ^ (x >> 4);
  p ^= p >> 2;
  p ^= p >> 1;
  return x | (p & 0x0101010101010101ull) << 7;
}

// The four 7-bit fields at bits 7·l of v (IQ2_XXS, IQ3_XXS) in bytes l.
static inline uint32_t IqSpread7(uint32_t v) {
  return (v & 0x7fu) | (v << 1 & 0x7f00u) | (v << 2 & 0x7f0000u) | (v << 3 & 0x7f000000u);
}

// The four 7-bit sign fields of IQ2_XS's four uint16 entries (bits 9..15) in bytes 0..3.
static inline uint32_t Iq2xsSigns7(uint64_t v) {
  const uint64_t t = (v >> 9) & 0x007f007f007f007full;
  const uint64_t x = t | t >> 8;  // bytes l0 l1 l1 l2 l2 l3 l3 0
  return uint32_t((x & 0xffffu) | ((x >> 16) & 0xffff0000u));
}

// Sub-block ib (weights 32·ib .. 32·ib + 31, groups 4·ib + l) as the SIMD kernels take it: the
// grid rows, the sign bits and the two scales, from scalar loads and integer arithmetic.
struct IqGroups {
  uint64_t row[4];  // group l's 8 grid values: magnitudes (IQ1: 8·g, signed bytes)
  uint32_t signs;   // byte l: group l's sign bits, bit j for weight j (IQ1: 0xff where the
                    // group's shift is −1, 0 where +1)
  int lo, hi;       // the integer scales of weights 0..15 and 16..31
};

template <Format F>
static inline IqGroups IqSubBlock(const uint8_t* blk, int ib) {
  IqGroups s;
  if constexpr (F == Format::kIQ2XXS) {
    const uint64_t v = IqLoad64(blk + kIqQs + 8 * ib);
    for (int l = 0; l < 4; ++l) s.row[l] = kIq2xxsGrid[(v >> (8 * l)) & 255];
    const uint32_t aux = uint32_t(v >> 32);
    s.signs = uint32_t(IqWithParity(IqSpread7(aux)));
    s.lo = s.hi = int(2 * (aux >> 28) + 1);
  } else if constexpr (F == Format::kIQ2XS) {
    const uint64_t v = IqLoad64(blk + kIqQs + 8 * ib);
    for (int l = 0; l < 4; ++l) s.row[l] = kIq2xsGrid[(v >> (16 * l)) & 511];
    s.signs = uint32_t(IqWithParity(Iq2xsSigns7(v)));
    const int sc = blk[kIq2xsScales + ib];
    s.lo = 2 * (sc & 15) + 1, s.hi = 2 * (sc >> 4) + 1;
  } else if constexpr (F == Format::kIQ2S) {
    const uint32_t q = IqLoad32(blk + kIqQs + 4 * ib);
    const uint32_t h = uint32_t(blk[kIq2sQh + ib]) << 8;
    for (int l = 0; l < 4; ++l) {
      s.row[l] = kIq2sGrid[((q >> (8 * l)) & 255) | ((h >> (2 * l)) & 0x300)];
    }
    s.signs = IqLoad32(blk + kIq2sSigns + 4 * ib);
    const int sc = blk[kIq2sScales + ib];
    s.lo = 2 * (sc & 15) + 1, s.hi = 2 * (sc >> 4) + 1;
  } else if constexpr (F == Format::kIQ3XXS) {
    const uint64_t v = IqLoad64(blk + kIqQs + 8 * ib);
    for (int l = 0; l < 4; ++l) {
      s.row[l] = kIq3xxsGrid[(v >> (16 * l)) & 255] |
                 uint64_t(kIq3xxsGrid[(v >> (16 * l + 8)) & 255]) << 32;
    }
    const uint32_t aux = IqLoad32(blk + kIq3xxsAux + 4 * ib);
    s.signs = uint32_t(IqWithParity(IqSpread7(aux)));
    s.lo = s.hi = int(2 * (aux >> 28) + 1);
  } else if constexpr (F == Format::kIQ3S) {
    const uint64_t v = IqLoad64(blk + kIqQs + 8 * ib);
    const uint64_t h = blk[kIq3sQh + ib];
    for (int l = 0; l < 4; ++l) {
      const size_t i0 = ((v >> (16 * l)) & 255) | ((h >> (2 * l)) & 1) << 8;
      const size_t i1 = ((v >> (16 * l + 8)) & 255) | ((h >> (2 * l + 1)) & 1) << 8;
      s.row[l] = kIq3sGrid[i0] | uint64_t(kIq3sGrid[i1]) << 32;
    }
    s.signs = IqLoad32(blk + kIq3sSigns + 4 * ib);
    s.lo = s.hi = 2 * ((blk[kIq3sScales + ib / 2] >> (4 * (ib % 2))) & 15) + 1;
  } else if constexpr (F == Format::kIQ1S) {
    const uint32_t q = IqLoad32(blk + kIqQs + 4 * ib);
    const uint32_t h = IqLoad16(blk + kIq1sQh + 2 * ib);
    for (int l = 0; l < 4; ++l) {
      s.row[l] = kIq1sGrid8[((q >> (8 * l)) & 255) | ((h >> (3 * l)) & 7) << 8];
    }
    s.signs = h & 0x8000 ? 0xffffffffu : 0u;
    s.lo = s.hi = int(2 * ((h >> 12) & 7) + 1);
  } else {
    static_assert(F == Format::kIQ1M);
    const uint32_t q = IqLoad32(blk + 4 * ib);
    const uint32_t h = IqLoad16(blk + kIq1mQh + 2 * ib);
    for (int l = 0; l < 4; ++l) {
      s.row[l] = kIq1sGrid8[((q >> (8 * l)) & 255) | ((h >> (4 * l)) & 7) << 8];
    }
    // Bit 4·l + 3 of h to all of byte l: ((h >> 3) & 0x1111) spread, times 0xff.
    const uint32_t b = (h >> 3) & 0x1111u;
    s.signs = ((b & 1u) | (b >> 4 & 1u) << 8 | (b >> 8 & 1u) << 16 | (b >> 12 & 1u) << 24) * 0xffu;
    const int w = IqLoad16(blk + kIq1mScales + 2 * (ib / 2)) >> (6 * (ib % 2));
    s.lo = 2 * (w & 7) + 1, s.hi = 2 * ((w >> 3) & 7) + 1;
  }
  return s;
}

// IQ1_M's fp16 d, gathered from the top nibbles of its four scale words.
static inline uint16_t Iq1mHalfBits(const uint8_t* blk) {
  uint16_t h = 0;
  for (int i = 0; i < 4; ++i) h |= uint16_t((IqLoad16(blk + kIq1mScales + 2 * i) >> 12) << (4 * i));
  return h;
}

// The block's fp16 d as stored (IQ1_M: gathered).
static inline uint16_t IqHalfBits(Format f, const uint8_t* blk) {
  return f == Format::kIQ1M ? Iq1mHalfBits(blk) : IqLoad16(blk);
}

// The power of two the block's factor takes besides d (the table above).
inline constexpr float IqFactorScale(Format f) {
  return f == Format::kIQ3XXS ? 0.25f : f == Format::kIQ3S ? 1.0f : 0.125f;
}

// Whether the format has a scale per 16 weights (else per 32).
inline constexpr bool IqScalePer16(Format f) {
  return f == Format::kIQ2XS || f == Format::kIQ2S || f == Format::kIQ1M;
}

// fp32 factor of the block: d times the format's power of two (exact).
static inline float IqFactor(Format f, const uint8_t* blk) {
  return f16::HalfToFloat(IqHalfBits(f, blk)) * IqFactorScale(f);
}

// The 256 codes and 16 scales (per 16 weights) of one block, as in the table at the top.
template <Format F>
static inline void IqDecodeBlock(const uint8_t* blk, int8_t q[256], uint8_t sc[16]) {
  for (int ib = 0; ib < 8; ++ib) {
    const IqGroups g = IqSubBlock<F>(blk, ib);
    for (int l = 0; l < 4; ++l) {
      const unsigned bits = (g.signs >> (8 * l)) & 255;
      for (int j = 0; j < 8; ++j) {
        const int v = int8_t(g.row[l] >> (8 * j));
        int code;
        if constexpr (F == Format::kIQ1S || F == Format::kIQ1M) {
          code = v + (bits != 0 ? -1 : 1);
        } else {
          code = (bits >> j) & 1 ? -v : v;
        }
        q[32 * ib + 8 * l + j] = int8_t(code);
      }
    }
    sc[2 * ib] = uint8_t(g.lo), sc[2 * ib + 1] = uint8_t(g.hi);
  }
}

static inline void IqDecode(Format f, const uint8_t* blk, int8_t q[256], uint8_t sc[16]) {
  switch (f) {
    case Format::kIQ2XXS:
      return IqDecodeBlock<Format::kIQ2XXS>(blk, q, sc);
    case Format::kIQ2XS:
      return IqDecodeBlock<Format::kIQ2XS>(blk, q, sc);
    case Format::kIQ2S:
      return IqDecodeBlock<Format::kIQ2S>(blk, q, sc);
    case Format::kIQ3XXS:
      return IqDecodeBlock<Format::kIQ3XXS>(blk, q, sc);
    case Format::kIQ3S:
      return IqDecodeBlock<Format::kIQ3S>(blk, q, sc);
    case Format::kIQ1S:
      return IqDecodeBlock<Format::kIQ1S>(blk, q, sc);
    case Format::kIQ1M:
      return IqDecodeBlock<Format::kIQ1M>(blk, q, sc);
    default:
      return;
  }
}

}  // namespace lutra::kernels::kquant
