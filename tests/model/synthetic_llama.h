// Small random GGUF files of the llama-like families for the model tests (F32, F16, Q4_0 or
// ternary TQ1_0/TQ2_0/I2_S weights), with switches for the variants the builders must handle: GQA,
// tied output, partial rotary dims, rope base and linear scaling, rope frequency factors,
// attention biases (llama/qwen2), a head size apart from dim/heads and per-head Q/K norms
// (qwen3), sub-layer norms and per-tensor weight scales (bitnet), post-norms, sliding windows,
// soft-caps and a sliding-layer rope base (gemma2/gemma3), fused QKV and gate/up matrices and
// LongRoPE factors with their keys (phi3). Keys are written under the `arch` prefix
// ("qwen2.embedding_length", ...), tensors under llama.cpp's names.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "engine/src/gguf/writer.h"
#include "tests/model/quant_blocks.h"
#include "tests/testing/rng.h"

namespace lutra::testing {

struct SynthLlama {
  size_t dim = 64, layers = 2, heads = 4, kv_heads = 2, ff = 96, vocab = 120, ctx = 256;
  size_t n_rot = 0;     // 0: head_dim
  size_t head_dim = 0;  // 0: dim / heads (no key_length key); else written as key/value_length
  bool tied = false, biases = false, freq_factors = false;
  bool qk_norm = false;     // blk.N.attn_q_norm / attn_k_norm (head_dim weights)
  bool sub_norms = false;   // blk.N.attn_sub_norm (heads·head_dim) / ffn_sub_norm (ff)
  bool scales = false;      // blk.N.<matrix>.scale: one F32 element per layer matrix
  bool post_norms = false;  // blk.N.post_attention_norm / post_ffw_norm (dim weights)
  // Gemma keys, written when ≥ 0: attention.sliding_window, attn_logit_softcapping,
  // final_logit_softcapping, rope.freq_base_swa.
  double window = -1, attn_softcap = -1, final_softcap = -1, rope_base_swa = -1;
  float embd_range = 1.0f;  // token_embd ~ U(±embd_range)
  // phi3: attn_qkv (unless split_qkv: separate attn_q/k/v, which llama.cpp also reads) and
  // ffn_up with 2·ff rows (gate first); long_rope writes rope_factors_long / _short (n_rot/2
  // each, long ones in [1, 8], short ones in [1, 2]); the keys rope.scaling.attn_factor and
  // rope.scaling.original_context_length are written when > 0.
  bool split_qkv = false, long_rope = false;
  double attn_factor = 0.0;
  size_t orig_ctx = 0;
  // Type of the 2-D weights; rows that are not whole blocks of the type fall back to F16. The
  // embedding table stays F16 for the low-bit types; the output matrix is Q4_0 for Q4_0 files
  // (as llama.cpp's low-bit files keep it at higher precision) and F16 for ternary ones (as
  // BitNet files do: the head is not a BitLinear).
  gguf::TensorType wtype = gguf::TensorType::F32;
  double rope_base = 10000.0, linear_factor = 0.0;  // 0: no scaling key
  uint64_t seed = 1;
  // For error tests: metadata keys / tensors left out, and a hook adding more.
  std::string arch = "llama";
  std::set<std::string> omit;
  std::function<void(gguf::Writer&)> extra;
};

inline Status WriteSynthLlama(const SynthLlama& c, const std::string& path) {
  Rng rng(c.seed);
  gguf::Writer w;
  const size_t hd = c.head_dim ? c.head_dim : c.dim / c.heads;
  const std::string p = c.arch + ".";
  w.set_string("general.architecture", c.arch);
  auto u32 = [&](const std::string& k, size_t v) {
    if (!c.omit.count(p + k)) w.set_u32(p + k, uint32_t(v));
  };
  u32("context_length", c.ctx);
  u32("embedding_length", c.dim);
  u32("block_count", c.layers);
  u32("feed_forward_length", c.ff);
  u32("attention.head_count", c.heads);
  u32("attention.head_count_kv", c.kv_heads);
  if (c.head_dim) {
    u32("attention.key_length", c.head_dim);
    u32("attention.value_length", c.head_dim);
  }
  if (!c.omit.count(p + "attention.layer_norm_rms_epsilon")) {
    w.set_f32(p + "attention.layer_norm_rms_epsilon", 1e-5f);
  }
  if (c.n_rot) u32("rope.dimension_count", c.n_rot);
  w.set_f32(p + "rope.freq_base", float(c.rope_base));
  if (c.linear_factor > 0) {
    w.set_string(p + "rope.scaling.type", "linear");
    w.set_f32(p + "rope.scaling.factor", float(c.linear_factor));
  }
  if (c.window >= 0) u32("attention.sliding_window", size_t(c.window));
  if (c.attn_softcap >= 0) w.set_f32(p + "attn_logit_softcapping", float(c.attn_softcap));
  if (c.final_softcap >= 0) w.set_f32(p + "final_logit_softcapping", float(c.final_softcap));
  if (c.rope_base_swa >= 0) w.set_f32(p + "rope.freq_base_swa", float(c.rope_base_swa));
  if (c.attn_factor > 0) w.set_f32(p + "rope.scaling.attn_factor", float(c.attn_factor));
  if (c.orig_ctx > 0) u32("rope.scaling.original_context_length", c.orig_ctx);
  const bool phi3 = c.arch == "phi3";
  Status st;
  // Weights ~ U(±1/√cols) keep activations O(1) through the layers; norms near 1.
  auto add = [&](const std::string& name, size_t cols, size_t rows, float scale, float offset) {
    if (c.omit.count(name)) return;
    std::vector<float> v(cols * rows);
    for (float& x : v) x = offset + rng.Uniform(-scale, scale);
    std::vector<uint64_t> shape =
        rows > 1 ? std::vector<uint64_t>{cols, rows} : std::vector<uint64_t>{cols};
    using T = gguf::TensorType;
    T type = rows > 1 ? c.wtype : T::F32;
    const bool ternary = type == T::TQ1_0 || type == T::TQ2_0 || type == T::I2_S;
    const bool low_bit = type == T::Q4_0 || ternary;
    if (low_bit && name == "token_embd.weight") type = T::F16;
    if (low_bit && name == "output.weight") type = ternary ? T::F16 : T::Q4_0;
    if ((type == T::Q4_0 && cols % 32 != 0) ||
        ((type == T::TQ1_0 || type == T::TQ2_0) && cols % 256 != 0) ||
        (type == T::I2_S && cols % 128 != 0))
      type = T::F16;
    Status s;
    if (type == T::Q4_0 || type == T::TQ1_0 || type == T::TQ2_0 || type == T::I2_S) {
      const std::vector<uint8_t> q = type == T::Q4_0    ? EncodeQ4_0(v)
                                     : type == T::TQ1_0 ? EncodeTQ1_0(v)
                                     : type == T::I2_S  ? EncodeI2_S(v)
                                                        : EncodeTQ2_0(v);
      s = w.add_tensor(name, type, shape, q.data(), q.size());
    } else if (type == T::F16) {
      std::vector<uint16_t> h(v.size());
      for (size_t i = 0; i < v.size(); ++i) h[i] = FloatToHalf(v[i]);
      s = w.add_tensor(name, gguf::TensorType::F16, shape, h.data(), h.size() * 2);
    } else {
      s = w.add_tensor(name, gguf::TensorType::F32, shape, v.data(), v.size() * 4);
    }
    if (!s.ok() && st.ok()) st = s;
  };
  const float r = 1.0f / std::sqrt(float(c.dim));
  add("token_embd.weight", c.dim, c.vocab, c.embd_range, 0.0f);
  add("output_norm.weight", c.dim, 1, 0.2f, 1.0f);
  if (!c.tied) add("output.weight", c.dim, c.vocab, r, 0.0f);
  if (c.freq_factors) add("rope_freqs.weight", (c.n_rot ? c.n_rot : hd) / 2, 1, 0.5f, 1.5f);
  for (size_t l = 0; l < c.layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    add(b + "attn_norm.weight", c.dim, 1, 0.2f, 1.0f);
    if (phi3 && !c.split_qkv) {
      add(b + "attn_qkv.weight", c.dim, (c.heads + 2 * c.kv_heads) * hd, 2 * r, 0.0f);
    } else {
      add(b + "attn_q.weight", c.dim, c.heads * hd, 2 * r, 0.0f);
      add(b + "attn_k.weight", c.dim, c.kv_heads * hd, 2 * r, 0.0f);
      add(b + "attn_v.weight", c.dim, c.kv_heads * hd, r, 0.0f);
    }
    add(b + "attn_output.weight", c.heads * hd, c.dim, 1.0f / std::sqrt(float(c.heads * hd)), 0.0f);
    if (c.qk_norm) {
      add(b + "attn_q_norm.weight", hd, 1, 0.2f, 1.0f);
      add(b + "attn_k_norm.weight", hd, 1, 0.2f, 1.0f);
    }
    if (c.sub_norms) {
      add(b + "attn_sub_norm.weight", c.heads * hd, 1, 0.2f, 1.0f);
      add(b + "ffn_sub_norm.weight", c.ff, 1, 0.2f, 1.0f);
    }
    if (c.post_norms) {
      add(b + "post_attention_norm.weight", c.dim, 1, 0.2f, 1.0f);
      add(b + "post_ffw_norm.weight", c.dim, 1, 0.2f, 1.0f);
    }
    if (c.scales) {
      for (const char* m :
           {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"}) {
        add(b + m + ".scale", 1, 1, 0.5f, 1.0f);
      }
    }
    if (c.biases) {
      add(b + "attn_q.bias", c.heads * hd, 1, 0.3f, 0.0f);
      add(b + "attn_k.bias", c.kv_heads * hd, 1, 0.3f, 0.0f);
      add(b + "attn_v.bias", c.kv_heads * hd, 1, 0.3f, 0.0f);
    }
    add(b + "ffn_norm.weight", c.dim, 1, 0.2f, 1.0f);
    if (phi3) {
      add(b + "ffn_up.weight", c.dim, 2 * c.ff, r, 0.0f);
    } else {
      add(b + "ffn_gate.weight", c.dim, c.ff, r, 0.0f);
      add(b + "ffn_up.weight", c.dim, c.ff, r, 0.0f);
    }
    add(b + "ffn_down.weight", c.ff, c.dim, 1.0f / std::sqrt(float(c.ff)), 0.0f);
  }
  // After the layers: switching the factors (or n_rot) leaves every weight as it was.
  if (c.long_rope) {
    add("rope_factors_long.weight", (c.n_rot ? c.n_rot : hd) / 2, 1, 3.5f, 4.5f);
    add("rope_factors_short.weight", (c.n_rot ? c.n_rot : hd) / 2, 1, 0.5f, 1.5f);
  }
  if (c.extra) c.extra(w);
  if (!st.ok()) return st;
  return w.write(path);
}

}  // namespace lutra::testing
