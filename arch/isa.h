// ISA feature flags and the named levels that LUTRA_ISA caps to.
//
// One bit per CPU feature a kernel may need. A kernel descriptor states the set it requires;
// a kernel is usable when (required & host) == required. Levels bundle the features that one
// compile-flag group (one OBJECT library, see cmake/LutraIsa.cmake) is allowed to use, so that
// "the host has level L" is exactly "every file compiled for L is safe to run".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lutra::arch {

using IsaSet = uint64_t;

// x86
inline constexpr IsaSet kSSSE3 = IsaSet{1} << 0;
inline constexpr IsaSet kAVX2 = IsaSet{1} << 1;
inline constexpr IsaSet kFMA = IsaSet{1} << 2;
inline constexpr IsaSet kF16C = IsaSet{1} << 3;
inline constexpr IsaSet kAVX512F = IsaSet{1} << 4;
inline constexpr IsaSet kAVX512BW = IsaSet{1} << 5;
inline constexpr IsaSet kAVX512VL = IsaSet{1} << 6;
inline constexpr IsaSet kAVX512DQ = IsaSet{1} << 7;
inline constexpr IsaSet kAVX512VBMI = IsaSet{1} << 8;
inline constexpr IsaSet kAVX512VNNI = IsaSet{1} << 9;
inline constexpr IsaSet kAVX512BF16 = IsaSet{1} << 10;  // vdpbf16ps, vcvtne2ps2bf16
// ARM
inline constexpr IsaSet kNEON = IsaSet{1} << 16;
inline constexpr IsaSet kNEONFP16 = IsaSet{1} << 17;  // fp16 vector arithmetic (ARMv8.2 FP16)
inline constexpr IsaSet kDOTPROD = IsaSet{1} << 18;
inline constexpr IsaSet kI8MM = IsaSet{1} << 19;
inline constexpr IsaSet kSVE = IsaSet{1} << 20;
// RISC-V
inline constexpr IsaSet kRVV = IsaSet{1} << 32;  // V extension 1.0

// Levels: the features each ISA compile group may assume (see cmake/LutraIsa.cmake).
inline constexpr IsaSet kLevelScalar = 0;
inline constexpr IsaSet kLevelAVX2 = kSSSE3 | kAVX2 | kFMA | kF16C;
inline constexpr IsaSet kLevelAVX512 = kLevelAVX2 | kAVX512F | kAVX512BW | kAVX512VL | kAVX512DQ;
inline constexpr IsaSet kLevelAVX512VBMI = kLevelAVX512 | kAVX512VBMI;
inline constexpr IsaSet kLevelAVX512VNNI = kLevelAVX512 | kAVX512VNNI;
// Ice Lake, Zen 4 and later: VBMI and VNNI together.
inline constexpr IsaSet kLevelAVX512ICL = kLevelAVX512 | kAVX512VBMI | kAVX512VNNI;
// Sapphire Rapids, Zen 4 and later: the Ice Lake level plus bf16 dot products. It includes
// the Ice Lake features so that the levels stay nested and one cap names the whole host
// (Cooper Lake, bf16 without VBMI, runs the avx512vnni level).
inline constexpr IsaSet kLevelAVX512BF16 = kLevelAVX512ICL | kAVX512BF16;
inline constexpr IsaSet kLevelNEON = kNEON;
inline constexpr IsaSet kLevelFP16 = kNEON | kNEONFP16;
inline constexpr IsaSet kLevelDOTPROD = kNEON | kDOTPROD;
inline constexpr IsaSet kLevelI8MM = kNEON | kDOTPROD | kI8MM;
inline constexpr IsaSet kLevelRVV = kRVV;

struct IsaLevel {
  const char* name;  // the value LUTRA_ISA accepts, and the suffix of kernel names ("__avx2")
  IsaSet features;
};

// Every level this build knows, for parsing and printing. Order: by architecture, then ascending.
inline constexpr IsaLevel kIsaLevels[] = {
    {"scalar", kLevelScalar},
    {"avx2", kLevelAVX2},
    {"avx512", kLevelAVX512},
    {"avx512vbmi", kLevelAVX512VBMI},
    {"avx512vnni", kLevelAVX512VNNI},
    {"avx512icl", kLevelAVX512ICL},
    {"avx512bf16", kLevelAVX512BF16},
    {"neon", kLevelNEON},
    {"fp16", kLevelFP16},
    {"dotprod", kLevelDOTPROD},
    {"i8mm", kLevelI8MM},
    {"rvv", kLevelRVV},
};

// True when every feature in `required` is in `available`.
constexpr bool Supports(IsaSet available, IsaSet required) {
  return (available & required) == required;
}

// "avx2 fma f16c" style list of the feature names in `set` ("none" when empty).
std::string FeatureNames(IsaSet set);

// The feature bits of a level name, or false when the name is unknown.
bool LevelFeatures(std::string_view name, IsaSet* features);

// Comma-separated list of every level name, for error messages.
std::string LevelNames();

}  // namespace lutra::arch
