#include "engine/src/models/decoder.h"

#include <cmath>

namespace lutra::engine::models {
namespace {

// Unwraps an Expected into *out, or records the error and returns false.
template <typename T>
bool Take(Expected<T> e, T* out, Status* status) {
  if (!e.ok()) {
    *status = e.failure();
    return false;
  }
  *out = *e;
  return true;
}

}  // namespace

Status BuildDecoder(const gguf::File& file, const DecoderOptions& o, models::HParams* hp,
                    models::WeightStore& w, graph::Graph* g) {
  Status st;
  const gguf::TensorInfo* embd = file.tensor("token_embd.weight");
  if (embd == nullptr) return InvalidModel("model: missing tensor token_embd.weight");
  if (embd->shape.size() != 2 || embd->shape[0] != hp->n_embd) {
    return InvalidModel("model: tensor token_embd.weight must have shape [" +
                        std::to_string(hp->n_embd) + ", n_vocab]");
  }
  hp->n_vocab = size_t(embd->shape[1]);
  const std::string vocab_key = hp->arch + ".vocab_size";
  if (file.has(vocab_key)) {
    auto v = file.get_count(vocab_key);
    if (!v.ok() || *v != hp->n_vocab) {
      return InvalidModel("model: " + vocab_key + " does not match token_embd.weight's " +
                          std::to_string(hp->n_vocab) + " rows");
    }
  }
  hp->tied_embeddings = !w.Has("output.weight");

  const size_t d = hp->n_embd, hd = hp->head_dim;
  const size_t qw = hp->n_head * hd, kvw = hp->n_head_kv * hd;
  auto sliding = [&](size_t l) {
    return hp->sliding_window != 0 && l < hp->sliding_layers.size() && hp->sliding_layers[l];
  };
  graph::AttentionDims dims{hp->n_layer, hp->n_head, hp->n_head_kv, hd};
  if (hp->sliding_window != 0) {
    for (size_t l = 0; l < hp->n_layer; ++l) {
      dims.window.push_back(sliding(l) ? hp->sliding_window : 0);
    }
  }
  g->SetAttention(dims);

  graph::RopeSpec rope;
  rope.n_rot = hp->n_rot;
  rope.base = hp->rope_base;
  rope.position_scale = hp->rope_position_scale;
  rope.neox = o.rope_neox;
  rope.attn_factor = hp->rope_attn_factor;
  // Per-frequency divisors of θ_j, n_rot/2 of them, each positive and finite.
  auto divisors = [&](const std::string& name, std::vector<float>* out) {
    if (!w.Has(name)) return true;
    const float* f = nullptr;
    if (!Take(w.Vector(name, hp->n_rot / 2), &f, &st)) return false;
    out->assign(f, f + hp->n_rot / 2);
    for (size_t j = 0; j < out->size(); ++j) {
      if (!((*out)[j] > 0.0f) || !std::isfinite((*out)[j])) {
        st = InvalidModel("model: " + name + "[" + std::to_string(j) +
                          "] = " + std::to_string((*out)[j]) + " is not a positive finite factor");
        return false;
      }
    }
    return true;
  };
  if (o.long_rope) {
    if (!divisors("rope_factors_short.weight", &rope.freq_factors) ||
        !divisors("rope_factors_long.weight", &rope.freq_factors_long)) {
      return st;
    }
    rope.long_above = hp->n_ctx_orig;
  } else if (!divisors("rope_freqs.weight", &rope.freq_factors)) {
    return st;
  }
  // Sliding layers may rotate with their own base and scale (Gemma 3: 10000, unscaled).
  graph::RopeSpec rope_swa = rope;
  rope_swa.base = hp->rope_base_swa;
  rope_swa.position_scale = hp->rope_position_scale_swa;
  const bool own_swa_rope =
      hp->sliding_window != 0 &&
      (rope_swa.base != rope.base || rope_swa.position_scale != rope.position_scale);
  const size_t rope_id = g->AddRope(std::move(rope));
  const size_t rope_swa_id = own_swa_rope ? g->AddRope(std::move(rope_swa)) : rope_id;

  const gguf::TensorInfo* table = nullptr;
  if (!Take(w.Table("token_embd.weight", d, hp->n_vocab), &table, &st)) return st;
  int x = g->Embed(table, d, o.embed_scale, "token_embd");

  // Optional tensors: present → must have the stated shape; absent → skipped.
  auto optional_vector = [&](const std::string& name, size_t n, const float** out) {
    *out = nullptr;
    return !w.Has(name) || Take(w.Vector(name, n), out, &st);
  };
  auto matrix = [&](const std::string& name, size_t cols, size_t rows, const linear::Linear** out) {
    return Take(w.Matrix(name, cols, rows), out, &st);
  };
  auto vector = [&](const std::string& name, size_t n, const float** out) {
    return Take(w.Vector(name, n), out, &st);
  };

  // BitLinear extras: the per-tensor scale (1 when the file has none) and the input the
  // matrix must see: `raw` itself when the matrix quantizes its activations (or the family
  // has none to quantize), else one QuantizeInt8 node shared by the matrices reading `raw`.
  auto weight_scale = [&](const std::string& weight, float* out) {
    *out = 1.0f;
    const std::string name = weight + ".scale";
    if (!o.bitlinear || !w.Has(name)) return true;
    const float* v = nullptr;
    if (!Take(w.Vector(name, 1), &v, &st)) return false;
    if (!(std::isfinite(v[0]) && v[0] != 0.0f)) {
      st = InvalidModel("model: " + name + " must be finite and non-zero");
      return false;
    }
    *out = v[0];
    return true;
  };
  auto input_for = [&](int raw, int* quantized, const linear::Linear* m, const std::string& label) {
    if (!o.bitlinear || m->Int8Activations()) return raw;
    if (*quantized < 0) *quantized = g->QuantizeInt8(raw, label);
    return *quantized;
  };

  for (size_t l = 0; l < hp->n_layer; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    const float *attn_norm = nullptr, *ffn_norm = nullptr;
    const float *bq = nullptr, *bk = nullptr, *bv = nullptr, *bo = nullptr;
    const float *q_norm = nullptr, *k_norm = nullptr, *attn_sub = nullptr, *ffn_sub = nullptr;
    const float *attn_post = nullptr, *ffn_post = nullptr;
    const linear::Linear *wq = nullptr, *wk = nullptr, *wv = nullptr, *wo = nullptr;
    const linear::Linear *wqkv = nullptr, *wg = nullptr, *wu = nullptr, *wd = nullptr;
    float sq = 1, sk = 1, sv = 1, so = 1, sg = 1, su = 1, sd = 1;
    // Fused projections (Phi-3) have no biases or per-tensor scales: such tensors stay unread
    // and the store reports them (CheckAllUsed).
    const bool fused_qkv = o.fused_qkv && w.Has(b + "attn_qkv.weight");
    auto qkv_weights = [&] {
      if (fused_qkv) return matrix(b + "attn_qkv.weight", d, qw + 2 * kvw, &wqkv);
      if (o.fused_qkv && !w.Has(b + "attn_q.weight")) {
        st = InvalidModel("model: missing tensor " + b + "attn_qkv.weight (or " + b +
                          "attn_q.weight, attn_k.weight and attn_v.weight)");
        return false;
      }
      return matrix(b + "attn_q.weight", d, qw, &wq) && matrix(b + "attn_k.weight", d, kvw, &wk) &&
             matrix(b + "attn_v.weight", d, kvw, &wv);
    };
    auto qkv_biases = [&] {
      return fused_qkv || (optional_vector(b + "attn_q.bias", qw, &bq) &&
                           optional_vector(b + "attn_k.bias", kvw, &bk) &&
                           optional_vector(b + "attn_v.bias", kvw, &bv));
    };
    auto qkv_scales = [&] {
      return fused_qkv || (weight_scale(b + "attn_q", &sq) && weight_scale(b + "attn_k", &sk) &&
                           weight_scale(b + "attn_v", &sv));
    };
    auto gate_up_weights = [&] {
      if (o.fused_gate_up) return matrix(b + "ffn_up.weight", d, 2 * hp->n_ff, &wu);
      return matrix(b + "ffn_gate.weight", d, hp->n_ff, &wg) &&
             matrix(b + "ffn_up.weight", d, hp->n_ff, &wu);
    };
    auto gate_up_scales = [&] {
      return o.fused_gate_up ||
             (weight_scale(b + "ffn_gate", &sg) && weight_scale(b + "ffn_up", &su));
    };
    if (!vector(b + "attn_norm.weight", d, &attn_norm) || !qkv_weights() ||
        !matrix(b + "attn_output.weight", qw, d, &wo) || !qkv_biases() ||
        !optional_vector(b + "attn_output.bias", d, &bo) ||
        !vector(b + "ffn_norm.weight", d, &ffn_norm) || !gate_up_weights() ||
        !matrix(b + "ffn_down.weight", hp->n_ff, d, &wd) || !qkv_scales() ||
        !weight_scale(b + "attn_output", &so) || !gate_up_scales() ||
        !weight_scale(b + "ffn_down", &sd)) {
      return st;
    }
    if (o.qk_norm && (!vector(b + "attn_q_norm.weight", hd, &q_norm) ||
                      !vector(b + "attn_k_norm.weight", hd, &k_norm))) {
      return st;
    }
    if (o.sub_norms && (!vector(b + "attn_sub_norm.weight", qw, &attn_sub) ||
                        !vector(b + "ffn_sub_norm.weight", hp->n_ff, &ffn_sub))) {
      return st;
    }
    if (o.post_norms && (!vector(b + "post_attention_norm.weight", d, &attn_post) ||
                         !vector(b + "post_ffw_norm.weight", d, &ffn_post))) {
      return st;
    }
    const float eps = hp->rms_eps;
    int h = g->RmsNorm(x, attn_norm, d, eps, b + "attn_norm");
    int hq = -1;
    int q = -1, k = -1, v = -1;
    if (fused_qkv) {
      // One product for the three projections, then their columns.
      const int qkv =
          g->Linear(input_for(h, &hq, wqkv, b + "attn_in_q8"), wqkv, nullptr, b + "attn_qkv");
      q = g->Slice(qkv, 0, qw, b + "attn_q");
      k = g->Slice(qkv, qw, kvw, b + "attn_k");
      v = g->Slice(qkv, qw + kvw, kvw, b + "attn_v");
    } else {
      q = g->Linear(input_for(h, &hq, wq, b + "attn_in_q8"), wq, bq, b + "attn_q", sq);
      k = g->Linear(input_for(h, &hq, wk, b + "attn_in_q8"), wk, bk, b + "attn_k", sk);
      v = g->Linear(input_for(h, &hq, wv, b + "attn_in_q8"), wv, bv, b + "attn_v", sv);
    }
    if (o.qk_norm) {
      q = g->RmsNorm(q, q_norm, hd, eps, b + "attn_q_norm");
      k = g->RmsNorm(k, k_norm, hd, eps, b + "attn_k_norm");
    }
    const size_t layer_rope = sliding(l) ? rope_swa_id : rope_id;
    q = g->Rope(q, hd, layer_rope, b + "rope_q");
    k = g->Rope(k, hd, layer_rope, b + "rope_k");
    int a = g->Attention(q, k, v, l, b + "attention", hp->attn_scale, hp->attn_softcap);
    if (o.sub_norms) a = g->RmsNorm(a, attn_sub, qw, eps, b + "attn_sub_norm");
    int aq = -1;
    a = input_for(a, &aq, wo, b + "attn_out_q8");
    a = g->Linear(a, wo, bo, b + "attn_output", so);
    if (o.post_norms) a = g->RmsNorm(a, attn_post, d, eps, b + "post_attention_norm");
    x = g->Add(x, a, b + "attn_residual");
    h = g->RmsNorm(x, ffn_norm, d, eps, b + "ffn_norm");
    hq = -1;
    int gate = -1, up = -1;
    if (o.fused_gate_up) {
      const int gu =
          g->Linear(input_for(h, &hq, wu, b + "ffn_in_q8"), wu, nullptr, b + "ffn_gate_up");
      gate = g->Slice(gu, 0, hp->n_ff, b + "ffn_gate");
      up = g->Slice(gu, hp->n_ff, hp->n_ff, b + "ffn_up");
    } else {
      gate = g->Linear(input_for(h, &hq, wg, b + "ffn_in_q8"), wg, nullptr, b + "ffn_gate", sg);
      up = g->Linear(input_for(h, &hq, wu, b + "ffn_in_q8"), wu, nullptr, b + "ffn_up", su);
    }
    int f = g->GatedAct(gate, up, o.act, b + "ffn_act");
    if (o.sub_norms) f = g->RmsNorm(f, ffn_sub, hp->n_ff, eps, b + "ffn_sub_norm");
    int fq = -1;
    f = input_for(f, &fq, wd, b + "ffn_down_q8");
    f = g->Linear(f, wd, nullptr, b + "ffn_down", sd);
    if (o.post_norms) f = g->RmsNorm(f, ffn_post, d, eps, b + "post_ffw_norm");
    x = g->Add(x, f, b + "ffn_residual");
  }
  const float* out_norm = nullptr;
  const linear::Linear* out = nullptr;
  if (!vector("output_norm.weight", d, &out_norm) ||
      !matrix(hp->tied_embeddings ? "token_embd.weight" : "output.weight", d, hp->n_vocab, &out)) {
    return st;
  }
  x = g->SelectOutputs(x);
  x = g->RmsNorm(x, out_norm, d, hp->rms_eps, "output_norm");
  x = g->Linear(x, out, nullptr, "output");
  if (hp->final_softcap > 0.0f) x = g->Softcap(x, hp->final_softcap, "output_softcap");
  g->SetOutput(x);
  if (!g->status().ok()) return g->status();
  return w.CheckAllUsed();
}

}  // namespace lutra::engine::models
