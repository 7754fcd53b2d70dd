#include "engine/src/arch_llama/decoder.h"

#include <cmath>

namespace lutra::engine::arch_llama {
namespace {

// Unwraps an Expected into *out, or records the error and returns false.
template <typename T>
bool Take(Expected<T> e, T* out, Status* status) {
  if (!e.ok()) {
    *status = Error{e.error()};
    return false;
  }
  *out = *e;
  return true;
}

}  // namespace

Status BuildDecoder(const gguf::File& file, const DecoderOptions& o, model::HParams* hp,
                    model::WeightStore& w, graph::Graph* g) {
  Status st;
  const gguf::TensorInfo* embd = file.tensor("token_embd.weight");
  if (embd == nullptr) return Error{"model: missing tensor token_embd.weight"};
  if (embd->shape.size() != 2 || embd->shape[0] != hp->n_embd) {
    return Error{"model: tensor token_embd.weight must have shape [" + std::to_string(hp->n_embd) +
                 ", n_vocab]"};
  }
  hp->n_vocab = size_t(embd->shape[1]);
  const std::string vocab_key = hp->arch + ".vocab_size";
  if (file.has(vocab_key)) {
    auto v = file.get_count(vocab_key);
    if (!v.ok() || *v != hp->n_vocab) {
      return Error{"model: " + vocab_key + " does not match token_embd.weight's " +
                   std::to_string(hp->n_vocab) + " rows"};
    }
  }
  hp->tied_embeddings = !w.Has("output.weight");

  const size_t d = hp->n_embd, hd = hp->head_dim;
  const size_t qw = hp->n_head * hd, kvw = hp->n_head_kv * hd;
  g->SetAttention({hp->n_layer, hp->n_head, hp->n_head_kv, hd});

  graph::RopeSpec rope;
  rope.n_rot = hp->n_rot;
  rope.base = hp->rope_base;
  rope.position_scale = hp->rope_position_scale;
  if (w.Has("rope_freqs.weight")) {
    const float* f = nullptr;
    if (!Take(w.Vector("rope_freqs.weight", hp->n_rot / 2), &f, &st)) return st;
    rope.freq_factors.assign(f, f + hp->n_rot / 2);
    for (float v : rope.freq_factors) {
      if (!(v > 0.0f) || !std::isfinite(v)) {
        return Error{"model: rope_freqs.weight holds a non-positive or non-finite factor"};
      }
    }
  }
  const size_t rope_id = g->AddRope(std::move(rope));

  const gguf::TensorInfo* table = nullptr;
  if (!Take(w.Table("token_embd.weight", d, hp->n_vocab), &table, &st)) return st;
  int x = g->Embed(table, d, 1.0f, "token_embd");

  // Optional tensors: present → must have the stated shape; absent → skipped.
  auto optional_vector = [&](const std::string& name, size_t n, const float** out) {
    *out = nullptr;
    return !w.Has(name) || Take(w.Vector(name, n), out, &st);
  };
  auto matrix = [&](const std::string& name, size_t cols, size_t rows, const model::Linear** out) {
    return Take(w.Matrix(name, cols, rows), out, &st);
  };
  auto vector = [&](const std::string& name, size_t n, const float** out) {
    return Take(w.Vector(name, n), out, &st);
  };

  for (size_t l = 0; l < hp->n_layer; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    const float *attn_norm, *ffn_norm, *bq, *bk, *bv, *bo;
    const float *q_norm = nullptr, *k_norm = nullptr, *attn_sub = nullptr, *ffn_sub = nullptr;
    const model::Linear *wq, *wk, *wv, *wo, *wg, *wu, *wd;
    if (!vector(b + "attn_norm.weight", d, &attn_norm) ||
        !matrix(b + "attn_q.weight", d, qw, &wq) || !matrix(b + "attn_k.weight", d, kvw, &wk) ||
        !matrix(b + "attn_v.weight", d, kvw, &wv) ||
        !matrix(b + "attn_output.weight", qw, d, &wo) ||
        !optional_vector(b + "attn_q.bias", qw, &bq) ||
        !optional_vector(b + "attn_k.bias", kvw, &bk) ||
        !optional_vector(b + "attn_v.bias", kvw, &bv) ||
        !optional_vector(b + "attn_output.bias", d, &bo) ||
        !vector(b + "ffn_norm.weight", d, &ffn_norm) ||
        !matrix(b + "ffn_gate.weight", d, hp->n_ff, &wg) ||
        !matrix(b + "ffn_up.weight", d, hp->n_ff, &wu) ||
        !matrix(b + "ffn_down.weight", hp->n_ff, d, &wd)) {
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
    const float eps = hp->rms_eps;
    int h = g->RmsNorm(x, attn_norm, d, eps, b + "attn_norm");
    int q = g->Linear(h, wq, bq, b + "attn_q");
    int k = g->Linear(h, wk, bk, b + "attn_k");
    int v = g->Linear(h, wv, bv, b + "attn_v");
    if (o.qk_norm) {
      q = g->RmsNorm(q, q_norm, hd, eps, b + "attn_q_norm");
      k = g->RmsNorm(k, k_norm, hd, eps, b + "attn_k_norm");
    }
    q = g->Rope(q, hd, rope_id, b + "rope_q");
    k = g->Rope(k, hd, rope_id, b + "rope_k");
    int a = g->Attention(q, k, v, l, b + "attention");
    if (o.sub_norms) a = g->RmsNorm(a, attn_sub, qw, eps, b + "attn_sub_norm");
    x = g->Add(x, g->Linear(a, wo, bo, b + "attn_output"), b + "attn_residual");
    h = g->RmsNorm(x, ffn_norm, d, eps, b + "ffn_norm");
    int f = g->GatedAct(g->Linear(h, wg, nullptr, b + "ffn_gate"),
                        g->Linear(h, wu, nullptr, b + "ffn_up"), o.act, b + "ffn_act");
    if (o.sub_norms) f = g->RmsNorm(f, ffn_sub, hp->n_ff, eps, b + "ffn_sub_norm");
    x = g->Add(x, g->Linear(f, wd, nullptr, b + "ffn_down"), b + "ffn_residual");
  }
  const float* out_norm = nullptr;
  const model::Linear* out = nullptr;
  if (!vector("output_norm.weight", d, &out_norm) ||
      !matrix(hp->tied_embeddings ? "token_embd.weight" : "output.weight", d, hp->n_vocab, &out)) {
    return st;
  }
  x = g->SelectOutputs(x);
  x = g->RmsNorm(x, out_norm, d, hp->rms_eps, "output_norm");
  g->SetOutput(g->Linear(x, out, nullptr, "output"));
  if (!g->status().ok()) return g->status();
  return w.CheckAllUsed();
}

}  // namespace lutra::engine::arch_llama
