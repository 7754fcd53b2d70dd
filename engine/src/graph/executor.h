// Runs a Graph for a batch of tokens at positions [p0, p0 + n): one arena of activations laid
// out by the memory plan, the KV cache, rope tables and the selected kernels, all sized at
// creation so a run allocates nothing. Linear and attention nodes spread over the caller's
// thread pool; the element-wise nodes are a small fraction of a token's time and run inline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "arch/isa.h"
#include "engine/src/attention/attention.h"
#include "engine/src/attention/kv_cache.h"
#include "engine/src/common/threadpool.h"
#include "engine/src/graph/graph.h"
#include "engine/src/graph/memory_plan.h"
#include "engine/src/graph/rope.h"
#include "engine/src/linear/linear.h"
#include "kernels/rmsnorm/rmsnorm.h"
#include "kernels/vec/vec.h"

namespace lutra::engine::graph {

struct ExecutorOptions {
  size_t max_tokens = 64;  // largest batch per Run (prefill chunk)
  size_t max_seq = 0;      // context length: KV cache positions
  attention::KvType kv_type = attention::KvType::kF16;
  const KernelConfig* kernels = &KernelConfig::For(0);  // scalar unless set
  size_t vocab = 0;  // vocabulary size (token ids are checked by models::Session::CheckTokens)
};

class Executor {
 public:
  // The graph must outlive the executor; `threads` sizes the attention scratch.
  static Expected<std::unique_ptr<Executor>> Create(const Graph& graph,
                                                    const ExecutorOptions& options, size_t threads);

  // Runs tokens at positions [position(), position() + n), stores their K/V and advances.
  // Returns the output rows: the last token's, or every token's when all_outputs (n rows).
  // The tokens must have passed models::Session::CheckTokens (ids inside the vocabulary,
  // fitting the context): it is the one place they are checked.
  Expected<std::span<const float>> Run(std::span<const int32_t> tokens, bool all_outputs,
                                       ThreadPool& pool);

  size_t position() const { return cache_.length(); }
  // Forgets positions from `length` on (0: start over).
  Status Rewind(size_t length);

  const MemoryPlan& plan() const { return plan_; }
  const ExecutorOptions& options() const { return options_; }
  size_t output_width() const { return graph_->values()[graph_->output()].width; }
  size_t kv_bytes() const { return cache_.bytes(); }
  // The kernels Run calls (tests compare them with what lutra-sysinfo reports).
  kernels::rmsnorm::RmsNormFn rmsnorm() const { return rmsnorm_; }
  const kernels::vec::VecOps& vec() const { return vec_; }
  const attention::KvCache& cache() const { return cache_; }
  const attention::Attention& attention() const { return attention_; }

 private:
  Executor() = default;
  float* Value(int v) { return reinterpret_cast<float*>(arena_.get() + plan_.offset[v]); }
  Status RunNode(const Node& node, std::span<const int32_t> tokens, size_t p0, bool all_outputs,
                 ThreadPool& pool);

  const Graph* graph_ = nullptr;
  ExecutorOptions options_;
  MemoryPlan plan_;
  std::unique_ptr<uint8_t[]> arena_;
  std::unique_ptr<linear::LinearScratch> scratch_;
  attention::KvCache cache_;
  attention::Attention attention_;
  std::vector<RopeTable> ropes_;
  kernels::rmsnorm::RmsNormFn rmsnorm_ = nullptr;
  kernels::vec::VecOps vec_{};
};

}  // namespace lutra::engine::graph
