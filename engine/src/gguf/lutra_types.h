// lutra-packed tensor types (docs/packed-format.md): weight matrices stored in the LUT
// kernels' packed layout (docs/lut-format.md §1), so the runtime maps them with no copy. The
// type id is a bit field far above ggml's ids (< 64):
//   id = 0x4C550000 | b | log2(G/32) << 4 | asym << 8 | ternary << 9 | uniform << 10 | o << 12
// b = bits 1..4, G = 32/64/128, o = outliers per row 0..255 (sparse fp16 corrections).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/src/common/status.h"

namespace lutra::gguf {

// The byte layout the packed types describe; files carry it in kPackingVersionKey and the
// runtime refuses any other value.
inline constexpr uint32_t kPackingVersion = 1;
inline constexpr const char* kPackingVersionKey = "lutra.packing.version";

inline constexpr uint32_t kPackedTypeBase = 0x4C550000u;  // "LU" in the high half
inline constexpr uint32_t kPackedTypeMask = 0xFFFF0000u;
inline constexpr uint32_t kMaxOutliersPerRow = 255;
// Bytes of one outlier entry: uint16 column, fp16 correction.
inline constexpr uint32_t kOutlierEntryBytes = 4;

struct PackedType {
  uint32_t bits = 0;   // 1..4
  uint32_t group = 0;  // 32, 64, 128
  bool asymmetric = false;
  bool ternary = false;        // b = 2, asymmetric, z = 1: int8-exact activations by default
  bool uniform_scale = false;  // one scale per row (every group of a row equal)
  uint32_t outliers = 0;       // corrections per row, 0..255
};

inline bool IsPackedTypeId(uint32_t id) {
  return (id & kPackedTypeMask) == kPackedTypeBase;
}
// nullopt for ids outside the packed range or with invalid/unknown fields.
std::optional<PackedType> DecodePackedType(uint32_t id);
uint32_t EncodePackedType(const PackedType& t);
// "lutra_w2g64s", "lutra_w4g32a+o8", "lutra_tq128u"...
std::string PackedTypeName(const PackedType& t);

// Section offsets (bytes from the tensor's start) of a packed tensor of shape [k, m].
struct PackedLayout {
  uint64_t bits = 0, scale = 0, bias = 0, zero = 0, outliers = 0, total = 0;
  uint64_t bits_bytes = 0, scale_count = 0;
};
// InvalidArgument when the shape does not fit (not 2-D, k > 2^19, outliers with k > 65536); a
// caller reading a file reports the message as InvalidModel.
Status PackedTensorLayout(const PackedType& t, const std::vector<uint64_t>& shape,
                          PackedLayout* layout);

// The name of any tensor type id (ggml or packed), "type N" when unknown.
std::string TensorTypeName(uint32_t id);

}  // namespace lutra::gguf
