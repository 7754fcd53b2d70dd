// The kernel plan's unit: one weight matrix of a GGUF file, prepared once for this CPU.
// PlanLinear() looks at the tensor's type and the feature set and picks the layout and kernel:
// the k-quants (Q2_K..Q6_K), Q8_0, Q5_0, IQ4_NL, IQ4_XS and the lattice i-quants (IQ2_XXS..IQ1_M)
// are multiplied on the file's own blocks (kquant); Q4_0, Q4_1, TQ1_0, TQ2_0, I2_S repack
// losslessly into LUT-packed weights (Q4_0 -> 4-bit asymmetric G=32, Q4_1 -> 4-bit G=32 with a
// per-group min, the ternary types -> ternary; on ARM Q4_0 and the ternary types go to rows by
// four for sdot instead: q4rows, ternary2); Q4_K too when asked (repack_q4_k); lutra-packed
// tensors are used straight from the mapping; Q5_1 becomes int8 codes with per-block scales
// (q8block); F32/F16/BF16 a dense fp32 path. Graph builders only see this interface, so adding a
// format never touches an architecture.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arch/isa.h"
#include "engine/src/common/status.h"
#include "engine/src/common/threadpool.h"
#include "engine/src/dispatch/kernel_config.h"
#include "engine/src/gguf/reader.h"
#include "engine/src/linear/lut_matrix.h"
#include "engine/src/linear/saved_linear.h"

namespace lutra::engine::linear {

struct PlanOptions {
  // The kernels of the capped feature set of the process (arch::Process()); scalar by default.
  const KernelConfig* kernels = &KernelConfig::For(0);
  // Ternary weights multiply int8 per-token activations exactly (W1.58·A8, as BitNet b1.58 is
  // trained) when true; otherwise through quantized activation tables like the other widths.
  bool ternary_int8_activations = true;
  // Where repacked matrices live (null: the heap). The model's weights go into huge pages.
  memory::HugePageArena* arena = nullptr;
  // Matrices used in place (kquant) copied into `arena` too (memory::WorthCopyingToHugePages),
  // else read from the file mapping.
  bool copy_in_place = false;
  // Called with source byte ranges a plan has finished reading (null: nobody listens): a
  // mapped file's pages can then be dropped while a large matrix is still being repacked.
  std::function<void(const uint8_t* data, size_t bytes)> consumed;
  // The loading pool that decodes and packs large matrices in parallel (null: the caller).
  ThreadPool* pool = nullptr;
  // Q4_K repacked for the lookup kernels (faster prefill on AVX-512, 6 bits per weight) instead
  // of multiplied in place by the kquant kernels (4.5 bits, faster decode).
  bool repack_q4_k = false;
};

// Working memory shared by every Linear of a graph (sized on first use, reused afterwards).
// One per executor; never used by two Forward calls at once.
// int8 activations of the q8block matrices (layout in kernels/q8block/q8block.h).
struct Q8Activations {
  std::vector<int8_t> q;
  std::vector<float> scale, sum;
  std::vector<int32_t> qsum;
};

// int8 activations of the kquant matrices (layout in kernels/kquant/kquant.h).
struct KQuantActivations {
  std::vector<int8_t> q;
  std::vector<float> scale;
  std::vector<int16_t> bsum;
  // The token-interleaved copy for many tokens (kquant.h TokenTiles).
  std::vector<int8_t> tiled_q;
  std::vector<float> tiled_scale;
  std::vector<int32_t> tiled_sum;
};

class LinearScratch {
 public:
  linear::LutScratch lut;  // activation tables of the LUT matrices
  Q8Activations q8;
  KQuantActivations kquant;
};
std::unique_ptr<LinearScratch> MakeLinearScratch();

class Linear {
 public:
  virtual ~Linear() = default;
  size_t rows() const { return rows_; }  // output features: ggml shape[1]
  size_t cols() const { return cols_; }  // input features: ggml shape[0], the contiguous one

  // y[t·rows + r] = Σ_c W[r, c]·x[t·cols + c] for t < n, split across `pool`.
  virtual Status Forward(size_t n, const float* x, float* y, ThreadPool& pool,
                         LinearScratch& scratch) const = 0;
  // One line for the plan log: source type, packed form, kernel variant(s), bytes.
  virtual std::string Describe() const = 0;
  // Bytes this object owns beyond the file mapping (repacked weights, dense copies).
  virtual size_t OwnedBytes() const = 0;
  // Bytes one Forward reads from the weights (owned or mapped): what decode streams.
  virtual size_t StreamedBytes() const { return OwnedBytes(); }
  // True when Forward rounds each token's activations to the int8 absmax grid itself
  // (the ternary int8-exact LUT path), as a BitNet BitLinear does.
  virtual bool Int8Activations() const { return false; }
  // What the repack cache stores of this operator (views of its own arrays); nullopt for
  // operators that own nothing worth caching (dense, lutra-packed views).
  virtual std::optional<SavedLinear> Save() const { return std::nullopt; }

 protected:
  Linear(size_t rows, size_t cols) : rows_(rows), cols_(cols) {}

 private:
  size_t rows_;
  size_t cols_;
};

// Plans a 2-D weight tensor. Errors name the tensor, its type and shape when the type is not
// supported or the data does not fit the shape. The tensor's bytes must outlive the result
// (they stay in the caller's gguf::File mapping).
Expected<std::unique_ptr<Linear>> PlanLinear(const gguf::TensorInfo& tensor,
                                             const PlanOptions& options);

// The operator Save() described for `tensor`, around arrays read back from the repack cache.
// InvalidModel when the saved form does not fit the tensor or this build's kernel choice (the
// caller then plans the tensor from the file).
Expected<std::unique_ptr<Linear>> RestoreLinear(const gguf::TensorInfo& tensor,
                                                const RestoredLinear& saved,
                                                const PlanOptions& options);

// True for the tensor types the runtime can load (as weights or through DequantizeRows).
bool IsLoadableType(gguf::TensorType type);

// Dequantizes rows [first, first + count) of a tensor of any loadable type to fp32 (embedding
// lookup, norm weights, biases: a 1-D tensor is one row). `out` holds count·shape[0] floats.
Status DequantizeRows(const gguf::TensorInfo& tensor, size_t first, size_t count, float* out);

}  // namespace lutra::engine::linear
