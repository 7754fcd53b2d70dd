#include "engine/src/graph/memory_plan.h"

#include <algorithm>

namespace lutra::engine::graph {
namespace {

constexpr size_t kAlign = 64;

// Whether the node may write over its input `index`: the gated activation writes act(gate)
// before reading `up`, so only the gate may be overwritten; a slice moves each row to an
// offset no later than its source's (executor.cc).
bool InPlaceOk(Op op, size_t index) {
  if (op == Op::kGatedAct) return index == 0;
  return op == Op::kRmsNorm || op == Op::kRope || op == Op::kAdd || op == Op::kSoftcap ||
         op == Op::kSlice;
}

struct Block {
  size_t offset, bytes;
  int value;
};

}  // namespace

MemoryPlan PlanMemory(const Graph& graph, size_t max_tokens, size_t max_outputs) {
  const auto& nodes = graph.nodes();
  const auto& values = graph.values();
  MemoryPlan plan;
  plan.offset.assign(values.size(), 0);
  plan.bytes.resize(values.size());
  for (size_t v = 0; v < values.size(); ++v) {
    const size_t rows = values[v].per_output ? max_outputs : max_tokens;
    plan.bytes[v] = (values[v].width * rows * sizeof(float) + kAlign - 1) / kAlign * kAlign;
    plan.naive_bytes += plan.bytes[v];
  }
  // Last node reading each value; the graph output lives to the end.
  std::vector<size_t> last_use(values.size(), 0);
  for (size_t i = 0; i < nodes.size(); ++i) {
    last_use[nodes[i].out] = std::max(last_use[nodes[i].out], i);
    for (int in : nodes[i].in) {
      if (in >= 0) last_use[in] = i;
    }
  }
  if (graph.output() >= 0) last_use[graph.output()] = nodes.size();

  std::vector<Block> live;  // sorted by offset
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    const size_t need = plan.bytes[n.out];
    bool placed = false;
    for (size_t k = 0; k < 3 && !placed; ++k) {
      const int in = n.in[k];
      if (in < 0 || !InPlaceOk(n.op, k) || last_use[in] != i || plan.bytes[in] < need) continue;
      for (Block& b : live) {  // take over the dying input's block
        if (b.value == in) {
          b.value = n.out;
          plan.offset[n.out] = b.offset;
          placed = true;
          break;
        }
      }
    }
    if (!placed) {
      size_t at = 0;  // first fit between live blocks
      auto it = live.begin();
      for (; it != live.end(); ++it) {
        if (it->offset >= at + need) break;
        at = std::max(at, it->offset + it->bytes);
      }
      live.insert(it, Block{at, need, n.out});
      plan.offset[n.out] = at;
      plan.arena_bytes = std::max(plan.arena_bytes, at + need);
    }
    // Inputs read for the last time here are free for the next node.
    std::erase_if(live, [&](const Block& b) { return b.value != n.out && last_use[b.value] <= i; });
  }
  return plan;
}

}  // namespace lutra::engine::graph
