#include "engine/src/gguf/lutra_types.h"

#include "engine/src/gguf/types.h"
#include "kernels/packw/packw.h"

namespace lutra::gguf {
namespace {

constexpr uint32_t kBitsMask = 0x7, kGroupShift = 4, kAsym = 1u << 8, kTernary = 1u << 9,
                   kUniform = 1u << 10, kOutlierShift = 12;
// Every field's bits; an id with others set comes from a newer layout.
constexpr uint32_t kKnownBits =
    kBitsMask | (3u << kGroupShift) | kAsym | kTernary | kUniform | (0xFFu << kOutlierShift);

}  // namespace

std::optional<PackedType> DecodePackedType(uint32_t id) {
  if (!IsPackedTypeId(id)) return std::nullopt;
  const uint32_t f = id & ~kPackedTypeMask;
  if ((f & ~kKnownBits) != 0) return std::nullopt;
  PackedType t;
  t.bits = f & kBitsMask;
  const uint32_t g = (f >> kGroupShift) & 3;
  t.asymmetric = (f & kAsym) != 0;
  t.ternary = (f & kTernary) != 0;
  t.uniform_scale = (f & kUniform) != 0;
  t.outliers = (f >> kOutlierShift) & 0xFF;
  if (t.bits < 1 || t.bits > 4 || g > 2) return std::nullopt;
  if (t.ternary && (t.bits != 2 || !t.asymmetric)) return std::nullopt;
  t.group = 32u << g;
  return t;
}

uint32_t EncodePackedType(const PackedType& t) {
  const uint32_t g = t.group == 128 ? 2 : t.group == 64 ? 1 : 0;
  return kPackedTypeBase | (t.bits & kBitsMask) | (g << kGroupShift) | (t.asymmetric ? kAsym : 0) |
         (t.ternary ? kTernary : 0) | (t.uniform_scale ? kUniform : 0) |
         ((t.outliers & 0xFF) << kOutlierShift);
}

std::string PackedTypeName(const PackedType& t) {
  std::string n = t.ternary ? "lutra_tq" + std::to_string(t.group)
                            : "lutra_w" + std::to_string(t.bits) + "g" + std::to_string(t.group) +
                                  (t.asymmetric ? "a" : "s");
  if (t.uniform_scale) n += "u";
  if (t.outliers) n += "+o" + std::to_string(t.outliers);
  return n;
}

Status PackedTensorLayout(const PackedType& t, const std::vector<uint64_t>& shape,
                          PackedLayout* layout) {
  if (shape.size() != 2) {
    return InvalidArgument(PackedTypeName(t) + " holds a matrix: the shape must be 2-D");
  }
  // Sizes beyond size_t (32-bit targets) cannot be mapped: refuse them before narrowing.
  if (uint64_t(size_t(shape[0])) != shape[0] || uint64_t(size_t(shape[1])) != shape[1]) {
    return InvalidArgument(PackedTypeName(t) + ": shape too large for this platform");
  }
  const kernels::packw::Shape s{size_t(shape[1]), size_t(shape[0]), t.bits, t.group, t.asymmetric};
  if (const char* msg = kernels::packw::Validate(s)) {
    return InvalidArgument(PackedTypeName(t) + ": " + msg);
  }
  if (s.m > (uint64_t{1} << 40)) {  // keeps every size below far from 2^64
    return InvalidArgument(PackedTypeName(t) + ": too many rows");
  }
  if (t.outliers > 0 && s.k > 65536) {
    return InvalidArgument(PackedTypeName(t) +
                           ": outlier columns are 16-bit, so rows must be at most 65536");
  }
  using kernels::packw::RoundUp;
  PackedLayout l;
  l.bits_bytes = kernels::packw::BitsBytes(s);
  l.scale_count = kernels::packw::ScaleCount(s);
  l.bits = 0;
  l.scale = l.bits_bytes;
  uint64_t at = l.scale + l.scale_count * 4;
  if (t.asymmetric) {
    l.bias = at;
    l.zero = at + l.scale_count * 4;
    at = RoundUp(l.zero + l.scale_count, 64);
  }
  l.outliers = at;
  l.total = at + uint64_t(s.m) * t.outliers * kOutlierEntryBytes;
  *layout = l;
  return Status::Ok();
}

std::string TensorTypeName(uint32_t id) {
  if (auto p = DecodePackedType(id)) return PackedTypeName(*p);
  if (auto traits = type_traits(id)) return std::string(traits->name);
  return "type " + std::to_string(id);
}

}  // namespace lutra::gguf
