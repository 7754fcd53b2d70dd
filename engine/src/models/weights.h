// The weights a builder asks for, by GGUF tensor name and expected shape: matrices are planned
// once through PlanLinear, vectors (norm weights, biases) dequantized once to fp32. Every
// request checks the tensor's shape and names it in errors; CheckAllUsed() then refuses files
// with tensors no builder consumed (they would change the model's meaning silently).
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/src/cache/repack_cache.h"
#include "engine/src/common/status.h"
#include "engine/src/gguf/reader.h"
#include "engine/src/linear/linear.h"
#include "engine/src/memory/huge_page_arena.h"

namespace lutra::engine::models {

class WeightStore {
 public:
  // `progress` (may be empty) receives the fraction of the file's tensor bytes planned so far
  // after each matrix.
  // `cache` (may be null): the repack cache of this load, read from on a hit and written to on
  // a miss.
  WeightStore(const gguf::File& file, linear::PlanOptions options,
              std::function<void(double)> progress = {},
              std::unique_ptr<cache::RepackCache> cache = nullptr);

  bool Has(const std::string& name) const { return file_.tensor(name) != nullptr; }
  // A weight matrix y = W·x with `cols` inputs and `rows` outputs (ggml shape [cols, rows]).
  Expected<const linear::Linear*> Matrix(const std::string& name, size_t cols, size_t rows);
  // A 1-D tensor of n elements as fp32.
  Expected<const float*> Vector(const std::string& name, size_t n);
  // A table read one row at a time (embeddings): ggml shape [cols, rows].
  Expected<const gguf::TensorInfo*> Table(const std::string& name, size_t cols, size_t rows);
  Status CheckAllUsed() const;
  // The load succeeded: completes a cache entry being written. Null when no cache was used.
  cache::RepackCache* cache() const { return cache_.get(); }
  // The loading pool is gone once the model is built: nothing after may plan in parallel.
  void DetachPool() {
    options_.pool = nullptr;
    ReturnFreedHeap();  // the last repacks' temporaries
  }

  // Bytes owned beyond the mapping (repacked matrices, fp32 vectors): what every decode step
  // streams, besides one embedding row and the KV cache.
  size_t OwnedBytes() const;
  // Bytes one decode step reads from the linears (owned or mapped) and the vectors.
  size_t StreamedBytes() const;
  // Weights of every planned matrix (rows × cols summed): the multiply-adds of one token.
  size_t MatmulWeights() const;
  // With a mapped file, the pages of a tensor that planning copied or repacked are dropped
  // right after (a later read, e.g. of a tied embedding table, re-reads them from the file),
  // so the load's peak resident memory stays near the planned weights instead of file +
  // planned weights.
  // One line per planned matrix (the plan log).
  std::vector<std::string> Describe() const;

 private:
  // `check_values`: refuse non-finite scales (skipped for matrices restored from the cache,
  // whose entry was built from this very file after the check).
  Expected<const gguf::TensorInfo*> Find(const std::string& name, std::vector<uint64_t> shape,
                                         bool check_values = true);
  // The matrix restored from the cache entry, or null (no hit, no record, or a record that
  // does not fit: the entry is then rejected).
  std::unique_ptr<linear::Linear> Restore(const std::string& name, size_t cols, size_t rows);
  void ReleaseRange(const uint8_t* data, size_t bytes) const;
  // FindNonFinite in slices of kReleaseSliceBytes, each released once checked (a mapped file):
  // checking a large F16 embedding table must not make all of it resident at once.
  std::optional<std::string> CheckFinite(const gguf::TensorInfo& t) const;
  static constexpr size_t kReleaseSliceBytes = size_t{4} << 20;

  const gguf::File& file_;
  memory::HugePageArena arena_;  // the repacked matrices (they keep their chunks alive)
  linear::PlanOptions options_;
  std::vector<std::pair<std::string, std::unique_ptr<linear::Linear>>> linears_;
  std::deque<std::vector<float>> vectors_;
  std::set<std::string> used_;
  // Returns the heap's free pages to the system (after repacks' temporaries were freed).
  static void ReturnFreedHeap();
  void ReleasePages(const gguf::TensorInfo& t) const;
  std::function<void(double)> progress_;
  std::unique_ptr<cache::RepackCache> cache_;
  uint64_t total_bytes_ = 0, planned_bytes_ = 0;
  // Bytes of repacked matrices since the heap was last trimmed (ReturnFreedHeap).
  size_t repacked_since_trim_ = 0;
  static constexpr size_t kTrimEveryBytes = size_t(32) << 20;
  bool packing_checked_ = false;  // lutra.packing.version accepted (packed files only)
};

}  // namespace lutra::engine::models
