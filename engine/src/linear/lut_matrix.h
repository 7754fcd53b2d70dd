// The LUT GEMM as the runtime calls it: a LutMatrix holds packed low-bit weights and the
// kernels chosen for one feature set; Multiply() computes y[n, m] = x[n, k]·Wᵀ with the
// activation tables built once per token (split over K across threads when K is long) and
// shared by all threads, and the output rows split across the pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "arch/isa.h"
#include "engine/src/common/status.h"
#include "engine/src/common/threadpool.h"
#include "engine/src/dispatch/kernel_config.h"
#include "engine/src/linear/saved_linear.h"
#include "engine/src/memory/huge_page_arena.h"
#include "engine/src/quantize/round_to_nearest.h"
#include "kernels/lutbuild/lutbuild.h"
#include "kernels/lutgemm/lutgemm.h"
#include "kernels/packw/packw.h"
#include "kernels/ternary3/ternary3.h"

namespace lutra::engine::linear {

// 64-byte aligned, zero-initialised byte storage, from the heap or from a huge-page arena
// (memory a model streams every token). Move-only.
class AlignedBytes {
 public:
  AlignedBytes() = default;
  explicit AlignedBytes(size_t bytes);
  // From `arena`: the storage keeps its chunk alive, also after the arena is gone.
  AlignedBytes(size_t bytes, memory::HugePageArena& arena);
  // Bytes that live in a buffer shared with others (a cache entry read into memory); `data`
  // keeps it alive and must be 64-byte aligned.
  AlignedBytes(std::shared_ptr<uint8_t> data, size_t bytes)
      : data_(std::move(data)), size_(bytes) {}
  AlignedBytes(AlignedBytes&&) = default;
  AlignedBytes& operator=(AlignedBytes&&) = default;
  AlignedBytes(const AlignedBytes&) = delete;
  AlignedBytes& operator=(const AlignedBytes&) = delete;

  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  std::shared_ptr<uint8_t> data_;
  size_t size_ = 0;
};

class LutScratch;

enum class Activations {
  kQuantizedTables,  // fp32 activations, int8 tables with a scale per group (lossy, any b)
  kInt8Exact,        // per-token absmax int8 activations, exact int16 tables (W·A8 lossless)
};

class LutMatrix {
 public:
  // Packs `q` and takes its kernels from `config`. An error on a bad shape.
  // The packed buffers come from `arena` when given (a model's weights: huge pages), else
  // from the heap.
  // `pool` (may be null) packs tiles in parallel (loading).
  static Status Create(const quantize::QuantizedMatrix& q, const KernelConfig& config,
                       Activations mode, LutMatrix* out, memory::HugePageArena* arena = nullptr,
                       ThreadPool* pool = nullptr);
  // Like Create, with a given GEMM variant (benchmarks and tests of one variant).
  static Status CreateWith(const quantize::QuantizedMatrix& q, const KernelConfig& config,
                           const kernels::lutgemm::GemmKernel* gemm, LutMatrix* out,
                           memory::HugePageArena* arena = nullptr, ThreadPool* pool = nullptr);

  // Ternary rows with one scale (q.ternary, q.uniform_scale, zero point 1) in the 1.67-bit
  // layout with a given ternary3 variant, int8-exact activations. Create takes this path by
  // itself where config.ternary3_preferred(); benchmarks and tests call it directly.
  static Status CreateTernary3(const quantize::QuantizedMatrix& q, const KernelConfig& config,
                               const kernels::ternary3::Kernels* variant, LutMatrix* out,
                               memory::HugePageArena* arena = nullptr);

  // Wraps packed buffers that live elsewhere (a file mapping) without copying them: they must
  // stay valid and unchanged while the matrix is used. `data.bias` and `data.zero` may be null
  // for symmetric shapes (no kernel reads them then). Zero points are range-checked (exact
  // kernels compute with them); bit-planes cannot hold an out-of-range code.
  static Status CreateView(const kernels::packw::Shape& s, const kernels::packw::Packed& data,
                           bool uniform_scale, const KernelConfig& config, Activations mode,
                           LutMatrix* out);
  // Sparse corrections added after the lookup: y[t, r] += Σ_j v_j·x[t, c_j] over `per_row`
  // entries per row (row r's at entries[r·per_row...], each uint32 little-endian: column in
  // the low 16 bits, fp16 value v in the high 16; columns < k). `entries` must outlive the
  // matrix. The outlier treatment of lutra-convert (docs/packed-format.md).
  void SetOutliers(const uint32_t* entries, size_t per_row) {
    outliers_ = entries;
    outliers_per_row_ = entries != nullptr ? per_row : 0;
  }
  size_t outliers_per_row() const { return outliers_per_row_; }
  // True when the packed buffers are this object's (Create), false for a view.
  bool owns_data() const { return bits_.size() != 0 || t3_data_.size() != 0; }
  // The ternary3 variant when Create repacked this matrix into the 1.67-bit ternary layout
  // (exact ternary rows with one scale, on CPUs where that kernel beats the bit planes); the
  // bit-plane arrays of weights() are then empty.
  const kernels::ternary3::Kernels* ternary3() const { return t3_; }

