// Hyperparameters of a llama-family decoder, read from the GGUF metadata under the
// architecture's prefix ("llama.embedding_length", ...). Nothing model-specific is hard-coded:
// a missing required key, a value out of range, or a key whose meaning the runtime does not
// implement (MoE experts, LayerNorm instead of RMSNorm, unsupported rope scaling) is an error
// naming the key.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "engine/src/common/status.h"
#include "engine/src/gguf/reader.h"

namespace lutra::engine::models {

struct HParams {
  std::string arch;  // general.architecture
  size_t n_ctx_train = 0;
  size_t n_embd = 0;
  size_t n_layer = 0;
  size_t n_ff = 0;
  size_t n_head = 0;
  size_t n_head_kv = 0;
  size_t head_dim = 0;  // attention.key_length, default n_embd / n_head
  size_t n_vocab = 0;   // rows of token_embd
  float rms_eps = 0.0f;
  size_t n_rot = 0;
  double rope_base = 10000.0;
  double rope_position_scale = 1.0;  // 1 / rope.scaling.factor for linear scaling
  // rope.scaling.original_context_length (default n_ctx_train): the context LongRoPE's short
  // factors were trained for; rope.scaling.attn_factor multiplies the rotated dims of q and k
  // (LongRoPE families only; ReadHParams refuses a factor other than 1 for the others).
  size_t n_ctx_orig = 0;
  double rope_attn_factor = 1.0;
  bool tied_embeddings = false;  // no output.weight: logits use token_embd
  // Sliding-window attention (Gemma 2/3, Phi-3): the window, and per layer whether it slides
  // (empty: no layer does). Sliding layers have their own rope base and position scale (Phi-3:
  // the global ones).
  size_t sliding_window = 0;
  std::vector<bool> sliding_layers;
  double rope_base_swa = 10000.0;
  double rope_position_scale_swa = 1.0;
  float attn_scale = 0.0f;     // multiplies q·k; 0: 1/√head_dim
  float attn_softcap = 0.0f;   // attention score soft-cap; 0: none
  float final_softcap = 0.0f;  // logit soft-cap; 0: none
};

// Keys the calling family's builder reads itself, which ReadHParams otherwise refuses as
// changing the computation.
struct FamilyKeys {
  bool sliding_window = false;    // attention.sliding_window
  bool swa_rope_base = false;     // rope.freq_base_swa
  bool softcapping = false;       // attn_logit_softcapping, final_logit_softcapping
  bool rope_attn_factor = false;  // rope.scaling.attn_factor other than 1
};

// Reads the keys of `arch` ("llama", and the same key set for the llama-like families).
// n_vocab and tied_embeddings come from the tensor table.
Expected<HParams> ReadHParams(const gguf::File& file, const std::string& arch,
                              const FamilyKeys& family = {});

// A finite non-negative number under `key`, or `fallback` when the file has no such key.
Expected<double> ReadOptionalReal(const gguf::File& file, const std::string& key, double fallback);

}  // namespace lutra::engine::models
