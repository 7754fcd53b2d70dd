#include "engine/src/linear/linear_lut.h"

#include <algorithm>
#include <vector>

#include "engine/src/formats/kquant_formats.h"
#include "engine/src/formats/tensor_formats.h"
#include "engine/src/linear/load_parallel.h"
#include "engine/src/linear/lut_matrix.h"

namespace lutra::engine::linear {

using formats::BlockFormat;
using formats::DecodeKQuantCodes;
using formats::FormatOf;
using formats::Q4_0Codes;
using formats::TernaryCodes;
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

// Ternary-trained models (BitNet b1.58) have one absmean scale per tensor, so every block of
// a TQ1_0/TQ2_0 row carries the same fp16 scale, except all-zero blocks, which store 0. When
// that holds for every row, the all-zero blocks take the row's scale with codes 1 (= 0, the
// same weights) and the exact kernels keep one integer per row: no scale per group is read or
// multiplied. False (nothing changed) when a row has two different non-zero scales.
bool UniformRowScales(size_t rows, size_t blocks_per_row, std::vector<float>& block_scale,
                      std::vector<uint8_t>& codes) {
  std::vector<float> row_scale(rows, 0.0f);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t b = 0; b < blocks_per_row; ++b) {
      const float v = block_scale[r * blocks_per_row + b];
      if (v == 0.0f) continue;
      if (row_scale[r] != 0.0f && v != row_scale[r]) return false;
      row_scale[r] = v;
    }
  }
  const size_t block = codes.size() / (rows * blocks_per_row);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t b = 0; b < blocks_per_row; ++b) {
      float& v = block_scale[r * blocks_per_row + b];
      if (v != 0.0f || row_scale[r] == 0.0f) continue;
      v = row_scale[r];
      const size_t first = (r * blocks_per_row + b) * block;
      std::fill(codes.begin() + first, codes.begin() + first + block, uint8_t{1});
    }
  }
  return true;
}

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
    if (t.type == TensorType::I2_S) {  // its one scale follows the last block: one piece
      TernaryCodes(t.type, t.data, blocks, q.q.data(), block_scale.data());
    } else {
      ForEachSlice(options.pool, blocks, per_slice, [&](size_t b0, size_t b1) {
        TernaryCodes(t.type, t.data + b0 * f.bytes, b1 - b0, q.q.data() + b0 * f.weights,
                     block_scale.data() + b0);
      });
    }
    const size_t per_block = f.weights / 128;
    q.scale.resize(per_block * blocks);
    for (size_t g = 0; g < q.scale.size(); ++g) q.scale[g] = block_scale[g / per_block];
    q.zero.assign(q.scale.size(), 1);
    if (options.ternary_int8_activations) mode = linear::Activations::kInt8Exact;
  }
  // TQ1_0 digits decode to 0..2 for every byte; TQ2_0 and I2_S have a spare code 3 (Q4_0
  // codes are 0..15 by construction). A vectorized maximum first; the search only on failure.
  const uint8_t max_code = q.ternary ? 2 : 15;
  if (!q.q.empty() && *std::max_element(q.q.begin(), q.q.end()) > max_code) {
    const size_t i =
        size_t(std::find_if(q.q.begin(), q.q.end(), [&](uint8_t v) { return v > max_code; }) -
               q.q.begin());
    return InvalidModel("tensor '" + t.name + "': invalid ternary code " + std::to_string(q.q[i]) +
                        " at weight " + std::to_string(i) + " (offset " + std::to_string(t.offset) +
                        " in the data section)");
  }
  // The codes and scales are all in `q` now: the source pages can go before packing.
  if (options.consumed) options.consumed(t.data, t.n_bytes);
  if (q.ternary) q.uniform_scale = UniformRowScales(rows, cols / q.shape.group, q.scale, q.q);
  linear::LutMatrix m;
  if (Status s =
          linear::LutMatrix::Create(q, *options.kernels, mode, &m, options.arena, options.pool);
      !s.ok()) {
    return s.failure("tensor '" + t.name + "': ");
  }
  return std::unique_ptr<Linear>(new LutLinear(rows, cols, t.type, std::move(m)));
}

}  // namespace lutra::engine::linear
