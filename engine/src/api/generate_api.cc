// lutra_generate: prefill, then sample / append / stream until a stop condition.
#include <algorithm>
#include <chrono>
#include <span>
#include <string>

#include "engine/src/api/handles.h"
#include "engine/src/api/session_checks.h"
#include "engine/src/tokenizer/utf8_stream.h"

namespace {

using lutra::api::Fail;
using lutra::api::FailSession;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

lutra_status Generate(lutra_session* s, const int32_t* prompt, size_t prompt_count,
                      const lutra_generate_options* o, lutra_text_callback callback,
                      void* user_data, lutra_generate_stats* stats) {
  lutra_generate_options defaults;
  lutra_generate_options_init(&defaults);
  if (o == nullptr) o = &defaults;
  if (!lutra::api::CheckStructSize(o, "options", "lutra_generate") ||
      !lutra::api::CheckStructSize(&o->sampler, "options.sampler", "lutra_generate") ||
      (stats != nullptr && !lutra::api::CheckStructSize(stats, "stats", "lutra_generate"))) {
    s->last_error = lutra_last_error();
    return LUTRA_STATUS_INVALID_ARGUMENT;
  }
  const lutra::Tokenizer* tok = s->model->model->tokenizer();
  if (tok == nullptr) {
    return FailSession(s, LUTRA_STATUS_UNSUPPORTED,
                       "lutra_generate: the model has no usable "
                       "tokenizer: " +
                           s->model->model->tokenizer_error());
  }
  if (prompt_count == 0 && !s->has_logits) {
    return FailSession(s, LUTRA_STATUS_INVALID_ARGUMENT,
                       "lutra_generate: empty prompt and nothing to continue from");
  }
  if (lutra_status st = lutra::api::CheckTokens(s, prompt, prompt_count, "lutra_generate");
      st != LUTRA_STATUS_OK) {
    return st;
  }
  const size_t vocab = s->model->model->hparams().n_vocab;
  lutra::engine::sampler::Sampler sampler;
  if (lutra::Status e = lutra::engine::sampler::Sampler::Create(
          lutra::api::ToSamplerParams(o->sampler), vocab, s->model->model->features(), &sampler);
      !e.ok()) {
    return FailSession(s, lutra::api::StatusOf(e.code()), "lutra_generate: " + e.error());
  }
  lutra_generate_stats st{};
  st.struct_size = sizeof st;
  st.prompt_tokens = uint32_t(prompt_count);
  st.stop_reason = LUTRA_STOP_MAX_TOKENS;
  auto publish = [&] {
    if (stats != nullptr) *stats = st;
  };

  auto t0 = Clock::now();
  if (prompt_count > 0) {
    auto out = s->session->Prefill(std::span<const int32_t>(prompt, prompt_count));
    if (!out.ok()) return FailSession(s, LUTRA_STATUS_INTERNAL, out.error());
    s->has_logits = true;
  }
  st.prefill_seconds = Since(t0);

  const size_t context = s->model->model->context_length();
  lutra::Utf8Stream stream;
  bool stopped_by_callback = false;
  t0 = Clock::now();
  while (st.generated_tokens < o->max_tokens) {
    s->work.assign(s->session->logits().begin(), s->session->logits().end());
    int32_t next = 0;
    if (lutra::Status e = sampler.Sample(s->work, s->session->history(), &next); !e.ok()) {
      publish();
      return FailSession(s, lutra::api::StatusOf(e.code()), "lutra_generate: " + e.error());
    }
    const auto& stops = s->model->stop_tokens;
    if (o->stop_at_eos && std::find(stops.begin(), stops.end(), next) != stops.end()) {
      st.stop_reason = LUTRA_STOP_EOS;
      break;
    }
    if (s->session->position() >= context) {
      st.stop_reason = LUTRA_STOP_CONTEXT_FULL;
      break;
    }
    auto out = s->session->Decode(next);
    if (!out.ok()) {
      publish();
      return FailSession(s, LUTRA_STATUS_INTERNAL, out.error());
    }
    ++st.generated_tokens;
    const std::string text = stream.push(tok->token_bytes(next));
    if (!text.empty() && callback != nullptr && callback(text.data(), text.size(), user_data)) {
      st.stop_reason = LUTRA_STOP_CALLBACK;
      stopped_by_callback = true;
      break;
    }
  }
  const std::string rest = stream.flush();
  if (!rest.empty() && callback != nullptr && !stopped_by_callback) {
    if (callback(rest.data(), rest.size(), user_data)) st.stop_reason = LUTRA_STOP_CALLBACK;
  }
  st.decode_seconds = Since(t0);
  publish();
  lutra::api::ClearError();
  return LUTRA_STATUS_OK;
}

}  // namespace

extern "C" {

void lutra_generate_options_init(lutra_generate_options* o) {
  if (o == nullptr) return;
  *o = lutra_generate_options{};
  o->struct_size = sizeof *o;
  o->max_tokens = 128;
  o->stop_at_eos = 1;
  lutra_sampler_options_init(&o->sampler);
}

lutra_status lutra_generate(lutra_session* session, const int32_t* prompt, size_t prompt_count,
                            const lutra_generate_options* options, lutra_text_callback callback,
                            void* user_data, lutra_generate_stats* stats) {
  if (session == nullptr) return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_generate: NULL");
  return lutra::api::GuardSession(session, "lutra_generate", [&] {
    return Generate(session, prompt, prompt_count, options, callback, user_data, stats);
  });
}

}  // extern "C"
