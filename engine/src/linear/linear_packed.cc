#include "engine/src/linear/linear_packed.h"

#include <cstdint>
#include <cstring>
#include <string>

#include "engine/src/gguf/lutra_types.h"
#include "engine/src/linear/lut_matrix.h"

namespace lutra::engine::linear {
namespace {

class PackedLinear : public Linear {
 public:
  PackedLinear(size_t rows, size_t cols, gguf::PackedType type, linear::LutMatrix matrix,
               linear::AlignedBytes copy)
      : Linear(rows, cols), type_(type), matrix_(std::move(matrix)), copy_(std::move(copy)) {}

  Status Forward(size_t n, const float* x, float* y, ThreadPool& pool,
                 LinearScratch& scratch) const override {
    linear::Multiply(matrix_, n, x, y, pool, scratch.lut);
    return Status::Ok();
  }

  std::string Describe() const override {
    std::string d = gguf::PackedTypeName(type_) +
                    (copy_.size() ? " copied (unaligned)" : " mapped") +
                    (matrix_.exact() ? ", int8-exact" : "") + ", " + matrix_.gemm(1).name;
    if (&matrix_.gemm(SIZE_MAX) != &matrix_.gemm(1))
      d += std::string(" / ") + matrix_.gemm(SIZE_MAX).name;
    return d + ", " + std::to_string(matrix_.PackedBytes()) + " bytes streamed";
  }

  // Mapped matrices own nothing: WeightStore must keep (not drop) their file pages.
  size_t StreamedBytes() const override { return matrix_.StreamedBytes(); }
  size_t OwnedBytes() const override { return copy_.size(); }

 private:
  gguf::PackedType type_;
  linear::LutMatrix matrix_;
  linear::AlignedBytes copy_;
};

}  // namespace

Status CheckPackingVersion(const gguf::File& file) {
  bool packed = false;
  for (const gguf::TensorInfo& t : file.tensors()) {
    packed = packed || gguf::IsPackedTypeId(uint32_t(t.type));
  }
  if (!packed) return Status::Ok();
  if (!file.has(gguf::kPackingVersionKey)) {
    return InvalidModel("model: the file has lutra-packed tensors but no " +
                        std::string(gguf::kPackingVersionKey) + " key");
  }
  auto v = file.get_count(gguf::kPackingVersionKey);
  if (!v.ok()) return v.failure("model: " + std::string(gguf::kPackingVersionKey) + ": ");
  if (*v != gguf::kPackingVersion) {
    return InvalidModel("model: the file's tensors use lutra packing version " +
                        std::to_string(*v) + ", this build reads version " +
                        std::to_string(gguf::kPackingVersion) +
                        " only: convert the original model again with this build's lutra-convert");
  }
  return Status::Ok();
}

Expected<std::unique_ptr<Linear>> PlanPackedLinear(const gguf::TensorInfo& t,
                                                   const PlanOptions& options) {
  const auto type = gguf::DecodePackedType(uint32_t(t.type));
  if (!type) return InvalidModel("tensor '" + t.name + "': unknown lutra packed type");
  gguf::PackedLayout layout;
  if (Status s = gguf::PackedTensorLayout(*type, t.shape, &layout); !s.ok()) {
    return InvalidModel("tensor '" + t.name + "': " + s.error());
  }
  if (t.n_bytes != layout.total || t.data == nullptr) {
    return InvalidModel("tensor '" + t.name + "': holds " + std::to_string(t.n_bytes) +
                        " bytes, its packed type needs " + std::to_string(layout.total));
  }
  const size_t rows = t.shape[1], cols = t.shape[0];
  const kernels::packw::Shape shape{rows, cols, type->bits, type->group, type->asymmetric};
  // The kernels load fp32 scales and 16-byte weight vectors; 64-byte alignment (lutra-convert
  // writes general.alignment = 64) keeps every section on its own cache lines.
  linear::AlignedBytes copy;
  const uint8_t* base = t.data;
  if (reinterpret_cast<uintptr_t>(base) % 64 != 0) {
    copy = linear::AlignedBytes(layout.total);
    std::memcpy(copy.data(), base, layout.total);
    base = copy.data();
  }
  const kernels::packw::Packed data{
      base + layout.bits, reinterpret_cast<const float*>(base + layout.scale),
      type->asymmetric ? reinterpret_cast<const float*>(base + layout.bias) : nullptr,
      type->asymmetric ? base + layout.zero : nullptr};
  const auto* outliers = reinterpret_cast<const uint32_t*>(base + layout.outliers);
  // A column past the row would read past the activations: refuse it (m·o entries, cheap).
  for (size_t i = 0; i < rows * type->outliers; ++i) {
    if ((outliers[i] & 0xFFFF) >= cols) {
      return InvalidModel("tensor '" + t.name + "': outlier " + std::to_string(i) +
                          " names column " + std::to_string(outliers[i] & 0xFFFF) + " of a " +
                          std::to_string(cols) + "-column row");
    }
  }
  const linear::Activations mode = type->ternary && options.ternary_int8_activations
                                       ? linear::Activations::kInt8Exact
                                       : linear::Activations::kQuantizedTables;
  linear::LutMatrix m;
  if (Status s = linear::LutMatrix::CreateView(shape, data, type->uniform_scale, *options.kernels,
                                               mode, &m);
      !s.ok()) {
    return s.failure("tensor '" + t.name + "': ");
  }
  if (type->outliers > 0) m.SetOutliers(outliers, type->outliers);
  return std::unique_ptr<Linear>(
      new PackedLinear(rows, cols, *type, std::move(m), std::move(copy)));
}

}  // namespace lutra::engine::linear
