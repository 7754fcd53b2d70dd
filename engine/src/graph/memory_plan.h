// Activation memory plan, computed once per (graph, batch limit): every value gets an offset in
// one arena, reusing the space of values no longer read. Element-wise nodes (rmsnorm, rope,
// gated activation, add) write over an input whose last reader they are, so the residual
// stream and the projections cycle through a handful of buffers however deep the model is.
#pragma once

#include <cstddef>
#include <vector>

#include "engine/src/graph/graph.h"

namespace lutra::engine::graph {

struct MemoryPlan {
  std::vector<size_t> offset;  // bytes, per value, 64-byte aligned
  std::vector<size_t> bytes;   // per value: width × (max_tokens or max_outputs) floats
  size_t arena_bytes = 0;      // peak: the arena size
  size_t naive_bytes = 0;      // sum of all values, for the log
};

MemoryPlan PlanMemory(const Graph& graph, size_t max_tokens, size_t max_outputs);

}  // namespace lutra::engine::graph
