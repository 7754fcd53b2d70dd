#include "engine/src/models/generate.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "engine/src/tokenizer/utf8_stream.h"

namespace lutra::engine::models {

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

Status Generate(Session& session, std::span<const int32_t> prompt, const GenerateOptions& o,
                const TextCallback& on_text, GenerateResult* result) {
  GenerateResult r;
  r.prompt_tokens = prompt.size();
  auto publish = [&] {
    if (result != nullptr) *result = r;
  };
  publish();
  const Model& model = session.model();
  const Tokenizer* tok = model.tokenizer();
  if (tok == nullptr) {
    return Unsupported("the model has no usable tokenizer: " + model.tokenizer_error());
  }
  if (prompt.empty() && !session.has_logits()) {
    return InvalidArgument("empty prompt and nothing to continue from");
  }
  sampler::Sampler sampler;
  if (Status st =
          sampler::Sampler::Create(o.sampler, session.logits().size(), model.kernels(), &sampler);
      !st.ok()) {
    return st;
  }

  auto t0 = Clock::now();
  if (!prompt.empty()) {
    auto out = session.Prefill(prompt);  // checks the prompt (CheckTokens)
    if (!out.ok()) return out.failure();
  }
  r.prefill_seconds = Since(t0);
  r.started = true;

  Utf8Stream stream;
  std::vector<float> work;
  bool stopped_by_callback = false;
  t0 = Clock::now();
  while (r.generated_tokens < o.max_tokens) {
    work.assign(session.logits().begin(), session.logits().end());  // the sampler edits it
    int32_t next = 0;
    if (Status st = sampler.Sample(work, session.history(), &next); !st.ok()) {
      publish();
      return st;
    }
    if (o.stop_at_eos && tok->is_end_of_generation(next)) {
      r.stop_reason = StopReason::kEndOfGeneration;
      break;
    }
    // The sampled id is inside the vocabulary; whether it fits is the session's one check.
    auto out = session.Decode(next);
    if (!out.ok()) {
      if (out.code() == ErrorCode::kContextFull) {
        r.stop_reason = StopReason::kContextFull;
        break;
      }
      publish();
      return out.failure();
    }
    ++r.generated_tokens;
    // Pieces go out as the token's own bytes: a continuation keeps its leading space (the
    // space-prefix rule of whole-text decoding applies to the start of a text, not here).
    const std::string text = stream.push(tok->token_bytes(next));
    if (!text.empty() && on_text && on_text(text)) {
      r.stop_reason = StopReason::kCallback;
      stopped_by_callback = true;
      break;
    }
  }
  const std::string rest = stream.flush();
  if (!rest.empty() && on_text && !stopped_by_callback && on_text(rest)) {
    r.stop_reason = StopReason::kCallback;
  }
  r.decode_seconds = Since(t0);
  publish();
  return Status::Ok();
}

}  // namespace lutra::engine::models
