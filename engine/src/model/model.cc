#include "engine/src/model/model.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "arch/detect.h"
#include "engine/src/model/arch.h"
#include "engine/src/tokenizer/utf8_stream.h"

namespace lutra::engine::model {

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

  m->kernels_ = &KernelConfig::For(m->features_);
  PlanOptions plan{m->kernels_, o.ternary_int8_activations};
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

Expected<std::unique_ptr<Session>> Session::Create(const Model& model) {
  if (model.vocab_only()) {
    return Error{model.file().path() +
                 ": loaded as a vocabulary only (no weights): sessions need a model with weights"};
  }
  std::unique_ptr<Session> s(new Session());
  s->model_ = &model;
  s->pool_ = std::make_unique<ThreadPool>(model.options().threads);
  graph::ExecutorOptions eo;
  eo.max_tokens = model.options().batch;
  eo.max_seq = model.context_length();
  eo.kv_type = model.options().kv_type;
  eo.kernels = &model.kernels();
  eo.vocab = model.hparams().n_vocab;
  auto exec = graph::Executor::Create(model.graph(), eo, s->pool_->threads());
  if (!exec.ok()) return Error{exec.error()};
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
}

Expected<std::span<const float>> Session::Run(std::span<const int32_t> tokens) {
  auto out = exec_->Run(tokens, false, *pool_);
  if (!out.ok()) return Error{out.error()};
  history_.insert(history_.end(), tokens.begin(), tokens.end());
  std::memcpy(logits_.data(), out->data(), logits_.size() * sizeof(float));
  return std::span<const float>(logits_);
}

Expected<std::span<const float>> Session::Prefill(std::span<const int32_t> tokens) {
  if (tokens.empty()) return Error{"session: prefill of zero tokens"};
  const size_t batch = exec_->options().max_tokens;
  Expected<std::span<const float>> last = Error{""};
  for (size_t i = 0; i < tokens.size(); i += batch) {
    last = Run(tokens.subspan(i, std::min(batch, tokens.size() - i)));
    if (!last.ok()) return last;
  }
  return last;
}

Expected<std::span<const float>> Session::Decode(int32_t token) {
  return Run(std::span<const int32_t>(&token, 1));
}

Status Session::Evaluate(std::span<const int32_t> tokens, std::span<float> logits) {
  const size_t vocab = logits_.size();
  if (logits.size() != tokens.size() * vocab) {
    return Error{"session: evaluate needs " + std::to_string(tokens.size()) + " × " +
                 std::to_string(vocab) + " logits"};
  }
  const size_t batch = exec_->options().max_tokens;
  for (size_t i = 0; i < tokens.size(); i += batch) {
    const auto chunk = tokens.subspan(i, std::min(batch, tokens.size() - i));
    auto out = exec_->Run(chunk, true, *pool_);
    if (!out.ok()) return Error{out.error()};
    std::memcpy(logits.data() + i * vocab, out->data(), out->size() * sizeof(float));
    history_.insert(history_.end(), chunk.begin(), chunk.end());
  }
  return Status::Ok();
}

Expected<GenerateResult> Session::Generate(std::span<const int32_t> prompt,
                                           const GenerateOptions& o,
                                           const std::function<bool(std::string_view)>& on_text) {
  const Tokenizer* tok = model_->tokenizer();
  if (tok == nullptr) {
    return Error{"session: the model has no tokenizer: " + model_->tokenizer_error()};
  }
  sampler::Sampler sampler;
  std::string err;
  if (!sampler::Sampler::Create(o.sampler, logits_.size(), model_->kernels(), &sampler, &err)) {
    return Error{err};
  }
  using Clock = std::chrono::steady_clock;
  GenerateResult r;
  r.prompt_tokens = prompt.size();
  auto t0 = Clock::now();
  auto logits = Prefill(prompt);
  if (!logits.ok()) return Error{logits.error()};
  r.prefill_seconds = std::chrono::duration<double>(Clock::now() - t0).count();

  Utf8Stream stream;
  std::vector<float> work(logits_.size());
  t0 = Clock::now();
  while (r.tokens.size() < o.max_tokens) {
    std::copy(logits_.begin(), logits_.end(), work.begin());  // the sampler edits in place
    int32_t next = 0;
    if (!sampler.Sample(work, history_, &next, &err)) return Error{err};
    if (o.stop_at_eos && next == tok->eos()) {
      r.hit_eos = true;
      break;
    }
    r.tokens.push_back(next);
    // Pieces go out as the token's own bytes: a continuation keeps its leading space (the
    // space-prefix rule of whole-text decoding applies to the start of a text, not here).
    const std::string text = stream.push(tok->token_bytes(next));
    if (!text.empty() && on_text && !on_text(text)) {
      r.stopped_by_callback = true;
      break;
    }
    if (r.tokens.size() == o.max_tokens) break;
    auto step = Decode(next);
    if (!step.ok()) return Error{step.error()};
  }
  const std::string rest = stream.flush();
  if (!rest.empty() && on_text && !r.stopped_by_callback) on_text(rest);
  r.decode_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

}  // namespace lutra::engine::model
