#include "engine/src/arch_qwen/qwen.h"

#include "engine/src/arch_llama/decoder.h"

namespace lutra::engine::arch_qwen {
namespace {

Expected<model::HParams> Build(const gguf::File& file, const char* arch,
                               const arch_llama::DecoderOptions& o, model::WeightStore& weights,
                               graph::Graph* graph) {
  auto hp = model::ReadHParams(file, arch);
  if (!hp.ok()) return hp.failure();
  Status s = arch_llama::BuildDecoder(file, o, &*hp, weights, graph);
  if (!s.ok()) return s.failure();
  return hp;
}

}  // namespace

Expected<model::HParams> BuildQwen2(const gguf::File& file, model::WeightStore& weights,
                                    graph::Graph* graph) {
  arch_llama::DecoderOptions o;
  o.rope_neox = true;
  return Build(file, "qwen2", o, weights, graph);
}

Expected<model::HParams> BuildQwen3(const gguf::File& file, model::WeightStore& weights,
                                    graph::Graph* graph) {
  arch_llama::DecoderOptions o;
  o.rope_neox = true;
  o.qk_norm = true;
  return Build(file, "qwen3", o, weights, graph);
}

}  // namespace lutra::engine::arch_qwen
