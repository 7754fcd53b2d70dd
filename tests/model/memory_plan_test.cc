// The activation plan of a real graph: no two values that are alive at the same node share
// bytes (except an element-wise node writing over the input it reads last), every value fits
// the arena, and reuse makes the arena independent of depth.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/src/graph/memory_plan.h"
#include "engine/src/models/model.h"
#include "tests/model/model_testing.h"
#include "tests/model/synthetic_llama.h"

namespace lutra::testing {
namespace {

using engine::graph::MemoryPlan;
using engine::graph::Op;

// `arch` phi3: fused QKV and gate/up matrices, whose slices may take over their block.
size_t ArenaFor(size_t layers, MemoryPlan* out_plan, engine::graph::Graph* copy,
                const char* arch = "llama") {
  SynthLlama c;
  c.layers = layers;
  c.arch = arch;
  // Appended rather than concatenated: GCC 12 for armhf reports a false -Wrestrict overlap
  // on `"literal" + std::to_string(...)`.
  std::string name = "lutra-plan-";
  name += std::to_string(layers);
  TempFile file(name);
  EXPECT_TRUE(WriteSynthLlama(c, file.path()).ok());
  engine::models::ModelOptions o;
  o.threads = 1;
  auto m = engine::models::Model::Load(file.path(), o);
  EXPECT_TRUE(m.ok()) << m.error();
  if (!m.ok()) return 0;
  *copy = (*m)->graph();
  *out_plan = engine::graph::PlanMemory(*copy, 16, 16);
  return out_plan->arena_bytes;
}

class MemoryPlanArch : public ::testing::TestWithParam<const char*> {};

TEST_P(MemoryPlanArch, NoLiveOverlap) {
  MemoryPlan plan;
  engine::graph::Graph g;
  ArenaFor(3, &plan, &g, GetParam());
  const auto& nodes = g.nodes();
  ASSERT_FALSE(nodes.empty());
  std::vector<size_t> def(g.values().size()), last(g.values().size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    def[nodes[i].out] = i;
    last[nodes[i].out] = std::max(last[nodes[i].out], i);
    for (int in : nodes[i].in) {
      if (in >= 0) last[in] = i;
    }
  }
  last[g.output()] = nodes.size();
  for (size_t v = 0; v < g.values().size(); ++v) {
    ASSERT_LE(plan.offset[v] + plan.bytes[v], plan.arena_bytes);
    ASSERT_GE(plan.bytes[v], g.values()[v].width * 16 * sizeof(float));
  }
  for (size_t a = 0; a < g.values().size(); ++a) {
    for (size_t b = a + 1; b < g.values().size(); ++b) {
      // Lifetimes [def, last]; b defined at a's last use may reuse a's bytes only in place.
      if (def[b] > last[a] || def[a] > last[b]) continue;
      const bool overlap = plan.offset[a] < plan.offset[b] + plan.bytes[b] &&
                           plan.offset[b] < plan.offset[a] + plan.bytes[a];
      if (!overlap) continue;
      const auto& n = nodes[def[b]];
      const bool in_place = def[b] == last[a] && n.op != Op::kLinear && n.op != Op::kAttention &&
                            n.op != Op::kEmbed &&
                            (n.in[0] == int(a) || (n.op != Op::kGatedAct && n.in[1] == int(a)));
      EXPECT_TRUE(in_place) << "values " << a << " and " << b << " overlap at node "
                            << nodes[def[b]].label;
    }
  }
  EXPECT_LT(plan.arena_bytes, plan.naive_bytes);
}

INSTANTIATE_TEST_SUITE_P(Families, MemoryPlanArch, ::testing::Values("llama", "phi3"));

TEST(MemoryPlan, ArenaIndependentOfDepth) {
  MemoryPlan p2, p6;
  engine::graph::Graph g2, g6;
  const size_t a2 = ArenaFor(2, &p2, &g2), a6 = ArenaFor(6, &p6, &g6);
  EXPECT_EQ(a2, a6);
  EXPECT_GT(p6.naive_bytes, 2 * p2.naive_bytes);
}

}  // namespace
}  // namespace lutra::testing
