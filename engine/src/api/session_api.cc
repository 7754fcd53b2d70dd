// Sessions: create / free / reset, prefill, decode, evaluate and sample.
#include <cstring>
#include <span>
#include <string>

#include "engine/src/api/handles.h"
#include "engine/src/api/session_checks.h"

namespace {

using lutra::api::Fail;
using lutra::api::FailSession;

bool SameParams(const lutra::engine::sampler::SamplerParams& a,
                const lutra::engine::sampler::SamplerParams& b) {
  return a.temperature == b.temperature && a.top_k == b.top_k && a.top_p == b.top_p &&
         a.min_p == b.min_p && a.repetition_penalty == b.repetition_penalty &&
         a.presence_penalty == b.presence_penalty && a.frequency_penalty == b.frequency_penalty &&
         a.penalty_window == b.penalty_window && a.seed == b.seed;
}

}  // namespace

namespace lutra::api {

lutra::engine::sampler::SamplerParams ToSamplerParams(const lutra_sampler_options& o) {
  lutra::engine::sampler::SamplerParams p;
  p.temperature = o.temperature;
  p.top_k = o.top_k;
  p.top_p = o.top_p;
  p.min_p = o.min_p;
  p.repetition_penalty = o.repeat_penalty;
  p.presence_penalty = o.presence_penalty;
  p.frequency_penalty = o.frequency_penalty;
  p.penalty_window = o.repeat_last_n;
  p.seed = o.seed;
  return p;
}

// Prefill and decode share this; `function` names the entry the caller actually called, so a
// decode error does not read "lutra_session_prefill: ...".
static lutra_status Append(lutra_session* s, const int32_t* tokens, size_t count,
                           const float** logits, size_t* n_vocab, const char* function) {
  if (s == nullptr) return Fail(LUTRA_STATUS_INVALID_ARGUMENT, std::string(function) + ": NULL");
  return lutra::api::GuardSession(s, function, [&] {
    if (count == 0) {
      return FailSession(s, LUTRA_STATUS_INVALID_ARGUMENT, std::string(function) + ": no tokens");
    }
    if (tokens == nullptr) {
      return FailSession(s, LUTRA_STATUS_INVALID_ARGUMENT,
                         std::string(function) + ": tokens is NULL");
    }
    auto out = s->session->Prefill(std::span<const int32_t>(tokens, count));
    if (!out.ok()) {
      return FailSession(s, StatusOf(out.code()), std::string(function) + ": " + out.error());
    }
    if (logits != nullptr) *logits = out->data();
    if (n_vocab != nullptr) *n_vocab = out->size();
    lutra::api::ClearError();
    return LUTRA_STATUS_OK;
  });
}

static lutra_status CreateSession(const lutra_model* model, const lutra_session_options* o,
                                  lutra_session** out, const char* function) {
  const std::string fn = function;
  if (out == nullptr) return Fail(LUTRA_STATUS_INVALID_ARGUMENT, fn + ": session is NULL");
  *out = nullptr;
  if (model == nullptr) return Fail(LUTRA_STATUS_INVALID_ARGUMENT, fn + ": model is NULL");
  lutra::engine::models::SessionOptions so;
  if (o != nullptr) {
    if (!CheckStructSize(o, "options", function)) return LUTRA_STATUS_INVALID_ARGUMENT;
    // Read as an integer: an out-of-range value in the C++ enum type is undefined behaviour.
    static_assert(sizeof(lutra_kv_type) == sizeof(int), "C enums are int-sized on our targets");
    int kv_type;
    std::memcpy(&kv_type, &o->kv_type, sizeof kv_type);
    using lutra::engine::attention::KvType;
    switch (kv_type) {
      case LUTRA_KV_DEFAULT:
        break;
      case LUTRA_KV_F16:
        so.kv_type = KvType::kF16;
        break;
      case LUTRA_KV_F32:
        so.kv_type = KvType::kF32;
        break;
      case LUTRA_KV_BF16:
        so.kv_type = KvType::kBf16;
        break;
      default:
        return Fail(LUTRA_STATUS_INVALID_ARGUMENT, fn + ": unknown kv_type " +
                                                       std::to_string(kv_type) +
                                                       " (LUTRA_KV_DEFAULT, _F16, _F32 or _BF16)");
    }
    so.threads = o->threads;
    so.context_length = o->context_length;
    so.batch = o->batch;
  }
  auto session = lutra::engine::models::Session::Create(*model->model, so);
  if (!session.ok()) {
    const lutra_status status = StatusOf(session.code());
    // lutra_session_create's messages are the engine's own, as they always were.
    const bool plain = fn == "lutra_session_create";
    return Fail(status, plain ? session.error() : fn + ": " + session.error());
  }
  auto s = std::make_unique<lutra_session>();
  s->model = model;
  s->session = std::move(*session);
  *out = s.release();
  ClearError();
  return LUTRA_STATUS_OK;
}

}  // namespace lutra::api

