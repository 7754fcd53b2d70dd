#include "arch/isa.h"

namespace lutra::arch {
namespace {

struct FeatureName {
  IsaSet bit;
  const char* name;
};

constexpr FeatureName kFeatureNames[] = {
    {kSSSE3, "ssse3"},
    {kAVX2, "avx2"},
    {kFMA, "fma"},
    {kF16C, "f16c"},
    {kAVX512F, "avx512f"},
    {kAVX512BW, "avx512bw"},
    {kAVX512VL, "avx512vl"},
    {kAVX512DQ, "avx512dq"},
    {kAVX512VBMI, "avx512vbmi"},
    {kAVX512VNNI, "avx512vnni"},
    {kAVX512BF16, "avx512bf16"},
    {kNEON, "neon"},
    {kNEONFP16, "fp16"},
    {kDOTPROD, "dotprod"},
    {kI8MM, "i8mm"},
    {kSVE, "sve"},
    {kRVV, "rvv"},
};

}  // namespace

std::string FeatureNames(IsaSet set) {
  std::string out;
  for (const FeatureName& f : kFeatureNames) {
    if (!(set & f.bit)) continue;
    if (!out.empty()) out += ' ';
    out += f.name;
  }
  return out.empty() ? "none" : out;
}

bool LevelFeatures(std::string_view name, IsaSet* features) {
  for (const IsaLevel& level : kIsaLevels) {
    if (name == level.name) {
      *features = level.features;
      return true;
    }
  }
  return false;
}

std::string LevelNames() {
  std::string out;
  for (const IsaLevel& level : kIsaLevels) {
    if (!out.empty()) out += ", ";
    out += level.name;
  }
  return out;
}

}  // namespace lutra::arch
