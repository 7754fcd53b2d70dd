#include "engine/src/arch_llama/llama.h"

#include "engine/src/arch_llama/decoder.h"

namespace lutra::engine::arch_llama {

Expected<model::HParams> BuildLlama(const gguf::File& file, model::WeightStore& weights,
                                    graph::Graph* graph) {
  auto hp = model::ReadHParams(file, "llama");
  if (!hp.ok()) return hp.failure();
  Status s = BuildDecoder(file, DecoderOptions{}, &*hp, weights, graph);
  if (!s.ok()) return s.failure();
  return hp;
}

}  // namespace lutra::engine::arch_llama
