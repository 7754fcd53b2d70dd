// Phi-3, Phi-3.5 and Phi-4-mini (GGUF architecture "phi3") on the shared pre-norm decoder, as
// llama.cpp reads their files (keys under "phi3."):
//   - blk.N.attn_qkv holds Q, K and V stacked by rows (n_embd + 2·n_embd_kv rows, Q first);
//     without it the file may have separate attn_q / attn_k / attn_v, as llama.cpp accepts;
//   - blk.N.ffn_up holds 2·n_ff rows, the gate's first: SwiGLU silu(gate)·up (Hugging Face's
//     gate_up_proj, chunked in two); there is no ffn_gate;
//   - RMSNorm, NEOX rope pairing (Hugging Face's row order), scores scaled by 1/√head_dim;
//   - partial rotary (Phi-4-mini: rope.dimension_count 96 of 128): the dims from n_rot on are
//     not rotated;
//   - LongRoPE (128k models): rope_factors_long / rope_factors_short divide θ_j, the long set
//     when the session's context exceeds rope.scaling.original_context_length (default: the
//     training context), the short set otherwise; rope.scaling.attn_factor (default 1: the
//     converter writes √(1 + ln(s)/ln(orig)) for s = context / orig; llama.cpp derives nothing
//     when the key is absent) multiplies cos and sin;
//   - attention.sliding_window W > 0: every layer sees its last W positions (llama.cpp before
//     its KV-cache rework; Hugging Face's Phi-3 masks the same). 0: none. Without the key, the
//     defaults llama.cpp gave files converted before the key existed: 2047 for 32- and 40-layer
//     models with a 4096 context (Phi-3-mini/medium-4k), 262144 for 32 layers with 32 KV heads
//     and 131072 context (Phi-3-mini-128k), 131072 for 40 layers and 131072 (medium-128k);
//     other files none;
//   - the output reuses token_embd when the file has no output.weight (Phi-4-mini).
#pragma once

#include "engine/src/models/registry.h"

namespace lutra::engine::models {

Expected<models::HParams> BuildPhi3(const gguf::File& file, models::WeightStore& weights,
                                    graph::Graph* graph);

}  // namespace lutra::engine::models
