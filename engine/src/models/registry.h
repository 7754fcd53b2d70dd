// Architecture builders: from general.architecture to a graph over the file's weights. A new
// family is one builder function plus one line in the registry (registry.cc).
#pragma once

#include <string_view>

#include "engine/src/common/status.h"
#include "engine/src/gguf/reader.h"
#include "engine/src/graph/graph.h"
#include "engine/src/models/hparams.h"
#include "engine/src/models/weights.h"

namespace lutra::engine::models {

// Reads the hyperparameters (n_vocab/tied filled from the tensors), requests every weight
// through `weights` (shape-checked) and emits the graph.
using ArchBuilder = Expected<HParams> (*)(const gguf::File& file, WeightStore& weights,
                                          graph::Graph* graph);

// The builder for `arch`, or an error naming the architecture and listing the supported ones.
Expected<ArchBuilder> FindArchBuilder(std::string_view arch);

}  // namespace lutra::engine::models
