#include "engine/src/models/model.h"

#include <algorithm>
#include <cstring>

#include "arch/detect.h"
#include "engine/src/cache/entry_format.h"
#include "engine/src/cache/hash.h"
#include "engine/src/dispatch/kernel_catalog.h"
#include "engine/src/gguf/lutra_types.h"
#include "engine/src/models/registry.h"
#include "lutra/lutra.h"

namespace lutra::engine::models {

using linear::PlanOptions;

namespace {

// Everything besides the file that decides what the repacked matrices look like: the format
// of the saved forms, the build, the features the kernels were chosen for (and the choice of
// every operation), and the plan options.
std::string CacheFingerprint(arch::IsaSet features, const PlanOptions& plan) {
  std::string kernels;
  for (const KernelOp& op : KernelOps()) {
    kernels += std::string(op.op) + "=" + op.selected(features) + ";";
  }
  return "lutra " + std::to_string(LUTRA_VERSION_MAJOR) + "." +
         std::to_string(LUTRA_VERSION_MINOR) + "." + std::to_string(LUTRA_VERSION_PATCH) +
         " entry " + std::to_string(cache::kEntryFormatVersion) + " packing " +
         std::to_string(gguf::kPackingVersion) + " features " + std::to_string(uint64_t(features)) +
         " ternary_int8 " + std::to_string(plan.ternary_int8_activations) + " repack_q4_k " +
         std::to_string(plan.repack_q4_k) + " kernels " + cache::Hex64(cache::Hash64(kernels));
}

}  // namespace

Expected<std::unique_ptr<Model>> Model::Load(const std::string& path, const ModelOptions& o) {
  auto file = gguf::File::open(
      path, o.use_mmap ? gguf::MappedFile::Mode::kMap : gguf::MappedFile::Mode::kRead);
  if (!file.ok()) return file.failure();
  if (o.vocab_only) return LoadVocabulary(std::move(*file), o);
  Status s = file->require_tensors();
  if (!s.ok()) return s.failure();
  std::unique_ptr<Model> m(new Model(std::move(*file)));
  m->options_ = o;
  if (o.batch == 0) return InvalidArgument("model: batch must be ≥ 1");

  const arch::ProcessIsa& proc = arch::Process();
  // An unusable LUTRA_ISA is an error, not a silent fallback to scalar kernels.
  if (!proc.error.empty()) return IsaUnavailable("model: ISA cap: " + proc.error);
  m->features_ = proc.features;
  if (!o.isa_cap.empty()) {
    std::string err;
    // The options' cap, not LUTRA_ISA: named as the option (tools say --isa themselves).
    if (!arch::ApplyIsaCap(proc.features, o.isa_cap, &m->features_, &err, "isa=")) {
      return IsaUnavailable("model: ISA cap: " + err);
    }
  }
  auto arch_name = m->file_.get_string("general.architecture");
  if (!arch_name.ok()) return arch_name.failure("model: general.architecture: ");
  auto build = FindArchBuilder(*arch_name);
  if (!build.ok()) return build.failure();

  m->kernels_ = &KernelConfig::For(m->features_);
  PlanOptions plan;
  plan.kernels = m->kernels_;
  plan.ternary_int8_activations = o.ternary_int8_activations;
  plan.repack_q4_k = o.repack_q4_k;
  // Repacking decodes and packs every weight once: on all the session threads, for the load
  // only (sessions make their own pools).
  ThreadPool load_pool(o.threads);
  cache::CacheSettings cache_settings = o.cache;
  cache_settings.q4_k_repacked = o.repack_q4_k;
  cache_settings.q4_0_in_place = m->kernels_->q4_0_in_place();
  plan.pool = &load_pool;
  m->weights_ = std::make_unique<WeightStore>(
      m->file_, plan, o.progress,
      cache::RepackCache::Open(m->file_, CacheFingerprint(m->features_, plan), cache_settings));
  auto hp = (*build)(m->file_, *m->weights_, &m->graph_);
  m->weights_->DetachPool();
  if (!hp.ok()) return hp.failure(path + ": ");
  m->hp_ = *hp;
  m->context_ = o.context_length != 0 ? o.context_length : m->hp_.n_ctx_train;
  // The training context sizes every session's KV cache when no context is asked for; a
  // corrupt or absurd value (0xFFFFFFFF) would otherwise surface later as a failed multi-GB
  // KV-cache allocation, far from its cause. 2^24 is the most the tools accept for -c.
  constexpr size_t kMaxDefaultContext = size_t(1) << 24;
  if (o.context_length == 0 && m->hp_.n_ctx_train > kMaxDefaultContext) {
    return InvalidModel("model: " + std::string(*arch_name) +
                        ".context_length = " + std::to_string(m->hp_.n_ctx_train) +
                        " is too large to size the KV cache by default (at most " +
                        std::to_string(kMaxDefaultContext) + "); set a context length (-c)");
  }

  auto tok = load_tokenizer(m->file_);
  if (tok.ok()) {
    if ((*tok)->vocab_size() > m->hp_.n_vocab) {
      return InvalidModel("model: the tokenizer has " + std::to_string((*tok)->vocab_size()) +
                          " tokens, token_embd.weight only " + std::to_string(m->hp_.n_vocab));
    }
    m->tokenizer_ = std::move(*tok);
  } else {
    m->tokenizer_error_ = tok.error();
  }
  if (cache::RepackCache* c = m->weights_->cache()) {
    c->Commit();
    m->cache_result_ = c->result();
    m->cache_path_ = c->path();
    m->cache_warning_ = c->warning();
  }
  return m;
}

Expected<std::unique_ptr<Model>> Model::LoadVocabulary(gguf::File file, const ModelOptions& o) {
  std::unique_ptr<Model> m(new Model(std::move(file)));
  m->options_ = o;
  m->vocab_only_ = true;
  auto tok = load_tokenizer(m->file_);
  if (!tok.ok()) return tok.failure();
  m->tokenizer_ = std::move(*tok);
  m->hp_.n_vocab = m->tokenizer_->vocab_size();
  if (auto arch_name = m->file_.get_string("general.architecture"); arch_name.ok()) {
    m->hp_.arch = std::string(*arch_name);
  }
  return m;
}

size_t Model::streamed_weight_bytes() const {
  return vocab_only_ ? 0 : weights_->StreamedBytes();
}

size_t Model::matmul_weights() const {
  return vocab_only_ ? 0 : weights_->MatmulWeights();
}

size_t Model::weight_bytes() const {
  if (vocab_only_) return 0;
  size_t b = 0;
  for (const gguf::TensorInfo& t : file_.tensors()) b += t.n_bytes;
  return b + weights_->OwnedBytes();
}

size_t Session::MaxContext(const Model& model) {
  return std::max(model.hparams().n_ctx_train, model.context_length());
}

Expected<std::unique_ptr<Session>> Session::Create(const Model& model, const SessionOptions& o) {
  if (model.vocab_only()) {
    return Unsupported(model.file().path() +
                       ": loaded as a vocabulary only (no weights): sessions need a model with "
                       "weights");
  }
  constexpr size_t kMaxThreads = 1024;
  if (o.threads > kMaxThreads) {
    return InvalidArgument("threads " + std::to_string(o.threads) +
                           " is out of range (0 = the model's, 1..1024)");
  }
  const size_t context = o.context_length != 0 ? o.context_length : model.context_length();
  if (context > MaxContext(model)) {
    return InvalidArgument("context_length " + std::to_string(context) +
                           " is above the model's limit of " + std::to_string(MaxContext(model)) +
                           " (its training context, or the context_length it was loaded with)");
  }
  const attention::KvType kv_type = o.kv_type.value_or(model.options().kv_type);
  const graph::AttentionDims& dims = model.graph().attention();
  if (kv_type == attention::KvType::kBf16 && dims.n_layer > 0 && dims.head_dim % 2 != 0) {
    return InvalidArgument("kv_type bf16 needs an even head dimension (the model's is " +
                           std::to_string(dims.head_dim) + ")");
  }
  std::unique_ptr<Session> s(new Session());
  s->model_ = &model;
  s->pool_ = std::make_unique<ThreadPool>(o.threads != 0 ? o.threads : model.options().threads);
  graph::ExecutorOptions eo;
  eo.max_tokens = o.batch != 0 ? o.batch : model.options().batch;
  eo.max_seq = context;
  eo.kv_type = kv_type;
  eo.kernels = &model.kernels();
  eo.vocab = model.hparams().n_vocab;
  auto exec = graph::Executor::Create(model.graph(), eo, s->pool_->threads());
  // What can fail here once the options are checked is memory for the KV cache and buffers.
  if (!exec.ok()) {
    return exec.code() == ErrorCode::kInternal ? OutOfMemory(exec.error()) : exec.failure();
  }
  s->exec_ = std::move(*exec);
  s->logits_.resize(model.hparams().n_vocab);
  return s;
}

std::string Session::MemoryReport() const {
  const auto& plan = exec_->plan();
  auto kib = [](size_t b) { return std::to_string((b + 1023) / 1024) + " KiB"; };
  return "activations " + kib(plan.arena_bytes) + " (" + kib(plan.naive_bytes) +
         " without reuse, batch " + std::to_string(exec_->options().max_tokens) + "), KV cache " +
         kib(exec_->kv_bytes()) + " (" + std::to_string(exec_->options().max_seq) +
         " positions), logits " + kib(logits_.size() * sizeof(float));
}

void Session::Reset() {
  (void)exec_->Rewind(0);
  history_.clear();
  has_logits_ = false;
}

Status Session::CheckTokens(std::span<const int32_t> tokens) const {
  const size_t vocab = logits_.size();
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || size_t(tokens[i]) >= vocab) {
      return InvalidArgument("token " + std::to_string(tokens[i]) + " at index " +
                             std::to_string(i) + " is outside the vocabulary (0.." +
                             std::to_string(vocab - 1) + ")");
    }
  }
  const size_t pos = position(), ctx = context_length();
  if (tokens.size() > ctx - pos) {
    return ContextFull(std::to_string(tokens.size()) + " tokens do not fit: the context holds " +
                       std::to_string(pos) + " of " + std::to_string(ctx) +
                       " positions (reset the session, or load with a larger context_length)");
  }
  return Status::Ok();
}

