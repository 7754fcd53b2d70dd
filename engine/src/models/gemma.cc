#include "engine/src/models/gemma.h"

#include <cmath>

#include "engine/src/models/decoder.h"

namespace lutra::engine::models {
namespace {

enum class Gemma { k2, k3 };

Expected<HParams> ReadGemmaHParams(const gguf::File& f, const std::string& arch, Gemma v) {
  FamilyKeys keys;
  keys.sliding_window = keys.swa_rope_base = keys.softcapping = true;
  auto hp = ReadHParams(f, arch, keys);
  if (!hp.ok()) return hp.failure();
  const std::string p = arch + ".";
  const bool g2 = v == Gemma::k2;

  // Sliding window: Gemma 2 slides every even layer (window 4096 unless the file says),
  // Gemma 3 five layers of every six when the file has a window.
  size_t window = g2 ? 4096 : 0;
  const std::string wkey = p + "attention.sliding_window";
  if (f.has(wkey)) {
    auto w = f.get_count(wkey);
    if (!w.ok()) return w.failure("model: " + wkey + ": ");
    if ((g2 && *w == 0) || *w > UINT32_MAX) {
      return InvalidModel("model: " + wkey + " = " + std::to_string(*w) + " is out of range");
    }
    window = size_t(*w);
  }
  hp->sliding_window = window;
  if (window != 0) {
    hp->sliding_layers.resize(hp->n_layer);
    for (size_t l = 0; l < hp->n_layer; ++l) {
      hp->sliding_layers[l] = g2 ? l % 2 == 0 : l % 6 < 5;
    }
  }
  auto base_swa = ReadOptionalReal(f, p + "rope.freq_base_swa", g2 ? hp->rope_base : 10000.0);
  if (!base_swa.ok()) return base_swa.failure();
  if (!(*base_swa > 1.0)) {
    return InvalidModel("model: " + p + "rope.freq_base_swa must be a number > 1");
  }
  hp->rope_base_swa = *base_swa;
  hp->rope_position_scale_swa = g2 ? hp->rope_position_scale : 1.0;

  auto attn_cap = ReadOptionalReal(f, p + "attn_logit_softcapping", g2 ? 50.0 : 0.0);
  if (!attn_cap.ok()) return attn_cap.failure();
  auto final_cap = ReadOptionalReal(f, p + "final_logit_softcapping", g2 ? 30.0 : 0.0);
  if (!final_cap.ok()) return final_cap.failure();
  hp->attn_softcap = float(*attn_cap);
  hp->final_softcap = float(*final_cap);

  // Gemma's query_pre_attn_scalar: n_embd / n_head (integer quotient) for the 27B models,
  // head_dim for the others, as llama.cpp decides it from the layer count.
  const bool is_27b = hp->n_layer == (g2 ? 46u : 62u);
  hp->attn_scale = 1.0f / std::sqrt(float(is_27b ? hp->n_embd / hp->n_head : hp->head_dim));
  return hp;
}

Expected<HParams> Build(const gguf::File& file, const char* arch, Gemma v, WeightStore& weights,
                        graph::Graph* graph) {
  auto hp = ReadGemmaHParams(file, arch, v);
  if (!hp.ok()) return hp.failure();
  DecoderOptions o;
  o.rope_neox = true;
  o.act = graph::Activation::kGeluTanh;
  o.post_norms = true;
  o.qk_norm = v == Gemma::k3;
  o.embed_scale = std::sqrt(float(hp->n_embd));
  Status s = BuildDecoder(file, o, &*hp, weights, graph);
  if (!s.ok()) return s.failure();
  return hp;
}

}  // namespace

Expected<models::HParams> BuildGemma2(const gguf::File& file, models::WeightStore& weights,
                                      graph::Graph* graph) {
  return Build(file, "gemma2", Gemma::k2, weights, graph);
}

Expected<models::HParams> BuildGemma3(const gguf::File& file, models::WeightStore& weights,
                                      graph::Graph* graph) {
  return Build(file, "gemma3", Gemma::k3, weights, graph);
}

}  // namespace lutra::engine::models
