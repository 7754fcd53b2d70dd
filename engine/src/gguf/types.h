// ggml tensor type ids (the public numbering used in GGUF files) and their block layouts,
// enough to size any tensor a GGUF file may hold.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace lutra::gguf {

enum class TensorType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  // bitnet.cpp's ternary format (its ggml fork numbers it 36; upstream ggml never wrote 36 to
  // a file): 2-bit codes in 128-weight blocks of 32 bytes and one fp32 scale per tensor in a
  // 32-byte tail after the last block (layout in engine/src/formats/tensor_formats.h).
  I2_S = 36,
};

struct TypeTraits {
  std::string_view name;
  uint32_t block_elems;     // elements per block (1 for plain types)
  uint32_t block_bytes;     // bytes per block
  uint32_t tail_bytes = 0;  // bytes after the last block, once per tensor (I2_S's scale)
};

// nullopt for ids that are unassigned or were removed from ggml (4, 5, 31..33).
std::optional<TypeTraits> type_traits(uint32_t id);

// Metadata value types of the GGUF key/value section.
enum class ValueType : uint32_t {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
};

std::string_view value_type_name(ValueType t);
// Byte size of a fixed-size value type; 0 for String/Array/unknown.
uint32_t value_type_size(uint32_t t);

}  // namespace lutra::gguf
