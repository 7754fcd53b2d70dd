// Activation quantization for the kquant kernels: int8 per group of 256 (the k-quants) or 32
// (Q8_0, Q5_0), round to nearest, and the code sums per 16 that the mins and offsets multiply.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/kquant/kquant.h"

namespace lutra::kernels::kquant {

constexpr float kTinyBlock = 1e-36f;

namespace {

// One group of G values (G a compile-time constant). Written for the compiler's vectorizer,
// since this is the quantizer of every ISA without its own (ARM, RISC-V): amax as an integer
// maximum of the values' magnitude bits (non-negative floats order as their bits; a NaN's
// bits are above infinity's, so the same maximum finds it), and codes only for usable
// groups, whose values are all finite (no NaN check per value).
template <size_t G>
void QuantizeGroups(size_t k, const float* x, int8_t* q, float* scale, int16_t* bsum) {
  constexpr uint32_t kInfBits = 0x7f800000u;
  for (size_t b = 0; b < k / G; ++b) {
    const float* xb = x + b * G;
    int8_t* qb = q + b * G;
    uint32_t max_bits = 0;
    for (size_t i = 0; i < G; ++i) {
      uint32_t bits;
      std::memcpy(&bits, xb + i, sizeof bits);
      bits &= 0x7fffffffu;
      max_bits = bits > max_bits ? bits : max_bits;
    }
    float amax;
    std::memcpy(&amax, &max_bits, sizeof amax);
    // Below kTinyBlock the group counts as zero (127 / amax must stay finite); a NaN or an
    // infinity gives a non-finite scale with codes 0, so the product is non-finite, never UB.
    const bool usable = max_bits < kInfBits && amax >= kTinyBlock;
    scale[b] = usable || max_bits >= kInfBits ? amax / 127.0f : 0.0f;
    if (usable) {
      const float inv = 127.0f / amax;
      for (size_t i = 0; i < G; ++i) {
        const float v = xb[i] * inv;
        qb[i] = int8_t(int(v + std::copysign(0.5f, v)));  // half away from zero
      }
    } else {
      std::memset(qb, 0, G);
    }
    for (size_t g = 0; g < G / kSumGroup; ++g) {
      int total = 0;
      for (size_t i = 0; i < kSumGroup; ++i) total += qb[g * kSumGroup + i];
      bsum[b * (G / kSumGroup) + g] = int16_t(total);
    }
  }
}

}  // namespace

void Quantize(size_t k, const float* x, int8_t* q, float* scale, int16_t* bsum) {
  QuantizeGroups<kSuperBlock>(k, x, q, scale, bsum);
}

void Quantize(Format format, size_t k, const float* x, int8_t* q, float* scale, int16_t* bsum) {
  if (ScaleGroup(format) == 32) {
    QuantizeGroups<32>(k, x, q, scale, bsum);
  } else {
    QuantizeGroups<kSuperBlock>(k, x, q, scale, bsum);
  }
}

void Interleave(Format format, const Activations& a, int8_t* q, float* scale, int32_t* sum) {
  const size_t blocks = a.k / ScaleGroup(format), group = TileSumGroup(format);
  const size_t groups = a.k / group;
  const size_t per16 = group / kSumGroup, quads = a.k / 4;
  for (size_t g = 0; g < TileCount(a.n); ++g) {
    const size_t t0 = g * kTileTokens, real = std::min(kTileTokens, a.n - t0);
    // Codes: one 4-byte word per token and k-quad, written in order.
    uint32_t* tq = reinterpret_cast<uint32_t*>(q + g * a.k * kTileTokens);
    for (size_t c = 0; c < quads; ++c) {
      for (size_t j = 0; j < kTileTokens; ++j) {
        uint32_t word = 0;
        if (j < real) std::memcpy(&word, a.q + (t0 + j) * a.k + 4 * c, sizeof word);
        tq[c * kTileTokens + j] = word;
      }
    }
    float* ts = scale + g * blocks * kTileTokens;
    int32_t* tsum = sum + g * groups * kTileTokens;
    for (size_t j = 0; j < kTileTokens; ++j) {
      const size_t t = t0 + j;
      for (size_t b = 0; b < blocks; ++b) {
        ts[b * kTileTokens + j] = j < real ? a.scale[t * blocks + b] : 0.0f;
      }
      for (size_t s = 0; s < groups; ++s) {
        int32_t total = 0;
        for (size_t i = 0; j < real && i < per16; ++i) {
          total += a.bsum[t * (a.k / kSumGroup) + s * per16 + i];
        }
        tsum[s * kTileTokens + j] = total;
      }
    }
  }
}

}  // namespace lutra::kernels::kquant
