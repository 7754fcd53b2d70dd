// packw: the packed low-bit weight format the lookup kernels stream (docs/lut-format.md).
//
// A matrix W[m, k] = s[m, g]·(q[m, k] − z[m, g]) with b-bit codes q ∈ [0, 2^b), b = 1..4, groups
// of G ∈ {32, 64, 128} along k. Symmetric matrices have z = (2^b − 1)/2 implicitly (levels
// symmetric around 0, no zero point stored); asymmetric ones store an integer z ∈ [0, 2^b) per
// group. Ternary (BitNet b1.58) is b = 2, asymmetric, z = 1, q = w + 1.
//
// The layout is one canonical format for every ISA (a packed file runs anywhere): 32-row tiles,
// per group the bit-planes MSB first, per plane the quads (4 consecutive k, one nibble) of the
// group, 16 bytes per quad: byte p holds row ρ(p) in its low nibble and row 16 + ρ(p) in its high
// nibble, ρ(p) = (p & 1)·8 + p/2. Scales (and zero terms) are stored per tile and group in row
// order. A 16-, 32- or 64-byte vector load therefore covers 1, 2 or 4 consecutive quads of one
// plane, and RVV at any VLEN covers VLEN/128 quads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "arch/isa.h"

namespace lutra::kernels::packw {

inline constexpr size_t kTileRows = 32;   // rows per tile: 16 bytes × 2 nibbles
inline constexpr size_t kQuad = 4;        // activations per table (g)
inline constexpr size_t kQuadBytes = 16;  // one plane of one quad for one tile

struct Shape {
  size_t m = 0, k = 0;
  uint32_t bits = 0;        // b = 1..4 (ternary: 2)
  uint32_t group = 0;       // G = 32, 64 or 128
  bool asymmetric = false;  // zero point per group stored
};

// nullptr when the shape is valid, else a message naming what is wrong.
const char* Validate(const Shape& s);

constexpr size_t RoundUp(size_t v, size_t m) {
  return (v + m - 1) / m * m;
}
inline size_t Tiles(const Shape& s) {
  return RoundUp(s.m, kTileRows) / kTileRows;
}
inline size_t PaddedK(const Shape& s) {
  return RoundUp(s.k, s.group);
}
inline size_t Groups(const Shape& s) {
  return PaddedK(s) / s.group;
}
// Bytes of weight bits: per tile, group and plane 32·G/8 = 4G bytes.
inline size_t BitsBytes(const Shape& s) {
  return Tiles(s) * Groups(s) * s.bits * 4 * s.group;
}
// Entries of each per-(row, group) array (scale, bias, zero): padded rows included.
inline size_t ScaleCount(const Shape& s) {
  return Tiles(s) * Groups(s) * kTileRows;
}
// Index of (row, group) in the per-(row, group) arrays: tile order.
inline size_t ScaleIndex(const Shape& s, size_t row, size_t group) {
  return ((row / kTileRows) * Groups(s) + group) * kTileRows + row % kTileRows;
}

// Row-major unpacked form: q[m·k] codes, scale[m·groups], zero[m·groups] (asymmetric only,
// else nullptr). groups = Groups(shape).
struct Unpacked {
  const uint8_t* q;
  const float* scale;
  const uint8_t* zero;
};
struct UnpackedMut {
  uint8_t* q;
  float* scale;
  uint8_t* zero;  // may be nullptr for symmetric shapes
};

// Packed buffers. bias[i] = scale·((2^b − 1)/2 − zero), the term the kernels multiply by the
// group's activation sum; all zero for symmetric shapes. Padded rows and k are zero codes with
// scale 0.
struct Packed {
  const uint8_t* bits;  // BitsBytes
  const float* scale;   // ScaleCount
  const float* bias;    // ScaleCount
  const uint8_t* zero;  // ScaleCount (asymmetric), else nullptr
};
struct PackedMut {
  uint8_t* bits;
  float* scale;
  float* bias;
  uint8_t* zero;
};

using PackFn = void (*)(const Shape& shape, const Unpacked& in, const PackedMut& out);
using UnpackFn = void (*)(const Shape& shape, const Packed& in, const UnpackedMut& out);

// Descriptor: tile numbers live only here; the test parses the name against them.
template <typename Fn>
struct PackKernel {
  const char* name;  // lutra_packw_<op>_<mr>x<g>__<level>
  arch::IsaSet isa;
  uint32_t mr;  // rows per tile
  uint32_t g;   // k per nibble
  Fn fn;
};

std::span<const PackKernel<PackFn>> PackKernels();
std::span<const PackKernel<UnpackFn>> UnpackKernels();

struct PackOps {
  const PackKernel<PackFn>* pack;
  const PackKernel<UnpackFn>* unpack;
};
PackOps Select(arch::IsaSet features);

// The order of the bytes inside each 64-byte chunk of the bits array (4 consecutive quads of
// one plane; every tile-group-plane is 4G bytes, a whole number of chunks).
enum class PlaneOrder : uint8_t {
  kCanonical,  // the format above, the only order packed files hold
  // Byte 4r + j of a chunk holds row r (low nibble) and row 16 + r (high nibble) of the
  // chunk's quad j: each dword is one row pair across 4 quads, the operand shape of the
  // VBMI + VNNI kernels (x86_avx512icl.cc), which would otherwise permute every load. Only
  // matrices in memory use it: LutMatrix reorders at load for kernels that read it.
  kRowQuads,
};

// Reorders `bytes` bytes of bits (a multiple of 64) in place, canonical → row quads and back.
// The two are inverses; a byte's nibbles are never split.
void ToRowQuads(uint8_t* bits, size_t bytes);
void ToCanonical(uint8_t* bits, size_t bytes);

}  // namespace lutra::kernels::packw
