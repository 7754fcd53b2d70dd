#include "engine/src/models/qwen.h"

#include "engine/src/models/decoder.h"

namespace lutra::engine::models {
namespace {

Expected<models::HParams> Build(const gguf::File& file, const char* arch,
                                const models::DecoderOptions& o, models::WeightStore& weights,
                                graph::Graph* graph) {
  auto hp = models::ReadHParams(file, arch);
  if (!hp.ok()) return hp.failure();
  Status s = models::BuildDecoder(file, o, &*hp, weights, graph);
  if (!s.ok()) return s.failure();
  return hp;
}

}  // namespace

Expected<models::HParams> BuildQwen2(const gguf::File& file, models::WeightStore& weights,
                                     graph::Graph* graph) {
  models::DecoderOptions o;
  o.rope_neox = true;
  return Build(file, "qwen2", o, weights, graph);
}

Expected<models::HParams> BuildQwen3(const gguf::File& file, models::WeightStore& weights,
                                     graph::Graph* graph) {
  models::DecoderOptions o;
  o.rope_neox = true;
  o.qk_norm = true;
  return Build(file, "qwen3", o, weights, graph);
}

}  // namespace lutra::engine::models
