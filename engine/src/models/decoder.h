// The pre-norm decoder stack shared by the llama-like families: per layer
//   x += attn_output(attention(rope(q), rope(k), v))  on rmsnorm(x)
//   x += ffn_down(act(ffn_gate(h)) ∘ ffn_up(h))       with h = rmsnorm(x)
// then output(rmsnorm(x)) on the last (or every) row. The options switch on the pieces other
// families add (qwen2's QKV biases are picked up whenever the file has them; qwen3's per-head
// Q/K norms; bitnet's sub-layer norms, per-tensor weight scales, int8 activations and squared
// ReLU; the NEOX rope pairing; Gemma's scaled embedding, post-norms and GeGLU; Phi-3's fused
// QKV and gate/up matrices, each one product sliced into its parts, and LongRoPE's factor
// pair), so their builders stay a few lines. The hyperparameters bring the rest: sliding-window
// layers with their own rope, the attention score scale and soft-caps.
#pragma once

#include <string>

#include "engine/src/gguf/reader.h"
#include "engine/src/graph/graph.h"
#include "engine/src/models/hparams.h"
#include "engine/src/models/weights.h"

namespace lutra::engine::models {

struct DecoderOptions {
  bool qk_norm = false;    // blk.N.attn_q_norm / attn_k_norm over each head (head_dim)
  bool sub_norms = false;  // blk.N.attn_sub_norm before attn_output, ffn_sub_norm before ffn_down
  graph::Activation act = graph::Activation::kSilu;
  bool rope_neox = false;  // rope pairs (j, j + n_rot/2): see RopeSpec
  // BitLinear layers: optional one-element tensors blk.N.<matrix>.scale multiply the
  // matrix's output, and the layer matrices see int8 per-token absmax activations (the
  // int8-exact LUT path does this itself; other weight types get a QuantizeInt8 node).
  bool bitlinear = false;
  // Gemma: the embedding rows are multiplied by embed_scale; blk.N.post_attention_norm and
  // blk.N.post_ffw_norm normalise the attention and FFN outputs before their residual adds.
  float embed_scale = 1.0f;
  bool post_norms = false;
  // Phi-3: blk.N.attn_qkv (Q, K and V rows stacked, in that order) stands for attn_q/k/v when
  // the file has it; blk.N.ffn_up holds the gate's n_ff rows then the up projection's (no
  // ffn_gate); LongRoPE's rope_factors_long / rope_factors_short replace rope_freqs, chosen by
  // the session's context against hp.n_ctx_orig, with hp.rope_attn_factor.
  bool fused_qkv = false;
  bool fused_gate_up = false;
  bool long_rope = false;
};

// Fills hp.n_vocab / hp.tied_embeddings from the tensors and emits the whole graph.
Status BuildDecoder(const gguf::File& file, const DecoderOptions& options, models::HParams* hp,
                    models::WeightStore& weights, graph::Graph* graph);

}  // namespace lutra::engine::models
