// Small random llama-architecture GGUF files for the model tests (F32 or F16 weights), with
// switches for the variants the builder must handle: GQA, tied output, partial rotary dims,
// rope base and linear scaling, rope frequency factors and attention biases.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "engine/src/gguf/writer.h"
#include "tests/testing/rng.h"

namespace lutra::testing {

struct SynthLlama {
  size_t dim = 64, layers = 2, heads = 4, kv_heads = 2, ff = 96, vocab = 120, ctx = 256;
  size_t n_rot = 0;  // 0: head_dim
  bool tied = false, f16 = false, biases = false, freq_factors = false;
  double rope_base = 10000.0, linear_factor = 0.0;  // 0: no scaling key
  uint64_t seed = 1;
  // For error tests: metadata keys / tensors left out, and a hook adding more.
  std::string arch = "llama";
  std::set<std::string> omit;
  std::function<void(gguf::Writer&)> extra;
};

inline uint16_t FloatToHalf(float f) {  // round to nearest even; test values stay normal
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000;
  const int e = int((x >> 23) & 255) - 127 + 15;
  uint32_t m = x & 0x7fffff;
  if (e <= 0) return uint16_t(sign);  // flush tiny values (not produced here)
  uint32_t h = (uint32_t(e) << 10) | (m >> 13);
  const uint32_t rest = m & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;
  return uint16_t(sign | h);
}

inline Status WriteSynthLlama(const SynthLlama& c, const std::string& path) {
  Rng rng(c.seed);
  gguf::Writer w;
  const size_t hd = c.dim / c.heads;
  w.set_string("general.architecture", c.arch);
  auto u32 = [&](const std::string& k, size_t v) {
    if (!c.omit.count(k)) w.set_u32(k, uint32_t(v));
  };
  u32("llama.context_length", c.ctx);
  u32("llama.embedding_length", c.dim);
  u32("llama.block_count", c.layers);
  u32("llama.feed_forward_length", c.ff);
  u32("llama.attention.head_count", c.heads);
  u32("llama.attention.head_count_kv", c.kv_heads);
  if (!c.omit.count("llama.attention.layer_norm_rms_epsilon")) {
    w.set_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  }
  if (c.n_rot) u32("llama.rope.dimension_count", c.n_rot);
  w.set_f32("llama.rope.freq_base", float(c.rope_base));
  if (c.linear_factor > 0) {
    w.set_string("llama.rope.scaling.type", "linear");
    w.set_f32("llama.rope.scaling.factor", float(c.linear_factor));
  }
  Status st;
  // Weights ~ U(±1/√cols) keep activations O(1) through the layers; norms near 1.
  auto add = [&](const std::string& name, size_t cols, size_t rows, float scale, float offset) {
    if (c.omit.count(name)) return;
    std::vector<float> v(cols * rows);
    for (float& x : v) x = offset + rng.Uniform(-scale, scale);
    const bool half = c.f16 && rows > 1;
    std::vector<uint64_t> shape =
        rows > 1 ? std::vector<uint64_t>{cols, rows} : std::vector<uint64_t>{cols};
    Status s;
    if (half) {
      std::vector<uint16_t> h(v.size());
      for (size_t i = 0; i < v.size(); ++i) h[i] = FloatToHalf(v[i]);
      s = w.add_tensor(name, gguf::TensorType::F16, shape, h.data(), h.size() * 2);
    } else {
      s = w.add_tensor(name, gguf::TensorType::F32, shape, v.data(), v.size() * 4);
    }
    if (!s.ok() && st.ok()) st = s;
  };
  const float r = 1.0f / std::sqrt(float(c.dim));
  add("token_embd.weight", c.dim, c.vocab, 1.0f, 0.0f);
  add("output_norm.weight", c.dim, 1, 0.2f, 1.0f);
  if (!c.tied) add("output.weight", c.dim, c.vocab, r, 0.0f);
  if (c.freq_factors) add("rope_freqs.weight", (c.n_rot ? c.n_rot : hd) / 2, 1, 0.5f, 1.5f);
  for (size_t l = 0; l < c.layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    add(b + "attn_norm.weight", c.dim, 1, 0.2f, 1.0f);
    add(b + "attn_q.weight", c.dim, c.heads * hd, 2 * r, 0.0f);
    add(b + "attn_k.weight", c.dim, c.kv_heads * hd, 2 * r, 0.0f);
    add(b + "attn_v.weight", c.dim, c.kv_heads * hd, r, 0.0f);
    add(b + "attn_output.weight", c.heads * hd, c.dim, r, 0.0f);
    if (c.biases) {
      add(b + "attn_q.bias", c.heads * hd, 1, 0.3f, 0.0f);
      add(b + "attn_k.bias", c.kv_heads * hd, 1, 0.3f, 0.0f);
      add(b + "attn_v.bias", c.kv_heads * hd, 1, 0.3f, 0.0f);
    }
    add(b + "ffn_norm.weight", c.dim, 1, 0.2f, 1.0f);
    add(b + "ffn_gate.weight", c.dim, c.ff, r, 0.0f);
    add(b + "ffn_up.weight", c.dim, c.ff, r, 0.0f);
    add(b + "ffn_down.weight", c.ff, c.dim, 1.0f / std::sqrt(float(c.ff)), 0.0f);
  }
  if (c.extra) c.extra(w);
  if (!st.ok()) return st;
  return w.write(path);
}

}  // namespace lutra::testing
