#include "engine/src/models/bitnet.h"

#include "engine/src/models/decoder.h"

namespace lutra::engine::models {
namespace {

Expected<models::HParams> Build(const gguf::File& file, const char* arch, graph::Activation act,
                                models::WeightStore& weights, graph::Graph* graph) {
  auto hp = models::ReadHParams(file, arch);
  if (!hp.ok()) return hp.failure();
  models::DecoderOptions o;
  o.rope_neox = true;
  o.sub_norms = true;
  o.bitlinear = true;
  o.act = act;
  Status s = models::BuildDecoder(file, o, &*hp, weights, graph);
  if (!s.ok()) return s.failure();
  return hp;
}

}  // namespace

Expected<models::HParams> BuildBitnet(const gguf::File& file, models::WeightStore& weights,
                                      graph::Graph* graph) {
  return Build(file, "bitnet", graph::Activation::kSilu, weights, graph);
}

Expected<models::HParams> BuildBitnetB158(const gguf::File& file, models::WeightStore& weights,
                                          graph::Graph* graph) {
  return Build(file, "bitnet-b1.58", graph::Activation::kReluSquared, weights, graph);
}

Expected<models::HParams> BuildBitnet25(const gguf::File& file, models::WeightStore& weights,
                                        graph::Graph* graph) {
  return Build(file, "bitnet-25", graph::Activation::kReluSquared, weights, graph);
}

}  // namespace lutra::engine::models