// Runs checked tokens (at most one batch).
Expected<std::span<const float>> Session::Run(std::span<const int32_t> tokens) {
  auto out = exec_->Run(tokens, false, *pool_);
  if (!out.ok()) return out.failure();
  history_.insert(history_.end(), tokens.begin(), tokens.end());
  std::memcpy(logits_.data(), out->data(), logits_.size() * sizeof(float));
  has_logits_ = true;
  return std::span<const float>(logits_);
}

Expected<std::span<const float>> Session::Prefill(std::span<const int32_t> tokens) {
  if (tokens.empty()) return InvalidArgument("no tokens");
  if (Status st = CheckTokens(tokens); !st.ok()) return st.failure();
  const size_t batch = exec_->options().max_tokens;
  Expected<std::span<const float>> last = Internal("");
  for (size_t i = 0; i < tokens.size(); i += batch) {
    last = Run(tokens.subspan(i, std::min(batch, tokens.size() - i)));
    // The tokens were checked: what fails in a run is the engine's own fault.
    if (!last.ok()) return Internal(last.error());
  }
  return last;
}

Expected<std::span<const float>> Session::Decode(int32_t token) {
  return Prefill(std::span<const int32_t>(&token, 1));
}

Status Session::Evaluate(std::span<const int32_t> tokens, std::span<float> logits) {
  const size_t vocab = logits_.size();
  if (logits.size() != tokens.size() * vocab) {
    return InvalidArgument("session: evaluate needs " + std::to_string(tokens.size()) + " × " +
                           std::to_string(vocab) + " logits");
  }
  if (Status st = CheckTokens(tokens); !st.ok()) return st;
  has_logits_ = false;  // the session's own logits buffer is not updated
  const size_t batch = exec_->options().max_tokens;
  for (size_t i = 0; i < tokens.size(); i += batch) {
    const auto chunk = tokens.subspan(i, std::min(batch, tokens.size() - i));
    auto out = exec_->Run(chunk, true, *pool_);
    if (!out.ok()) return Internal(out.error());
    std::memcpy(logits.data() + i * vocab, out->data(), out->size() * sizeof(float));
    history_.insert(history_.end(), chunk.begin(), chunk.end());
  }
  return Status::Ok();
}

}  // namespace lutra::engine::models
