// The generation loop: prefill a prompt, then sample, append and stream tokens until a stop
// rule holds. lutra_generate runs it (and through it lutra.hpp's Session::Generate and the
// tools); it is the only one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "engine/src/common/status.h"
#include "engine/src/models/model.h"
#include "engine/src/sampler/sampler.h"

namespace lutra::engine::models {

struct GenerateOptions {
  size_t max_tokens = 128;
  // The tokenizer's end-of-generation tokens (Tokenizer::end_of_generation: EOS, EOT and the
  // end-of-turn markers) stop; the stop token is neither appended nor streamed.
  bool stop_at_eos = true;
  sampler::SamplerParams sampler;
};

enum class StopReason { kMaxTokens, kEndOfGeneration, kCallback, kContextFull };

struct GenerateResult {
  size_t prompt_tokens = 0;     // prefilled by this call
  size_t generated_tokens = 0;  // sampled and appended (the stop token excluded)
  double prefill_seconds = 0.0, decode_seconds = 0.0;
  StopReason stop_reason = StopReason::kMaxTokens;
  bool started = false;  // the prompt was appended and sampling began
};

// Receives text in pieces that never split a UTF-8 character; returns true to stop.
using TextCallback = std::function<bool(std::string_view)>;

// Appends `prompt` (may be empty when the session has logits to continue from), then up to
// max_tokens times: samples a token from the last logits (penalties over the history); stops
// on an end-of-generation token (stop_at_eos); stops when the context is full; appends the
// token and streams its bytes through `on_text` (may be empty), whose true return stops. The
// bytes still buffered at the end (an incomplete UTF-8 character) are streamed too, unless
// the callback stopped; if that last call returns true the reason becomes kCallback. Every
// generated token is in the session's history and KV cache, so a follow-up call continues.
//
// Error codes: no tokenizer kUnsupported; an empty prompt with nothing to continue from or bad
// sampler parameters kInvalidArgument; the prompt's ids or size as CheckTokens says (nothing
// appended); a failed run or sampling kInternal. *result tells how far the call got.
Status Generate(Session& session, std::span<const int32_t> prompt, const GenerateOptions& o,
                const TextCallback& on_text, GenerateResult* result);

}  // namespace lutra::engine::models
