// The lattice i-quants' tables (IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M), as the
// kquant kernels and the engine's decoder read them.
//
// A grid point is 8 weights (IQ2, IQ1) or 4 (IQ3), each from a small alphabet of magnitudes;
// a block's group of 8 weights names its point(s) by index and, except IQ1, its signs by eight
// bits (IQ2_XXS, IQ2_XS, IQ3_XXS: seven stored, the eighth making the count of minus signs
// even). llama.cpp publishes the grids in ggml-common.h; lutra keeps them in its own encoding
// (iq_grid_codes.inc, written by scripts/gen_iq_grids.py: per point one 16-bit word of alphabet
// indices, value j in bits b·j .. b·j + b − 1, b = 2 for three letters, 3 for eight), expanded
// at compile time (iq_grids.cc) into rows of bytes in weight order:
//
//   table          rows  row            values
//   kIq2xxsGrid     256  uint64_t (8)   8, 25, 43
//   kIq2xsGrid      512  uint64_t (8)   8, 25, 43
//   kIq2sGrid      1024  uint64_t (8)   8, 25, 43
//   kIq3xxsGrid     256  uint32_t (4)   4, 12, 20, 28, 36, 44, 52, 62
//   kIq3sGrid       512  uint32_t (4)   1, 3, 5, 7, 9, 11, 13, 15
//   kIq1sGrid8     2048  uint64_t (8)   −8, 0, 8 (int8: eight times llama.cpp's −1, 0, 1, so
//                                       that a code 8·g ± 1 carries the ±1/8 shift exactly)
//
// The compact words themselves are exported too (kIq*Codes, 64-byte aligned): the AVX-512
// kernels look them up 32 at a time with word permutes and expand the letters in registers.
// Letter order: kIq2Letters for the IQ2 grids, kIq3xxsLetters, kIq3sLetters, and for iq1s
// −1, 0, 1 (times 8 as above).
//
// kIqSigns[i] (i < 128) is the eight sign bits of seven stored ones: i with bit 7 set when i
// has an odd number of bits. tests/kernels/iq_grids_test.cc checks every table.
#pragma once

#include <array>
#include <cstdint>

namespace lutra::kernels::kquant {

extern const std::array<uint64_t, 256> kIq2xxsGrid;
extern const std::array<uint64_t, 512> kIq2xsGrid;
extern const std::array<uint64_t, 1024> kIq2sGrid;
extern const std::array<uint32_t, 256> kIq3xxsGrid;
extern const std::array<uint32_t, 512> kIq3sGrid;
extern const std::array<uint64_t, 2048> kIq1sGrid8;
extern const std::array<uint8_t, 128> kIqSigns;

extern const std::array<uint16_t, 256> kIq2xxsCodes;
extern const std::array<uint16_t, 512> kIq2xsCodes;
extern const std::array<uint16_t, 1024> kIq2sCodes;
extern const std::array<uint16_t, 256> kIq3xxsCodes;
extern const std::array<uint16_t, 512> kIq3sCodes;
extern const std::array<uint16_t, 2048> kIq1sCodes;
inline constexpr uint8_t kIq2Letters[3] = {8, 25, 43};
inline constexpr uint8_t kIq3xxsLetters[8] = {4, 12, 20, 28, 36, 44, 52, 62};
inline constexpr uint8_t kIq3sLetters[8] = {1, 3, 5, 7, 9, 11, 13, 15};

}  // namespace lutra::kernels::kquant
