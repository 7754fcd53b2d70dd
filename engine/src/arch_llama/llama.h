// llama (Llama 2/3, TinyLlama, Mistral-style): the plain pre-norm decoder with SwiGLU.
#pragma once

#include "engine/src/model/arch.h"

namespace lutra::engine::arch_llama {

Expected<model::HParams> BuildLlama(const gguf::File& file, model::WeightStore& weights,
                                    graph::Graph* graph);

}  // namespace lutra::engine::arch_llama
