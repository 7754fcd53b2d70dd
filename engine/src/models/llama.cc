#include "engine/src/models/llama.h"

#include "engine/src/models/decoder.h"

namespace lutra::engine::models {

Expected<models::HParams> BuildLlama(const gguf::File& file, models::WeightStore& weights,
                                     graph::Graph* graph) {
  auto hp = models::ReadHParams(file, "llama");
  if (!hp.ok()) return hp.failure();
  Status s = BuildDecoder(file, DecoderOptions{}, &*hp, weights, graph);
  if (!s.ok()) return s.failure();
  return hp;
}

}  // namespace lutra::engine::models