  // The packed arrays and what restoring them needs (the repack cache), for matrices made by
  // Create; nullopt for views and single-variant matrices (CreateWith, CreateTernary3 called
  // directly), whose kernel choice a later load could not repeat.
  std::optional<SavedLinear> Save() const;
  // A matrix around arrays Save() described, built by a process with the same kernel config;
  // InvalidModel when the descriptor does not match this config's choice or the arrays' sizes
  // (the caller then repacks from the file).
  static Status Restore(std::string_view descriptor, const std::vector<RestoredArray>& arrays,
                        const KernelConfig& config, LutMatrix* out);

  // A deep copy (separate packed buffers), from the heap or from `arena`: benchmarks rotate
  // through copies to stream from memory, placed like a model's weights.
  LutMatrix Clone(memory::HugePageArena* arena = nullptr) const;

  size_t rows() const { return weights_.shape.m; }
  size_t cols() const { return weights_.shape.k; }
  const kernels::lutgemm::Weights& weights() const { return weights_; }
  // The variant Multiply() uses for n tokens (lookup for few tokens; for many tokens a
  // dot-product variant where the registry has a faster one with the same result).
  const kernels::lutgemm::GemmKernel& gemm(size_t n = 1) const {
    return n >= gemm_many_->min_n ? *gemm_many_ : *gemm_;
  }
  bool exact() const { return gemm_->exact; }
  // Bytes of packed data the matrix holds (bits, scales, bias, zero points, outliers).
  size_t PackedBytes() const;
  // Bytes one multiplication reads of them: in exact mode, rows with one scale read it once
  // per row instead of the per-group scales.
  size_t StreamedBytes() const;

 private:
  friend void Multiply(const LutMatrix&, size_t, const float*, float*, ThreadPool&, LutScratch&);
  kernels::lutgemm::Weights weights_{};
  const kernels::lutgemm::GemmKernel* gemm_ = nullptr;       // n = 1
  const kernels::lutgemm::GemmKernel* gemm_many_ = nullptr;  // large n
  kernels::lutbuild::BuildFn build_ = nullptr;
  kernels::lutbuild::BuildExactFn build_exact_ = nullptr;
  kernels::lutbuild::BuildInt8Fn build_int8_ = nullptr;
  kernels::lutbuild::BuildInt8BlocksFn build_int8_blocks_ = nullptr;
  // The table builders of `config` (every Create path keeps all four: Multiply picks by
  // the GEMM's input).
  void SelectBuilders(const KernelConfig& config);
  // How Create asked the config for kernels (Save records it so Restore asks the same).
  bool from_create_ = false;
  LutMode mode_ = LutMode::kFloat;
  bool ternary_one_scale_ = false;

  AlignedBytes bits_, scale_, bias_, zero_;
  const uint32_t* outliers_ = nullptr;
  size_t outliers_per_row_ = 0;
  const kernels::ternary3::Kernels* t3_ = nullptr;
  AlignedBytes t3_data_, t3_sign_sum_;  // with scale_: one scale per (padded) row
  kernels::ternary3::Weights t3_weights_{};
};

// Per-call working memory (the tables of n tokens); grows on demand, reusable across calls
// and matrices. Not shared between concurrent Multiply calls.
class LutScratch {
 public:
  uint8_t* Reserve(size_t bytes);

 private:
  AlignedBytes buffer_;
};

// y[t·m + row] = Σ_k W[row, k]·x[t·k + col] for t < n (x: n×k row-major, y: n×m row-major).
void Multiply(const LutMatrix& w, size_t n, const float* x, float* y, ThreadPool& pool,
              LutScratch& scratch);

}  // namespace lutra::engine::linear
