#include "engine/src/models/phi3.h"

#include <cstdint>

#include "engine/src/models/decoder.h"

namespace lutra::engine::models {
namespace {

// The window llama.cpp assumed for files without attention.sliding_window (converted before
// the key was written): Phi-3-mini/medium-4k slide over 2047 positions; the 128k models' values
// are at least their context, so they never cut anything.
size_t LegacyWindow(const HParams& hp) {
  if ((hp.n_layer == 32 || hp.n_layer == 40) && hp.n_ctx_train == 4096) return 2047;
  if (hp.n_layer == 32 && hp.n_head_kv == 32 && hp.n_ctx_train == 131072) return 262144;
  if (hp.n_layer == 40 && hp.n_ctx_train == 131072) return 131072;
  return 0;
}

Expected<HParams> ReadPhi3HParams(const gguf::File& f) {
  FamilyKeys keys;
  keys.sliding_window = keys.rope_attn_factor = true;
  auto hp = ReadHParams(f, "phi3", keys);
  if (!hp.ok()) return hp.failure();
  const std::string wkey = "phi3.attention.sliding_window";
  size_t window = LegacyWindow(*hp);
  if (f.has(wkey)) {
    auto w = f.get_count(wkey);
    if (!w.ok()) return w.failure("model: " + wkey + ": ");
    if (*w > UINT32_MAX) {
      return InvalidModel("model: " + wkey + " = " + std::to_string(*w) + " is out of range");
    }
    window = size_t(*w);
  }
  hp->sliding_window = window;
  if (window != 0) hp->sliding_layers.assign(hp->n_layer, true);
  // Every layer slides, with the one rope.
  hp->rope_base_swa = hp->rope_base;
  hp->rope_position_scale_swa = hp->rope_position_scale;
  return hp;
}

}  // namespace

Expected<models::HParams> BuildPhi3(const gguf::File& file, models::WeightStore& weights,
                                    graph::Graph* graph) {
  auto hp = ReadPhi3HParams(file);
  if (!hp.ok()) return hp.failure();
  DecoderOptions o;
  o.rope_neox = true;
  o.fused_qkv = o.fused_gate_up = o.long_rope = true;
  Status s = BuildDecoder(file, o, &*hp, weights, graph);
  if (!s.ok()) return s.failure();
  return hp;
}

}  // namespace lutra::engine::models
