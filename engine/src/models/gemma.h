// Gemma 2 and Gemma 3 (text) on the shared pre-norm decoder, as llama.cpp reads their GGUF files
// (keys under "gemma2." / "gemma3."):
//   - the embedding rows are multiplied by √n_embd;
//   - every RMSNorm multiplies by the stored weight: Gemma's norms compute x̂·(1 + w), and
//     llama.cpp's converter stores 1 + w (convert_hf_to_gguf.py adds 1 to every *norm.weight);
//   - blk.N.post_attention_norm and blk.N.post_ffw_norm normalise the attention and FFN outputs
//     before their residual adds (blk.N.ffn_norm is the pre-FFN norm);
//   - GeGLU FFN: gelu_tanh(ffn_gate(h)) ∘ ffn_up(h);
//   - NEOX rope pairing (Hugging Face's row order);
//   - scores q·k scaled by 1/√head_dim, or 1/√(n_embd / n_head) for the 27B models (llama.cpp
//     takes Gemma's query_pre_attn_scalar from the model size: 46 layers for Gemma 2 27B, 62
//     for Gemma 3 27B, as the files carry no key for it);
//   - interleaved sliding-window layers (attention.sliding_window = W: a query sees its last W
//     positions): Gemma 2 every even layer (W defaults to 4096 without the key), Gemma 3 five of
//     every six (layer l slides unless l % 6 = 5; no key or 0: no sliding layers);
//   - Gemma 3: per-head RMSNorm of q and k (attn_q_norm/attn_k_norm) before the rope; sliding
//     layers rotate with base 10000 and no scaling (rope.freq_base and rope.scaling.* are the
//     global layers'); rope.freq_base_swa, when present, sets the sliding layers' base (both
//     families);
//   - soft-capping, c·tanh(x/c): attn_logit_softcapping on the scores and
//     final_logit_softcapping on the logits; Gemma 2 defaults to 50 and 30 without the keys,
//     Gemma 3 to none; 0 turns one off;
//   - the output reuses token_embd when the file has no output.weight.
#pragma once

#include "engine/src/models/registry.h"

namespace lutra::engine::models {

Expected<models::HParams> BuildGemma2(const gguf::File& file, models::WeightStore& weights,
                                      graph::Graph* graph);
Expected<models::HParams> BuildGemma3(const gguf::File& file, models::WeightStore& weights,
                                      graph::Graph* graph);

}  // namespace lutra::engine::models
