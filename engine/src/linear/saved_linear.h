// A repacked matrix as the repack cache stores it: a kind, a small descriptor (shape, layout,
// the names of the kernels it was packed for) and the byte arrays the kernels stream. Save()
// hands out views of the matrix's own arrays (nothing is copied); RestoreLinear() builds the
// operator around arrays that live elsewhere (the cache entry read into huge pages), after
// checking that the descriptor still matches this build's kernel choice and the tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <vector>
#include "engine/src/common/byte_fields.h"

namespace lutra::engine::linear {

using DescriptorWriter = ByteFieldWriter;
using DescriptorReader = ByteFieldReader;

enum class SavedKind : uint32_t {
  kLut = 1,       // LutLinear: bit planes (or ternary3) with scales
  kQ8Block = 2,   // Q8BlockLinear: int8 codes with per-block scales (and mins)
  kQ4Rows = 3,    // Q4RowsLinear: Q4_0 rows by four with fp16 scales
  kTernary2 = 4,  // Ternary2Linear: ternary rows by four at 2 bits, row or fp16 block scales
};

struct SavedArray {
  const uint8_t* data = nullptr;
  size_t bytes = 0;
};

struct SavedLinear {
  SavedKind kind = SavedKind::kLut;
  std::string descriptor;
  std::vector<SavedArray> arrays;
};

// An array of a restored matrix: `data` shares ownership of the buffer it points into.
struct RestoredArray {
  std::shared_ptr<uint8_t> data;
  size_t bytes = 0;
};

struct RestoredLinear {
  SavedKind kind = SavedKind::kLut;
  std::string_view descriptor;
  std::vector<RestoredArray> arrays;
};

}  // namespace lutra::engine::linear
