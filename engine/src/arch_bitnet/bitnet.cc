#include "engine/src/arch_bitnet/bitnet.h"

#include "engine/src/arch_llama/decoder.h"

namespace lutra::engine::arch_bitnet {
namespace {

Expected<model::HParams> Build(const gguf::File& file, const char* arch, graph::Activation act,
                               model::WeightStore& weights, graph::Graph* graph) {
  auto hp = model::ReadHParams(file, arch);
  if (!hp.ok()) return hp.failure();
  arch_llama::DecoderOptions o;
  o.rope_neox = true;
  o.sub_norms = true;
  o.bitlinear = true;
  o.act = act;
  Status s = arch_llama::BuildDecoder(file, o, &*hp, weights, graph);
  if (!s.ok()) return s.failure();
  return hp;
}

}  // namespace

Expected<model::HParams> BuildBitnet(const gguf::File& file, model::WeightStore& weights,
                                     graph::Graph* graph) {
  return Build(file, "bitnet", graph::Activation::kSilu, weights, graph);
}

Expected<model::HParams> BuildBitnetB158(const gguf::File& file, model::WeightStore& weights,
                                         graph::Graph* graph) {
  return Build(file, "bitnet-b1.58", graph::Activation::kReluSquared, weights, graph);
}

Expected<model::HParams> BuildBitnet25(const gguf::File& file, model::WeightStore& weights,
                                       graph::Graph* graph) {
  return Build(file, "bitnet-25", graph::Activation::kReluSquared, weights, graph);
}

}  // namespace lutra::engine::arch_bitnet
