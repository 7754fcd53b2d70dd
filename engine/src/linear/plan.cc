// PlanLinear: the per-tensor choice of operator — lutra-packed matrices used from the mapping,
// the k-quants, Q8_0, Q5_0, IQ4_NL, IQ4_XS (and Q4_0 with AVX-512 VNNI) multiplied on the file's
// own blocks, other low-bit types repacked once for the LUT kernels, the other ggml block formats
// repacked to int8 codes for the q8block kernels, high-precision types through the dense fp32 path
// — plus row dequantization for embeddings, norms and biases.
#include <string>
#include <vector>

#include "engine/src/formats/tensor_formats.h"
#include "engine/src/gguf/lutra_types.h"
#include "engine/src/linear/linear.h"
#include "engine/src/linear/linear_dense.h"
#include "engine/src/linear/linear_kquant.h"
#include "engine/src/linear/linear_lut.h"
#include "engine/src/linear/linear_packed.h"
#include "engine/src/linear/linear_q4rows.h"
#include "engine/src/linear/linear_q8block.h"
#include "engine/src/linear/linear_ternary2.h"

namespace lutra::engine::linear {

using formats::BlockFormat;
using formats::DecodeBlocks;
using formats::FormatOf;
using formats::I2SCodes;
using formats::I2SScale;
using formats::kReadableTypes;
namespace {

using gguf::TensorType;

std::string Describe(const gguf::TensorInfo& t) {
  std::string shape;
  for (size_t i = 0; i < t.shape.size(); ++i)
    shape += (i ? " x " : "") + std::to_string(t.shape[i]);
  return "tensor '" + t.name + "' (" + gguf::TensorTypeName(uint32_t(t.type)) + ", " + shape + ")";
}

// Shape and size checks shared by PlanLinear and DequantizeRows: the reader has checked that
// the bytes lie inside the file; here they must also match what the type needs.
Status CheckTensor(const gguf::TensorInfo& t) {
  const BlockFormat f = FormatOf(t.type);
  if (gguf::IsPackedTypeId(uint32_t(t.type))) {
    return InvalidModel(Describe(t) + ": a lutra-packed matrix cannot be read row by row (keep " +
                        "embedding tables and vectors in F32, F16, BF16, Q8_0 or Q4_0)");
  }
  if (f.weights == 0) {
    return InvalidModel(Describe(t) + ": type not supported (loadable: " + kReadableTypes + ")");
  }
  if (t.shape.empty() || t.shape[0] == 0 || t.shape[0] % f.weights != 0) {
    return InvalidModel(Describe(t) + ": row length must be a positive multiple of " +
                        std::to_string(f.weights));
  }
  const uint64_t need = t.n_elements / f.weights * f.bytes + f.tail;
  if (t.n_bytes != need || t.data == nullptr) {
    return InvalidModel(Describe(t) + ": holds " + std::to_string(t.n_bytes) +
                        " bytes, the type needs " + std::to_string(need));
  }
  return Status::Ok();
}

}  // namespace

std::unique_ptr<LinearScratch> MakeLinearScratch() {
  return std::make_unique<LinearScratch>();
}

bool IsLoadableType(TensorType type) {
  return FormatOf(type).weights != 0 || gguf::DecodePackedType(uint32_t(type)).has_value();
}

Status DequantizeRows(const gguf::TensorInfo& t, size_t first, size_t count, float* out) {
  if (Status s = CheckTensor(t); !s.ok()) return s;
  const size_t cols = t.shape[0], rows = t.n_elements / cols;
  if (first > rows || count > rows - first) {
    return InvalidModel(Describe(t) + ": rows [" + std::to_string(first) + ", " +
                        std::to_string(first + count) + ") out of range (" + std::to_string(rows) +
                        " rows)");
  }
  const BlockFormat f = FormatOf(t.type);
  const size_t row_bytes = cols / f.weights * f.bytes;
  if (t.type == TensorType::I2_S) {  // the scale is the tensor's, after its last row
    std::vector<uint8_t> q(count * cols);
    I2SCodes(t.data + first * row_bytes, count * cols / f.weights, q.data());
    const float s = I2SScale(t.data, t.n_elements);
    for (size_t i = 0; i < q.size(); ++i) out[i] = s * float(int(q[i]) - 1);
    return Status::Ok();
  }
  DecodeBlocks(t.type, t.data + first * row_bytes, count * cols / f.weights, out);
  return Status::Ok();
}

Expected<std::unique_ptr<Linear>> RestoreLinear(const gguf::TensorInfo& t,
                                                const RestoredLinear& saved,
                                                const PlanOptions& options) {
  if (Status s = CheckTensor(t); !s.ok()) return s.failure();
  if (t.shape.size() != 2 || t.shape[1] == 0)
    return InvalidModel(Describe(t) + ": a weight matrix must be 2-D");
  switch (saved.kind) {
    case SavedKind::kLut:
      return RestoreLutLinear(t, saved, options);
    case SavedKind::kQ8Block:
      return RestoreQ8BlockLinear(t, saved, options);
    case SavedKind::kQ4Rows:
      return RestoreQ4RowsLinear(t, saved, options);
    case SavedKind::kTernary2:
      return RestoreTernary2Linear(t, saved, options);
  }
  return InvalidModel(Describe(t) + ": cached operator of unknown kind " +
                      std::to_string(uint32_t(saved.kind)));
}

Expected<std::unique_ptr<Linear>> PlanLinear(const gguf::TensorInfo& t,
                                             const PlanOptions& options) {
  if (gguf::IsPackedTypeId(uint32_t(t.type))) return PlanPackedLinear(t, options);
  if (Status s = CheckTensor(t); !s.ok()) return s.failure();
  if (t.shape.size() != 2 || t.shape[1] == 0)
    return InvalidModel(Describe(t) + ": a weight matrix must be 2-D");
  switch (t.type) {
    case TensorType::Q4_K:
      return options.repack_q4_k ? PlanLutLinear(t, options) : PlanKQuantLinear(t, options);
    case TensorType::Q6_K:
    case TensorType::Q5_K:
    case TensorType::Q3_K:
    case TensorType::Q2_K:
    case TensorType::Q8_0:
    case TensorType::Q5_0:
    case TensorType::IQ4_NL:
    case TensorType::IQ4_XS:
    case TensorType::IQ2_XXS:
    case TensorType::IQ2_XS:
    case TensorType::IQ2_S:
    case TensorType::IQ3_XXS:
    case TensorType::IQ3_S:
    case TensorType::IQ1_S:
    case TensorType::IQ1_M:
      return PlanKQuantLinear(t, options);
    case TensorType::Q4_0:
      if (options.kernels->q4rows_preferred()) return PlanQ4RowsLinear(t, options);
      if (options.kernels->q4_0_in_place()) return PlanKQuantLinear(t, options);
      return PlanLutLinear(t, options);
    case TensorType::TQ1_0:
    case TensorType::TQ2_0:
    case TensorType::I2_S:
      if (options.kernels->ternary2_preferred() && options.ternary_int8_activations &&
          Ternary2Fits(t)) {
        return PlanTernary2Linear(t, options);
      }
      return PlanLutLinear(t, options);
    case TensorType::Q4_1:
      return PlanLutLinear(t, options);
    case TensorType::Q5_1:
      return PlanQ8BlockLinear(t, options);
    default:
      return PlanDenseLinear(t, options);
  }
}

}  // namespace lutra::engine::linear
