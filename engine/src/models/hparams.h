// Hyperparameters of a llama-family decoder, read from the GGUF metadata under the
// architecture's prefix ("llama.embedding_length", ...). Nothing model-specific is hard-coded:
// a missing required key, a value out of range, or a key whose meaning the runtime does not
// implement (MoE experts, LayerNorm instead of RMSNorm, unsupported rope scaling) is an error
// naming the key.
#pragma once

#include <cstddef>
#include <string>

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
  bool tied_embeddings = false;      // no output.weight: logits use token_embd
};

// Reads the keys of `arch` ("llama", and the same key set for the llama-like families).
// n_vocab and tied_embeddings come from the tensor table.
Expected<HParams> ReadHParams(const gguf::File& file, const std::string& arch);

}  // namespace lutra::engine::models
