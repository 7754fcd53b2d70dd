// lutra_generate: options and statuses around the engine's generation loop (model/generate.h).
#include <span>
#include <string>
#include <string_view>

#include "engine/src/api/handles.h"
#include "engine/src/api/session_checks.h"
#include "engine/src/models/generate.h"

namespace {

using lutra::api::Fail;
using lutra::api::FailSession;

lutra_stop_reason ToC(lutra::engine::models::StopReason r) {
  using lutra::engine::models::StopReason;
  switch (r) {
    case StopReason::kEndOfGeneration:
      return LUTRA_STOP_EOS;
    case StopReason::kCallback:
      return LUTRA_STOP_CALLBACK;
    case StopReason::kContextFull:
      return LUTRA_STOP_CONTEXT_FULL;
    case StopReason::kMaxTokens:
      break;
  }
  return LUTRA_STOP_MAX_TOKENS;
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
  if (prompt == nullptr && prompt_count > 0) {
    return FailSession(s, LUTRA_STATUS_INVALID_ARGUMENT, "lutra_generate: tokens is NULL");
  }
  lutra::engine::models::GenerateOptions go;
  go.max_tokens = o->max_tokens;
  go.stop_at_eos = o->stop_at_eos != 0;
  go.sampler = lutra::api::ToSamplerParams(o->sampler);
  lutra::engine::models::TextCallback on_text;
  if (callback != nullptr) {
    on_text = [&](std::string_view text) {
      return callback(text.data(), text.size(), user_data) != 0;
    };
  }
  lutra::engine::models::GenerateResult r;
  const lutra::Status st = lutra::engine::models::Generate(
      *s->session, std::span<const int32_t>(prompt, prompt_count), go, on_text, &r);
  // Stats are written once the loop has started (as far as it got), not for a refused call.
  if (stats != nullptr && r.started) {
    lutra_generate_stats out{};
    out.struct_size = sizeof out;
    out.prompt_tokens = uint32_t(r.prompt_tokens);
    out.generated_tokens = uint32_t(r.generated_tokens);
    out.prefill_seconds = r.prefill_seconds;
    out.decode_seconds = r.decode_seconds;
    out.stop_reason = ToC(r.stop_reason);
    *stats = out;
  }
  if (!st.ok()) {
    return FailSession(s, lutra::api::StatusOf(st.code()), "lutra_generate: " + st.error());
  }
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
