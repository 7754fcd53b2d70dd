// The internal C++ model API (wrapped by the C API): a Model is a loaded GGUF file with its
// planned weights, tokenizer and graph, immutable and shareable; a Session is one conversation
// over it (KV cache, activation arena, thread pool), used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "arch/isa.h"
#include "engine/src/attention/kv_cache.h"
#include "engine/src/gguf/reader.h"
#include "engine/src/gguf/status.h"
#include "engine/src/graph/executor.h"
#include "engine/src/graph/graph.h"
#include "engine/src/kernel_config.h"
#include "engine/src/model/hparams.h"
#include "engine/src/model/weights.h"
#include "engine/src/sampler/sampler.h"
#include "engine/src/threadpool.h"
#include "engine/src/tokenizer/tokenizer.h"

namespace lutra::engine::model {

struct ModelOptions {
  size_t threads = 0;         // 0: the number of performance cores
  std::string isa_cap;        // "" = the process's features (LUTRA_ISA applied), else a level
  size_t context_length = 0;  // KV positions per session; 0 = the training context
  attention::KvType kv_type = attention::KvType::kF16;
  size_t batch = 64;  // prefill chunk: tokens per graph run
  bool ternary_int8_activations = true;
  bool use_mmap = true;     // false: read the file into memory instead of mapping it
  bool vocab_only = false;  // tokenizer only (vocabulary files): no weights, no sessions
  // Called with the fraction of weight bytes planned so far (0..1) while matrices are
  // repacked; may be empty.
  std::function<void(double)> progress;
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
  // Weight bytes every decode step reads (planned matrices and vectors; not the embedding
  // table, of which one row is read, nor the KV cache).
  size_t streamed_weight_bytes() const;
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
  graph::Graph graph_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::string tokenizer_error_;
};

struct GenerateOptions {
  size_t max_tokens = 128;
  sampler::SamplerParams sampler;
  bool stop_at_eos = true;
};

struct GenerateResult {
  std::vector<int32_t> tokens;  // generated ids (the stop token excluded)
  size_t prompt_tokens = 0;
  double prefill_seconds = 0.0;
  double decode_seconds = 0.0;
  bool stopped_by_callback = false;
  bool hit_eos = false;
};

class Session {
 public:
  static Expected<std::unique_ptr<Session>> Create(const Model& model);

  // Empties the KV cache and the history.
  void Reset();
  // Appends tokens (in chunks of the batch size) and returns the last token's logits.
  Expected<std::span<const float>> Prefill(std::span<const int32_t> tokens);
  // Appends one token and returns its logits.
  Expected<std::span<const float>> Decode(int32_t token);
  // Appends tokens and writes every token's logits (n × vocab floats) to `logits`
  // (perplexity). Any length; runs in batch-size chunks.
  Status Evaluate(std::span<const int32_t> tokens, std::span<float> logits);
  // Prefills `prompt`, then samples up to max_tokens tokens, streaming their text through
  // `on_text` in pieces that never split a UTF-8 character; on_text returning false stops.
  // The last generated token is returned but not yet run through the model (its logits are
  // not needed): a follow-up turn passes it at the start of its own tokens.
  Expected<GenerateResult> Generate(std::span<const int32_t> prompt, const GenerateOptions& o,
                                    const std::function<bool(std::string_view)>& on_text);

  size_t position() const { return exec_->position(); }
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
};

}  // namespace lutra::engine::model
