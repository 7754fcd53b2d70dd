#include "engine/src/models/model.h"

#include <algorithm>
#include <cstring>

#include "arch/detect.h"
#include "engine/src/models/registry.h"

namespace lutra::engine::models {

using linear::PlanOptions;

Expected<std::unique_ptr<Model>> Model::Load(const std::string& path, const ModelOptions& o) {
  auto file = gguf::File::open(
      path, o.use_mmap ? gguf::MappedFile::Mode::kMap : gguf::MappedFile::Mode::kRead);
  if (!file.ok()) return Error{file.error()};
  if (o.vocab_only) return LoadVocabulary(std::move(*file), o);
  Status s = file->require_tensors();
  if (!s.ok()) return Error{s.error()};
  std::unique_ptr<Model> m(new Model(std::move(*file)));
  m->options_ = o;
  if (o.batch == 0) return Error{"model: batch must be ≥ 1"};

  const arch::ProcessIsa& proc = arch::Process();
  // An unusable LUTRA_ISA is an error, not a silent fallback to scalar kernels.
  if (!proc.error.empty()) return Error{"model: ISA cap: " + proc.error};
  m->features_ = proc.features;
  if (!o.isa_cap.empty()) {
    std::string err;
    // The options' cap, not LUTRA_ISA: named as the option (tools say --isa themselves).
    if (!arch::ApplyIsaCap(proc.features, o.isa_cap, &m->features_, &err, "isa=")) {
      return Error{"model: ISA cap: " + err};
    }
  }
  auto arch_name = m->file_.get_string("general.architecture");
  if (!arch_name.ok()) return Error{"model: general.architecture: " + arch_name.error()};
  auto build = FindArchBuilder(*arch_name);
  if (!build.ok()) return Error{build.error()};

  PlanOptions plan{m->features_, o.ternary_int8_activations};
  m->weights_ = std::make_unique<WeightStore>(m->file_, plan, o.progress);
  auto hp = (*build)(m->file_, *m->weights_, &m->graph_);
  if (!hp.ok()) return Error{path + ": " + hp.error()};
  m->hp_ = *hp;
  m->context_ = o.context_length != 0 ? o.context_length : m->hp_.n_ctx_train;
  // The training context sizes every session's KV cache when no context is asked for; a
  // corrupt or absurd value (0xFFFFFFFF) would otherwise surface later as a failed multi-GB
  // KV-cache allocation, far from its cause. 2^24 is the most the tools accept for -c.
  constexpr size_t kMaxDefaultContext = size_t(1) << 24;
  if (o.context_length == 0 && m->hp_.n_ctx_train > kMaxDefaultContext) {
    return Error{"model: " + std::string(*arch_name) +
                 ".context_length = " + std::to_string(m->hp_.n_ctx_train) +
                 " is too large to size the KV cache by default (at most " +
                 std::to_string(kMaxDefaultContext) + "); set a context length (-c)"};
  }

  auto tok = load_tokenizer(m->file_);
  if (tok.ok()) {
    if ((*tok)->vocab_size() > m->hp_.n_vocab) {
      return Error{"model: the tokenizer has " + std::to_string((*tok)->vocab_size()) +
                   " tokens, token_embd.weight only " + std::to_string(m->hp_.n_vocab)};
    }
    m->tokenizer_ = std::move(*tok);
  } else {
    m->tokenizer_error_ = tok.error();
  }
  return m;
}

Expected<std::unique_ptr<Model>> Model::LoadVocabulary(gguf::File file, const ModelOptions& o) {
  std::unique_ptr<Model> m(new Model(std::move(file)));
  m->options_ = o;
  m->vocab_only_ = true;
  auto tok = load_tokenizer(m->file_);
  if (!tok.ok()) return Error{tok.error()};
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

size_t Model::weight_bytes() const {
  if (vocab_only_) return 0;
  size_t b = 0;
  for (const gguf::TensorInfo& t : file_.tensors()) b += t.n_bytes;
  return b + weights_->OwnedBytes();
}

size_t Session::MaxContext(const Model& model) {
  return std::max(model.hparams().n_ctx_train, model.context_length());
}

Expected<std::unique_ptr<Session>> Session::Create(const Model& model, const SessionOptions& o,
                                                   SessionError* why) {
  auto fail = [&](SessionError kind, std::string message) -> Expected<std::unique_ptr<Session>> {
    if (why != nullptr) *why = kind;
    return Error{std::move(message)};
  };
  if (model.vocab_only()) {
    return fail(SessionError::kUnsupported,
                model.file().path() +
                    ": loaded as a vocabulary only (no weights): sessions need a model with "
                    "weights");
  }
  constexpr size_t kMaxThreads = 1024;
  if (o.threads > kMaxThreads) {
    return fail(SessionError::kInvalidArgument, "threads " + std::to_string(o.threads) +
                                                    " is out of range (0 = the model's, 1..1024)");
  }
  const size_t context = o.context_length != 0 ? o.context_length : model.context_length();
  if (context > MaxContext(model)) {
    return fail(SessionError::kInvalidArgument,
                "context_length " + std::to_string(context) + " is above the model's limit of " +
                    std::to_string(MaxContext(model)) +
                    " (its training context, or the context_length it was loaded with)");
  }
  const attention::KvType kv_type = o.kv_type.value_or(model.options().kv_type);
  const graph::AttentionDims& dims = model.graph().attention();
  if (kv_type == attention::KvType::kBf16 && dims.n_layer > 0 && dims.head_dim % 2 != 0) {
    return fail(SessionError::kInvalidArgument,
                "kv_type bf16 needs an even head dimension (the model's is " +
                    std::to_string(dims.head_dim) + ")");
  }
  std::unique_ptr<Session> s(new Session());
  s->model_ = &model;
  s->pool_ = std::make_unique<ThreadPool>(o.threads != 0 ? o.threads : model.options().threads);
  graph::ExecutorOptions eo;
  eo.max_tokens = o.batch != 0 ? o.batch : model.options().batch;
  eo.max_seq = context;
  eo.kv_type = kv_type;
  eo.features = model.features();
  eo.vocab = model.hparams().n_vocab;
  auto exec = graph::Executor::Create(model.graph(), eo, s->pool_->threads());
  if (!exec.ok()) return fail(SessionError::kInternal, exec.error());
  s->exec_ = std::move(*exec);
  s->logits_.resize(model.hparams().n_vocab);
  if (why != nullptr) *why = SessionError::kNone;
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

Status Session::CheckTokens(std::span<const int32_t> tokens, SessionError* why) const {
  const size_t vocab = logits_.size();
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || size_t(tokens[i]) >= vocab) {
      if (why != nullptr) *why = SessionError::kInvalidArgument;
      return Error{"token " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
                   " is outside the vocabulary (0.." + std::to_string(vocab - 1) + ")"};
    }
  }
  const size_t pos = position(), ctx = context_length();
  if (tokens.size() > ctx - pos) {
    if (why != nullptr) *why = SessionError::kContextFull;
    return Error{std::to_string(tokens.size()) + " tokens do not fit: the context holds " +
                 std::to_string(pos) + " of " + std::to_string(ctx) +
                 " positions (reset the session, or load with a larger context_length)"};
  }
  if (why != nullptr) *why = SessionError::kNone;
  return Status::Ok();
}

// Runs checked tokens (at most one batch).
Expected<std::span<const float>> Session::Run(std::span<const int32_t> tokens) {
  auto out = exec_->Run(tokens, false, *pool_);
  if (!out.ok()) return Error{out.error()};
  history_.insert(history_.end(), tokens.begin(), tokens.end());
  std::memcpy(logits_.data(), out->data(), logits_.size() * sizeof(float));
  has_logits_ = true;
  return std::span<const float>(logits_);
}

Expected<std::span<const float>> Session::Prefill(std::span<const int32_t> tokens,
                                                  SessionError* why) {
  if (tokens.empty()) {
    if (why != nullptr) *why = SessionError::kInvalidArgument;
    return Error{"no tokens"};
  }
  if (Status st = CheckTokens(tokens, why); !st.ok()) return Error{st.error()};
  const size_t batch = exec_->options().max_tokens;
  Expected<std::span<const float>> last = Error{""};
  for (size_t i = 0; i < tokens.size(); i += batch) {
    last = Run(tokens.subspan(i, std::min(batch, tokens.size() - i)));
    if (!last.ok()) {
      if (why != nullptr) *why = SessionError::kInternal;
      return last;
    }
  }
  return last;
}

Expected<std::span<const float>> Session::Decode(int32_t token, SessionError* why) {
  return Prefill(std::span<const int32_t>(&token, 1), why);
}

Status Session::Evaluate(std::span<const int32_t> tokens, std::span<float> logits,
                         SessionError* why) {
  if (why != nullptr) *why = SessionError::kInvalidArgument;
  const size_t vocab = logits_.size();
  if (logits.size() != tokens.size() * vocab) {
    return Error{"session: evaluate needs " + std::to_string(tokens.size()) + " × " +
                 std::to_string(vocab) + " logits"};
  }
  if (Status st = CheckTokens(tokens, why); !st.ok()) return st;
  has_logits_ = false;  // the session's own logits buffer is not updated
  const size_t batch = exec_->options().max_tokens;
  for (size_t i = 0; i < tokens.size(); i += batch) {
    const auto chunk = tokens.subspan(i, std::min(batch, tokens.size() - i));
    auto out = exec_->Run(chunk, true, *pool_);
    if (!out.ok()) {
      if (why != nullptr) *why = SessionError::kInternal;
      return Error{out.error()};
    }
    std::memcpy(logits.data() + i * vocab, out->data(), out->size() * sizeof(float));
    history_.insert(history_.end(), chunk.begin(), chunk.end());
  }
  return Status::Ok();
}

}  // namespace lutra::engine::models
