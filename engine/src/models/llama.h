// llama (Llama 2/3, TinyLlama, Mistral-style): the plain pre-norm decoder with SwiGLU.
#pragma once

#include "engine/src/models/registry.h"

namespace lutra::engine::models {

Expected<models::HParams> BuildLlama(const gguf::File& file, models::WeightStore& weights,
                                     graph::Graph* graph);

}  // namespace lutra::engine::models
