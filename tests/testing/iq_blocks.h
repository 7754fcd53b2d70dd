// Lattice i-quant blocks built by tests from chosen contents (grid indices, sign bits, scale
// fields, IQ1's shifts, d): packed into bytes by the layout rules (as llama.cpp's
// quantize_row_iq* packs them), and their weights computed in double from the contents by the
// formats' definitions (ggml-quants.c, dequantize_row_iq*), never from the bytes. The grid
// values are the kernels' tables, which tests/kernels/iq_grids_test.cc checks against
// llama.cpp's.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "kernels/f16/convert.h"
#include "kernels/kquant/iq_grids.h"
#include "kernels/kquant/kquant.h"
#include "tests/testing/rng.h"

namespace lutra::testing::iq {

using kernels::kquant::Format;

// What a block of each format holds (the rules of kernels/kquant/iq_fields.h).
struct Traits {
  size_t grid;           // grid points
  int points_per_group;  // 1 (8 values per point) or 2 (IQ3: 4 values per point)
  int scale_bits;        // 4, or 3 (IQ1)
  bool per16;            // a scale per 16 weights (else per 32)
  bool parity_signs;     // seven stored sign bits (the eighth: even count)
  bool iq1;              // no signs, a ±1/8 shift; per 8 weights (IQ1_M) or 32 (IQ1_S)
};

inline Traits TraitsOf(Format f) {
  switch (f) {
    case Format::kIQ2XXS:
      return {256, 1, 4, false, true, false};
    case Format::kIQ2XS:
      return {512, 1, 4, true, true, false};
    case Format::kIQ2S:
      return {1024, 1, 4, true, false, false};
    case Format::kIQ3XXS:
      return {256, 2, 4, false, true, false};
    case Format::kIQ3S:
      return {512, 2, 4, false, false, false};
    case Format::kIQ1S:
      return {2048, 1, 3, false, false, true};
    case Format::kIQ1M:
      return {2048, 1, 3, true, false, true};
    default:
      return {};
  }
}

// Value j (0..7 or 0..3) of grid point i.
inline int GridValue(Format f, size_t i, int j) {
  switch (f) {
    case Format::kIQ2XXS:
      return int(kernels::kquant::kIq2xxsGrid[i] >> (8 * j)) & 255;
    case Format::kIQ2XS:
      return int(kernels::kquant::kIq2xsGrid[i] >> (8 * j)) & 255;
    case Format::kIQ2S:
      return int(kernels::kquant::kIq2sGrid[i] >> (8 * j)) & 255;
    case Format::kIQ3XXS:
      return int(kernels::kquant::kIq3xxsGrid[i] >> (8 * j)) & 255;
    case Format::kIQ3S:
      return int(kernels::kquant::kIq3sGrid[i] >> (8 * j)) & 255;
    default:
      return int8_t(kernels::kquant::kIq1sGrid8[i] >> (8 * j)) / 8;  // llama.cpp's −1, 0, 1
  }
}

// One block's contents.
struct Spec {
  uint16_t d_bits = 0;
  int s[16] = {};         // scale fields per 16 weights (per-32 formats: pairs equal)
  int idx[64] = {};       // grid indices: group g's in idx[g] (IQ3: idx[2g], idx[2g + 1])
  uint8_t sign[32] = {};  // sign bits of group g (parity formats: even count)
  int delta[32] = {};     // IQ1: +1 or −1 per group (IQ1_S: one per 4 groups)
};

inline uint8_t WithParity(int seven) {
  return uint8_t(seven | (__builtin_popcount(unsigned(seven)) & 1) << 7);
}

// The block's bytes, as llama.cpp's quantizers pack them.
inline void Pack(Format f, const Spec& sp, uint8_t* b) {
  std::memset(b, 0, kernels::kquant::BlockBytes(f));
  auto put16 = [](uint8_t* p, unsigned v) {
    p[0] = uint8_t(v & 255);
    p[1] = uint8_t(v >> 8);
  };
  auto put32 = [](uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
  };
  if (f != Format::kIQ1M) put16(b, sp.d_bits);
  for (int ib = 0; ib < 8; ++ib) {
    switch (f) {
      case Format::kIQ2XXS:
      case Format::kIQ3XXS: {
        uint32_t aux = uint32_t(sp.s[2 * ib]) << 28;
        for (int l = 0; l < 4; ++l) aux |= uint32_t(sp.sign[4 * ib + l] & 127) << (7 * l);
        if (f == Format::kIQ2XXS) {
          for (int l = 0; l < 4; ++l) b[2 + 8 * ib + l] = uint8_t(sp.idx[4 * ib + l]);
          put32(b + 2 + 8 * ib + 4, aux);
        } else {
          for (int i = 0; i < 8; ++i) b[2 + 8 * ib + i] = uint8_t(sp.idx[8 * ib + i]);
          put32(b + 66 + 4 * ib, aux);
        }
        break;
      }
      case Format::kIQ2XS:
        for (int l = 0; l < 4; ++l) {
          const int g = 4 * ib + l;
          put16(b + 2 + 2 * g, unsigned(sp.idx[g]) | unsigned(sp.sign[g] & 127) << 9);
        }
        b[66 + ib] = uint8_t(sp.s[2 * ib] | sp.s[2 * ib + 1] << 4);
        break;
      case Format::kIQ2S:
        for (int l = 0; l < 4; ++l) {
          const int g = 4 * ib + l;
          b[2 + g] = uint8_t(sp.idx[g] & 255);
          b[34 + g] = sp.sign[g];
          b[66 + ib] = uint8_t(b[66 + ib] | (sp.idx[g] >> 8) << (2 * l));
        }
        b[74 + ib] = uint8_t(sp.s[2 * ib] | sp.s[2 * ib + 1] << 4);
        break;
      case Format::kIQ3S:
        for (int l = 0; l < 4; ++l) {
          const int g = 4 * ib + l;
          for (int h = 0; h < 2; ++h) {
            b[2 + 2 * g + h] = uint8_t(sp.idx[2 * g + h] & 255);
            b[66 + ib] = uint8_t(b[66 + ib] | (sp.idx[2 * g + h] >> 8) << (2 * l + h));
          }
          b[74 + g] = sp.sign[g];
        }
        b[106 + ib / 2] = uint8_t(b[106 + ib / 2] | sp.s[2 * ib] << (4 * (ib % 2)));
        break;
      case Format::kIQ1S: {
        unsigned qh = unsigned(sp.s[2 * ib]) << 12 | (sp.delta[4 * ib] < 0 ? 0x8000u : 0u);
        for (int l = 0; l < 4; ++l) {
          b[2 + 4 * ib + l] = uint8_t(sp.idx[4 * ib + l] & 255);
          qh |= unsigned(sp.idx[4 * ib + l] >> 8) << (3 * l);
        }
        put16(b + 34 + 2 * ib, qh);
        break;
      }
      case Format::kIQ1M:
        for (int l = 0; l < 4; ++l) {
          const int g = 4 * ib + l;
          b[g] = uint8_t(sp.idx[g] & 255);
          const int nibble = (sp.idx[g] >> 8) | (sp.delta[g] < 0 ? 8 : 0);
          b[32 + 2 * ib + l / 2] = uint8_t(b[32 + 2 * ib + l / 2] | nibble << (4 * (l % 2)));
        }
        break;
      default:
        break;
    }
  }
  if (f == Format::kIQ1M) {
    for (int w = 0; w < 4; ++w) {
      unsigned word = unsigned((sp.d_bits >> (4 * w)) & 15) << 12;
      for (int j = 0; j < 4; ++j) word |= unsigned(sp.s[4 * w + j]) << (3 * j);
      put16(b + 48 + 2 * w, word);
    }
  }
}

// The block's 256 weights from its contents, by llama.cpp's dequantize_row_iq* formulas.
inline void Weights256(Format f, const Spec& sp, double* w) {
  const double d = kernels::f16::HalfToFloat(sp.d_bits);
  for (int g = 0; g < 32; ++g) {
    const int s = sp.s[(8 * g) / 16];
    double db;
    switch (f) {
      case Format::kIQ3XXS:
        db = d * (0.5 + s) * 0.5;
        break;
      case Format::kIQ3S:
      case Format::kIQ1S:
      case Format::kIQ1M:
        db = d * (1 + 2 * s);
        break;
      default:  // IQ2
        db = d * (0.5 + s) * 0.25;
        break;
    }
    for (int j = 0; j < 8; ++j) {
      const int v = TraitsOf(f).points_per_group == 2
                        ? GridValue(f, size_t(sp.idx[2 * g + j / 4]), j % 4)
                        : GridValue(f, size_t(sp.idx[g]), j);
      if (TraitsOf(f).iq1) {
        w[8 * g + j] = db * (v + 0.125 * sp.delta[g]);
      } else {
        w[8 * g + j] = db * v * ((sp.sign[g] >> j) & 1 ? -1.0 : 1.0);
      }
    }
  }
}

// Random contents; the grid indices continue from *next_idx through the whole grid in a
// scrambled order (neighbours differ in their high bits too), and the stored sign patterns
// from *next_sign through all 128 (raw-sign formats: random bytes).
inline Spec RandomSpec(Format f, Rng& rng, size_t* next_idx, int* next_sign) {
  const Traits tr = TraitsOf(f);
  Spec sp;
  sp.d_bits = kernels::f16::FloatToHalf(rng.Uniform(-0.02f, 0.02f));
  const int smax = (1 << tr.scale_bits) - 1;
  for (int i = 0; i < 16; i += 2) {
    sp.s[i] = rng.Int(0, smax);
    sp.s[i + 1] = tr.per16 ? rng.Int(0, smax) : sp.s[i];
  }
  for (int i = 0; i < 32 * tr.points_per_group; ++i) {
    sp.idx[i] = int((*next_idx * 97 + 13) % tr.grid);  // a permutation: the grid sizes are 2^n
    *next_idx += 1;
  }
  for (int g = 0; g < 32; ++g) {
    if (tr.parity_signs) {
      sp.sign[g] = WithParity(*next_sign % 128);
      *next_sign += 1;
    } else if (!tr.iq1) {
      sp.sign[g] = uint8_t(rng.Int(0, 255));
    }
    sp.delta[g] = rng.Int(0, 1) ? 1 : -1;
  }
  if (f == Format::kIQ1S) {
    for (int g = 0; g < 32; ++g) sp.delta[g] = sp.delta[g & ~3];
  }
  return sp;
}

}  // namespace lutra::testing::iq