extern "C" {

void lutra_session_options_init(lutra_session_options* o) {
  if (o == nullptr) return;
  *o = lutra_session_options{};
  o->struct_size = sizeof *o;
  o->kv_type = LUTRA_KV_DEFAULT;
}

lutra_status lutra_session_create_with_options(const lutra_model* model,
                                               const lutra_session_options* options,
                                               lutra_session** out) {
  return lutra::api::GuardModel(model, "lutra_session_create_with_options", [&] {
    return lutra::api::CreateSession(model, options, out, "lutra_session_create_with_options");
  });
}

lutra_status lutra_session_create(const lutra_model* model, lutra_session** out) {
  return lutra::api::GuardModel(model, "lutra_session_create", [&] {
    return lutra::api::CreateSession(model, nullptr, out, "lutra_session_create");
  });
}

void lutra_session_free(lutra_session* session) {
  delete session;
}

lutra_status lutra_session_reset(lutra_session* s) {
  if (s == nullptr) return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_session_reset: NULL");
  return lutra::api::GuardSession(s, "lutra_session_reset", [&] {
    s->session->Reset();
    s->sampler.reset();
    s->last_error.clear();
    lutra::api::ClearError();
    return LUTRA_STATUS_OK;
  });
}

size_t lutra_session_position(const lutra_session* s) {
  return s != nullptr ? s->session->position() : 0;
}

const char* lutra_session_last_error(const lutra_session* s) {
  return s != nullptr ? s->last_error.c_str() : "lutra_session_last_error: session is NULL";
}

lutra_status lutra_session_prefill(lutra_session* s, const int32_t* tokens, size_t count,
                                   const float** logits, size_t* n_vocab) {
  return lutra::api::Append(s, tokens, count, logits, n_vocab, "lutra_session_prefill");
}

lutra_status lutra_session_decode(lutra_session* s, int32_t token, const float** logits,
                                  size_t* n_vocab) {
  return lutra::api::Append(s, &token, 1, logits, n_vocab, "lutra_session_decode");
}

lutra_status lutra_session_evaluate(lutra_session* s, const int32_t* tokens, size_t count,
                                    float* logits, size_t capacity) {
  if (s == nullptr) return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_session_evaluate: NULL");
  return lutra::api::GuardSession(s, "lutra_session_evaluate", [&] {
    if (tokens == nullptr && count > 0) {
      return FailSession(s, LUTRA_STATUS_INVALID_ARGUMENT,
                         "lutra_session_evaluate: tokens is NULL");
    }
    const size_t vocab = s->model->model->hparams().n_vocab;
    if (logits == nullptr || capacity / vocab < count) {
      return FailSession(s, LUTRA_STATUS_BUFFER_TOO_SMALL,
                         "lutra_session_evaluate: logits needs room for " + std::to_string(count) +
                             " x " + std::to_string(vocab) + " floats");
    }
    if (count == 0) return LUTRA_STATUS_OK;
    auto st = s->session->Evaluate(std::span<const int32_t>(tokens, count),
                                   std::span<float>(logits, count * vocab));
    if (!st.ok())
      return FailSession(s, lutra::api::StatusOf(st.code()),
                         "lutra_session_evaluate: " + st.error());
    lutra::api::ClearError();
    return LUTRA_STATUS_OK;
  });
}

void lutra_sampler_options_init(lutra_sampler_options* o) {
  if (o == nullptr) return;
  const lutra::engine::sampler::SamplerParams p;
  *o = lutra_sampler_options{};
  o->struct_size = sizeof *o;
  o->temperature = p.temperature;
  o->top_k = uint32_t(p.top_k);
  o->top_p = p.top_p;
  o->min_p = p.min_p;
  o->repeat_penalty = p.repetition_penalty;
  o->presence_penalty = p.presence_penalty;
  o->frequency_penalty = p.frequency_penalty;
  o->repeat_last_n = uint32_t(p.penalty_window);
  o->seed = p.seed;
}

lutra_status lutra_session_sample(lutra_session* s, const lutra_sampler_options* o,
                                  int32_t* token) {
  if (s == nullptr) return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_session_sample: NULL");
  return lutra::api::GuardSession(s, "lutra_session_sample", [&] {
    if (o == nullptr || token == nullptr) {
      return FailSession(s, LUTRA_STATUS_INVALID_ARGUMENT,
                         "lutra_session_sample: options or token is NULL");
    }
    if (!lutra::api::CheckStructSize(o, "options", "lutra_session_sample")) {
      s->last_error = lutra_last_error();
      return LUTRA_STATUS_INVALID_ARGUMENT;
    }
    if (!s->session->has_logits()) {
      return FailSession(s, LUTRA_STATUS_INVALID_ARGUMENT,
                         "lutra_session_sample: no logits yet (prefill or decode first)");
    }
    const auto params = lutra::api::ToSamplerParams(*o);
    const size_t vocab = s->model->model->hparams().n_vocab;
    if (!s->sampler || !SameParams(params, s->sampler_params)) {
      auto sampler = std::make_unique<lutra::engine::sampler::Sampler>();
      if (lutra::Status e = lutra::engine::sampler::Sampler::Create(
              params, vocab, s->model->model->kernels(), sampler.get());
          !e.ok()) {
        return FailSession(s, lutra::api::StatusOf(e.code()), "lutra_session_sample: " + e.error());
      }
      s->sampler = std::move(sampler);
      s->sampler_params = params;
    }
    s->work.assign(s->session->logits().begin(), s->session->logits().end());
    if (lutra::Status e = s->sampler->Sample(s->work, s->session->history(), token); !e.ok()) {
      return FailSession(s, lutra::api::StatusOf(e.code()), "lutra_session_sample: " + e.error());
    }
    lutra::api::ClearError();
    return LUTRA_STATUS_OK;
  });
}

}  // extern "C"
