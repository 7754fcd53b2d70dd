// The internal C++ model API (wrapped by the C API): a Model is a loaded GGUF file with its
// planned weights, tokenizer and graph, immutable and shareable; a Session is one conversation
// over it (KV cache, activation arena, thread pool), used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "arch/isa.h"
#include "engine/src/attention/kv_cache.h"
#include "engine/src/common/status.h"
#include "engine/src/common/threadpool.h"
#include "engine/src/dispatch/kernel_config.h"
#include "engine/src/gguf/reader.h"
#include "engine/src/graph/executor.h"
#include "engine/src/graph/graph.h"
#include "engine/src/models/hparams.h"
#include "engine/src/models/weights.h"
#include "engine/src/sampler/sampler.h"
#include "engine/src/tokenizer/tokenizer.h"

namespace lutra::engine::models {

struct ModelOptions {
  size_t threads = 0;         // 0: the number of performance cores
  std::string isa_cap;        // "" = the process's features (LUTRA_ISA applied), else a level
  size_t context_length = 0;  // KV positions per session; 0 = the training context
  attention::KvType kv_type = attention::KvType::kF16;
  size_t batch = 64;  // prefill chunk: tokens per graph run
  bool ternary_int8_activations = true;
  bool repack_q4_k = false;  // Q4_K for the lookup kernels instead of in place (linear.h)
  bool use_mmap = true;      // false: read the file into memory instead of mapping it
  bool vocab_only = false;   // tokenizer only (vocabulary files): no weights, no sessions
  // Called with the fraction of weight bytes planned so far (0..1) while matrices are
  // repacked; may be empty.
  std::function<void(double)> progress;
  cache::CacheSettings cache;  // the repack cache (off unless enabled)
};

class Model {
 public:
  static Expected<std::unique_ptr<Model>> Load(const std::string& path, const ModelOptions& o);

  const HParams& hparams() const { return hp_; }
  const ModelOptions& options() const { return options_; }
  arch::IsaSet features() const { return features_; }
  // The kernels every operator of the model and its sessions runs (of features()).
  const KernelConfig& kernels() const { return *kernels_; }
  const gguf::File& file() const { return file_; }
  const graph::Graph& graph() const { return graph_; }
  // Null when the file has no usable tokenizer metadata (token ids still work).
  const Tokenizer* tokenizer() const { return tokenizer_.get(); }
  const std::string& tokenizer_error() const { return tokenizer_error_; }
  size_t context_length() const { return context_; }
  bool vocab_only() const { return vocab_only_; }
  size_t weight_bytes() const;  // mapped tensor bytes + owned repacked bytes
  // What the repack cache did for this load, the entry's path and why it was not used.
  cache::CacheResult cache_result() const { return cache_result_; }
  const std::string& cache_path() const { return cache_path_; }
  const std::string& cache_warning() const { return cache_warning_; }
  // Weight bytes every decode step reads (planned matrices and vectors; not the embedding
  // table, of which one row is read, nor the KV cache).
  size_t streamed_weight_bytes() const;
  // Multiply-adds of one token through the planned matrices (attention's own not counted).
  size_t matmul_weights() const;
  // The kernel plan: one line per weight matrix.
  std::vector<std::string> DescribePlan() const { return weights_->Describe(); }

 private:
  Model(gguf::File file) : file_(std::move(file)) {}
  static Expected<std::unique_ptr<Model>> LoadVocabulary(gguf::File file, const ModelOptions& o);

  gguf::File file_;
  ModelOptions options_;
  arch::IsaSet features_ = 0;
  const KernelConfig* kernels_ = &KernelConfig::For(0);
  HParams hp_;
  size_t context_ = 0;
  bool vocab_only_ = false;
  std::unique_ptr<WeightStore> weights_;
  cache::CacheResult cache_result_ = cache::CacheResult::kUnused;
  std::string cache_path_, cache_warning_;
  graph::Graph graph_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::string tokenizer_error_;
};

// Per-session settings; zero (unset) fields take the model's (ModelOptions).
struct SessionOptions {
  size_t threads = 0;                        // 0: the model's threads
  size_t context_length = 0;                 // 0: the model's context length
  std::optional<attention::KvType> kv_type;  // unset: the model's
  size_t batch = 0;                          // 0: the model's prefill chunk
};

class Session {
 public:
  // A session with the model's settings, or with `o`'s where set. Error codes: options out of
  // range (a context above the model's limit, threads above 1024, batch 0 after defaults)
  // kInvalidArgument; a model loaded as a vocabulary only kUnsupported; memory for the KV cache
  // and activations kOutOfMemory.
  static Expected<std::unique_ptr<Session>> Create(const Model& model,
                                                   const SessionOptions& o = {});
  // The largest context a session of `model` may ask for: the training context, or the
  // model's own context length when that is larger.
  static size_t MaxContext(const Model& model);

  // Empties the KV cache and the history.
  void Reset();
  // The one check of tokens before they are appended (Prefill, Decode, Evaluate and the
  // generation loop run it; nothing else checks): every id inside the vocabulary
  // (kInvalidArgument), and all of them fitting the context (kContextFull). The message does
  // not name a caller.
  Status CheckTokens(std::span<const int32_t> tokens) const;
  // Appends tokens (in chunks of the batch size) and returns the last token's logits. When
  // CheckTokens fails nothing is appended (its code is returned); a failed run is kInternal.
  Expected<std::span<const float>> Prefill(std::span<const int32_t> tokens);
  // Appends one token and returns its logits.
  Expected<std::span<const float>> Decode(int32_t token);
  // Appends tokens and writes every token's logits (n × vocab floats) to `logits`
  // (perplexity). Any length; runs in batch-size chunks. The session's own logits are not
  // updated (has_logits() is false afterwards).
  Status Evaluate(std::span<const int32_t> tokens, std::span<float> logits);

  const Model& model() const { return *model_; }
  size_t position() const { return exec_->position(); }
  size_t context_length() const { return exec_->options().max_seq; }
  size_t batch() const { return exec_->options().max_tokens; }
  attention::KvType kv_type() const { return exec_->options().kv_type; }
  // True after a Prefill or Decode: logits() belongs to the last token of the history.
  bool has_logits() const { return has_logits_; }
  const std::vector<int32_t>& history() const { return history_; }
  // The logits of the last Prefill or Decode (vocab floats).
  std::span<const float> logits() const { return logits_; }
  const graph::Executor& executor() const { return *exec_; }
  size_t threads() const { return pool_->threads(); }
  // One line: activation arena (peak of the plan vs. without reuse), KV cache, logits.
  std::string MemoryReport() const;

 private:
  Session() = default;
  Expected<std::span<const float>> Run(std::span<const int32_t> tokens);

  const Model* model_ = nullptr;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<graph::Executor> exec_;
  std::vector<int32_t> history_;
  std::vector<float> logits_;
  bool has_logits_ = false;
};

}  // namespace lutra::engine::models
