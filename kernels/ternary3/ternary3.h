// ternary3: a 1.67-bit layout for ternary weights with one scale per row (BitNet b1.58 and
// ternary-trained TQ1_0/TQ2_0 files), and its exact W·A8 lookup GEMM.
//
// The canonical bit-plane layout (packw) spends 2 bits per ternary weight. Here three weights
// w0, w1, w2 ∈ {−1, 0, +1} are one value v = 9·w0 + 3·w1 + w2 ∈ [−13, 13], stored as a sign
// (v < 0) and a 4-bit index |v| ∈ [0, 13]: 5 bits per 3 weights. The activation table of a
// triple (int8 activations a0..a2) is V[e] = Σ_d c_d(e)·a_d for the balanced-ternary digits
// c(e) of e, so a row's product is Σ_triples sign·V[index], exactly.
//
// Layout, 32-row tiles like packw, blocks of 4 triples (12 activations) along k:
//   per tile and block, 80 bytes:
//     [4p + j], p < 16, j < 4: low nibble = index of row p, high nibble = index of row
//       16 + p, for triple 4·block + j (so a dword holds a row pair's 4 triples, the order
//       the dot-product kernels add them in);
//     [64..71]: little-endian u64, bit 4p + j = sign of row p, triple j (1: negative);
//     [72..79]: the same for rows 16 + p.
//   per row (padded to the tile): the row's scale and Σ over its triples of (sign ? −1 : +1)
//   (padding triples count +1), which the kernels need to undo the tables' offset.
// Tables per token, per block: 64 bytes lo = V & 0xFF of triples j = 0..3 (16 bytes each),
// then 64 bytes hi = (V >> 8) + 2 ∈ [0, 3]; entries 14 and 15 are 0.
// Result: S = Σ sign·lo + 256·(Σ sign·hi − 2·Σ sign), and y = (float)S · (scale·act_scale).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "arch/isa.h"

namespace lutra::kernels::ternary3 {

inline constexpr size_t kTileRows = 32;
inline constexpr size_t kBlockTriples = 4;
inline constexpr size_t kBlockBytes = 80;        // weights of one tile and block
inline constexpr size_t kTableBlockBytes = 128;  // tables of one token and block

inline size_t Triples(size_t k) {
  return (k + 2) / 3;
}
inline size_t Blocks(size_t k) {
  return (Triples(k) + kBlockTriples - 1) / kBlockTriples;
}
inline size_t Tiles(size_t m) {
  return (m + kTileRows - 1) / kTileRows;
}
inline size_t WeightBytes(size_t m, size_t k) {
  return Tiles(m) * Blocks(k) * kBlockBytes;
}
inline size_t TableBytes(size_t k) {
  return Blocks(k) * kTableBlockBytes;
}
// Activations the tables cover (k padded to whole blocks).
inline size_t PaddedK(size_t k) {
  return Blocks(k) * kBlockTriples * 3;
}

// A packed matrix as the kernels see it.
struct Weights {
  size_t m = 0, k = 0;
  const uint8_t* data = nullptr;      // WeightBytes(m, k)
  const float* scale = nullptr;       // Tiles(m)·32: per row
  const int32_t* sign_sum = nullptr;  // Tiles(m)·32: per row Σ (sign ? −1 : +1)
};

// Packs codes q[r·k + c] ∈ {0, 1, 2} (w = q − 1) of an m×k matrix. `data` holds
// WeightBytes(m, k), `sign_sum` Tiles(m)·32 entries. False if a code is out of range.
bool Pack(size_t m, size_t k, const uint8_t* q, uint8_t* data, int32_t* sign_sum);
// The inverse, for tests: codes q[m·k].
void Unpack(size_t m, size_t k, const uint8_t* data, uint8_t* q);

// Tables of n tokens from their int8 activations xq[t·xq_stride + c] (c < k; the tables pad
// with zeros): tables + t·TableBytes(k).
using BuildFn = void (*)(size_t k, size_t n, const int8_t* xq, size_t xq_stride, uint8_t* tables);

// y[t·y_stride + row] for rows of tiles [tile_begin, tile_end) and tokens t < n; act[t] is
// token t's activation scale.
using GemmFn = void (*)(const Weights& w, const uint8_t* tables, const float* act, size_t n,
                        size_t tile_begin, size_t tile_end, float* y, size_t y_stride);

struct Kernels {
  // lutra_ternary3_w158a8_32x<nr>g3__<level>: ternary weights, int8 activations, 32-row
  // tiles × nr tokens per weight load, lookups per triple (the pair: table build and GEMM).
  const char* name;
  arch::IsaSet isa;
  uint32_t nr;
  BuildFn build;
  GemmFn gemm;
  // Faster than the bit-plane exact lutgemm kernel of the same level (measured on x86,
  // modelled on ARM: docs/kernels.md), so the engine repacks ternary rows for it.
  bool preferred;
};

// Every variant, best first (scalar last).
std::span<const Kernels> AllKernels();
// The best variant for `features` (never null: scalar).
const Kernels* Select(arch::IsaSet features);
// True when the variant Select picks is faster than the bit-plane kernels (the engine repacks
// ternary rows with one scale into this layout only then).
bool Preferred(arch::IsaSet features);

}  // namespace lutra::kernels::ternary3
