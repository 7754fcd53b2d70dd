// Qwen families on the shared pre-norm decoder (GGUF as llama.cpp writes it, keys under
// "qwen2." / "qwen3."): both keep Hugging Face's q/k row order, hence the NEOX rope pairing.
//   qwen2: biases on attn_q/attn_k/attn_v (picked up when present), tied or separate output.
//   qwen3: no QKV biases; RMSNorm over each head of q and k (attn_q_norm/attn_k_norm, head_dim
//          weights) before the rope; head_dim from attention.key_length (may differ from
//          embedding_length / head_count).
#pragma once

#include "engine/src/models/registry.h"

namespace lutra::engine::models {

Expected<models::HParams> BuildQwen2(const gguf::File& file, models::WeightStore& weights,
                                     graph::Graph* graph);
Expected<models::HParams> BuildQwen3(const gguf::File& file, models::WeightStore& weights,
                                     graph::Graph* graph);

}  // namespace lutra::engine::models
