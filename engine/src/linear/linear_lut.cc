#include "engine/src/linear/linear_lut.h"

#include <algorithm>
#include <vector>

#include "engine/src/formats/kquant_formats.h"
#include "engine/src/formats/tensor_formats.h"
#include "engine/src/linear/load_parallel.h"
#include "engine/src/linear/lut_matrix.h"
#include "engine/src/linear/ternary_codes.h"

namespace lutra::engine::linear {

using formats::BlockFormat;
using formats::DecodeKQuantCodes;
using formats::FormatOf;
using formats::Q4_0Codes;
namespace {

using gguf::TensorType;

class LutLinear : public Linear {
 public:
  LutLinear(size_t rows, size_t cols, TensorType source, linear::LutMatrix matrix)
      : Linear(rows, cols), source_(source), matrix_(std::move(matrix)) {}

  Status Forward(size_t n, const float* x, float* y, ThreadPool& pool,
                 LinearScratch& scratch) const override {
    linear::Multiply(matrix_, n, x, y, pool, scratch.lut);
    return Status::Ok();
  }

  std::string Describe() const override {
    const auto& s = matrix_.weights().shape;
    if (matrix_.ternary3() != nullptr) {
      return std::string(gguf::type_traits(uint32_t(source_))->name) +
             " -> ternary3 (5 bits per 3 weights, one scale per row) int8-exact, " +
             matrix_.ternary3()->name + ", " + std::to_string(OwnedBytes()) + " bytes";
    }
    std::string d = std::string(gguf::type_traits(uint32_t(source_))->name) + " -> lut " +
                    (source_ == TensorType::Q4_0         ? "w4 asym"
                     : matrix_.weights().shape.bits == 4 ? "w4 with per-group min"
                                                         : "ternary") +
                    " G" + std::to_string(s.group) + (matrix_.exact() ? " int8-exact" : "") +
                    (matrix_.weights().uniform_scale ? ", one scale per row" : "") + ", " +
                    matrix_.gemm(1).name;
    if (&matrix_.gemm(SIZE_MAX) != &matrix_.gemm(1))
      d += std::string(" / ") + matrix_.gemm(SIZE_MAX).name;
    return d + ", " + std::to_string(OwnedBytes()) + " bytes";
  }

  size_t StreamedBytes() const override { return matrix_.StreamedBytes(); }
  size_t OwnedBytes() const override { return matrix_.PackedBytes(); }
  bool Int8Activations() const override { return matrix_.exact(); }
  std::optional<SavedLinear> Save() const override { return matrix_.Save(); }

 private:
  TensorType source_;
  linear::LutMatrix matrix_;
};

}  // namespace

Expected<std::unique_ptr<Linear>> RestoreLutLinear(const gguf::TensorInfo& t,
                                                   const RestoredLinear& saved,
                                                   const PlanOptions& options) {
  linear::LutMatrix m;
  if (Status s = LutMatrix::Restore(saved.descriptor, saved.arrays, *options.kernels, &m);
      !s.ok()) {
    return s.failure("tensor '" + t.name + "': ");
  }
  if (m.rows() != t.shape[1] || m.cols() != t.shape[0]) {
    return InvalidModel("tensor '" + t.name + "': cached matrix has another shape");
  }
  return std::unique_ptr<Linear>(new LutLinear(m.rows(), m.cols(), t.type, std::move(m)));
}

Expected<std::unique_ptr<Linear>> PlanLutLinear(const gguf::TensorInfo& t,
                                                const PlanOptions& options) {
  const size_t rows = t.shape[1], cols = t.shape[0];
  const BlockFormat f = FormatOf(t.type);
  const size_t blocks = rows * cols / f.weights;
  quantize::QuantizedMatrix q;
  q.q.resize(rows * cols);
  std::vector<float> block_scale(blocks);
  linear::Activations mode = linear::Activations::kQuantizedTables;
  // Block ranges of about 1 MiB of source, decoded in parallel on the loading pool.
  const size_t per_slice = std::max<size_t>(1, (size_t(1) << 20) / f.bytes);
  if (t.type == TensorType::Q4_0) {
    q.shape = {rows, cols, 4, 32, true};
    ForEachSlice(options.pool, blocks, per_slice, [&](size_t b0, size_t b1) {
      Q4_0Codes(t.data + b0 * f.bytes, b1 - b0, q.q.data() + b0 * 32, block_scale.data() + b0);
    });
    q.scale = std::move(block_scale);
    q.zero.assign(blocks, 8);
  } else if (t.type == TensorType::Q4_1 || t.type == TensorType::Q4_K) {
    // 32-weight groups (Q4_K: its sub-blocks), scale and subtracted min exact in fp32.
    const size_t groups = rows * cols / 32;
    q.shape = {rows, cols, 4, 32, true};
    q.scale.resize(groups);
    q.min.resize(groups);
    q.zero.assign(groups, 0);
    // Codes 0..15, the same bytes as int8 or uint8.
    const size_t groups_per_block = f.weights / 32;
    ForEachSlice(options.pool, blocks, per_slice, [&](size_t b0, size_t b1) {
      DecodeKQuantCodes(t.type, t.data + b0 * f.bytes, b1 - b0,
                        reinterpret_cast<int8_t*>(q.q.data()) + b0 * f.weights,
                        q.scale.data() + b0 * groups_per_block,
                        q.min.data() + b0 * groups_per_block);
    });
  } else {
    // Ternary: 128-weight groups, each taking its block's scale (TQ1_0/TQ2_0: two groups per
    // block; I2_S: one, every group the tensor's scale).
    q.shape = {rows, cols, 2, 128, true};
    q.ternary = true;
    if (Status s = DecodeTernary(t, options, &q.q, &block_scale); !s.ok()) return s.failure();
    const size_t per_block = f.weights / 128;
    q.scale.resize(per_block * blocks);
    for (size_t g = 0; g < q.scale.size(); ++g) q.scale[g] = block_scale[g / per_block];
    q.zero.assign(q.scale.size(), 1);
    if (options.ternary_int8_activations) mode = linear::Activations::kInt8Exact;
    q.uniform_scale = UniformRowScales(rows, cols / q.shape.group, q.scale, q.q);
  }
  // Q4_0 / Q4_1 / Q4_K codes are 0..15 by construction; all of them are in `q` now: the
  // source pages can go before packing (DecodeTernary has said so for the ternary ones).
  if (!q.ternary && options.consumed) options.consumed(t.data, t.n_bytes);
  linear::LutMatrix m;
  if (Status s =
          linear::LutMatrix::Create(q, *options.kernels, mode, &m, options.arena, options.pool);
      !s.ok()) {
    return s.failure("tensor '" + t.name + "': ");
  }
  return std::unique_ptr<Linear>(new LutLinear(rows, cols, t.type, std::move(m)));
}

}  // namespace lutra::engine::linear
