#include "engine/src/gguf/types.h"

#include <array>

namespace lutra::gguf {

namespace {
// Sizes follow ggml's block structs: e.g. Q4_0 = fp16 scale + 32 nibbles, Q2_K = 16 scale bytes
// + 64 quant bytes + 2 fp16, TQ1_0 = 48 base-3 bytes + 4 + fp16.
constexpr std::array<TypeTraits, 37> kTraits = {{
    {"F32", 1, 4},
    {"F16", 1, 2},
    {"Q4_0", 32, 18},
    {"Q4_1", 32, 20},
    {"", 0, 0},
    {"", 0, 0},
    {"Q5_0", 32, 22},
    {"Q5_1", 32, 24},
    {"Q8_0", 32, 34},
    {"Q8_1", 32, 36},
    {"Q2_K", 256, 84},
    {"Q3_K", 256, 110},
    {"Q4_K", 256, 144},
    {"Q5_K", 256, 176},
    {"Q6_K", 256, 210},
    {"Q8_K", 256, 292},
    {"IQ2_XXS", 256, 66},
    {"IQ2_XS", 256, 74},
    {"IQ3_XXS", 256, 98},
    {"IQ1_S", 256, 50},
    {"IQ4_NL", 32, 18},
    {"IQ3_S", 256, 110},
    {"IQ2_S", 256, 82},
    {"IQ4_XS", 256, 136},
    {"I8", 1, 1},
    {"I16", 1, 2},
    {"I32", 1, 4},
    {"I64", 1, 8},
    {"F64", 1, 8},
    {"IQ1_M", 256, 56},
    {"BF16", 1, 2},
    {"", 0, 0},
    {"", 0, 0},
    {"", 0, 0},
    {"TQ1_0", 256, 54},
    {"TQ2_0", 256, 66},
    {"I2_S", 128, 32, 32},
}};
}  // namespace

std::optional<TypeTraits> type_traits(uint32_t id) {
  if (id >= kTraits.size() || kTraits[id].block_elems == 0) return std::nullopt;
  return kTraits[id];
}

std::string_view value_type_name(ValueType t) {
  static constexpr std::array<std::string_view, 13> kNames = {
      "u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
      "bool", "string", "array", "u64", "i64", "f64"};
  const auto i = static_cast<uint32_t>(t);
  return i < kNames.size() ? kNames[i] : std::string_view("unknown");
}

uint32_t value_type_size(uint32_t t) {
  static constexpr std::array<uint32_t, 13> kSizes = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
  return t < kSizes.size() ? kSizes[t] : 0;
}

}  // namespace lutra::gguf
