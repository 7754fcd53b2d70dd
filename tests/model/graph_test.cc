// Graph builder validation: shape mismatches are refused at build time with the node's label,
// the first error sticks, and per-output values cannot feed attention.
#include <gtest/gtest.h>

#include "engine/src/graph/graph.h"

namespace lutra::testing {
namespace {

using engine::graph::Activation;
using engine::graph::Graph;
using engine::graph::RopeSpec;

// Shape-only stand-in: the builder never calls Forward.
class ShapeOnly : public engine::linear::Linear {
 public:
  ShapeOnly(size_t rows, size_t cols) : Linear(rows, cols) {}
  Status Forward(size_t, const float*, float*, engine::ThreadPool&,
                 engine::linear::LinearScratch&) const override {
    return Internal("shape-only");
  }
  std::string Describe() const override { return "shape-only"; }
  size_t OwnedBytes() const override { return 0; }
};

TEST(Graph, RefusesMismatchedShapes) {
  gguf::TensorInfo table;
  const float w[64] = {};
  ShapeOnly wq(64, 64), wk(32, 64), bad(64, 48);
  Graph g;
  g.SetAttention({1, 4, 2, 16});
  const size_t rope = g.AddRope(RopeSpec{16, 10000.0, 1.0, {}});
  int x = g.Embed(&table, 64, 1.0f, "embd");
  int h = g.RmsNorm(x, w, 64, 1e-5f, "norm");
  int q = g.Rope(g.Linear(h, &wq, nullptr, "q"), 16, rope, "rope_q");
  int k = g.Rope(g.Linear(h, &wk, nullptr, "k"), 16, rope, "rope_k");
  int v = g.Linear(h, &wk, nullptr, "v");
  EXPECT_GE(g.Attention(q, k, v, 0, "attn"), 0);
  EXPECT_TRUE(g.status().ok()) << g.status().error();
  EXPECT_EQ(g.Linear(h, &bad, nullptr, "wrong_cols"), -1);
  ASSERT_FALSE(g.status().ok());
  EXPECT_NE(g.status().error().find("wrong_cols"), std::string::npos) << g.status().error();
  EXPECT_EQ(g.Add(x, h, "after_error"), -1);  // the first error sticks
  EXPECT_NE(g.status().error().find("wrong_cols"), std::string::npos);
}

TEST(Graph, RefusesBadNodes) {
  gguf::TensorInfo table;
  const float w[64] = {};
  ShapeOnly wk(32, 64);
  auto fails = [](auto&& build, const char* label) {
    Graph g;
    g.SetAttention({1, 4, 2, 16});
    build(g);
    EXPECT_FALSE(g.status().ok()) << label;
    EXPECT_NE(g.status().error().find(label), std::string::npos) << g.status().error();
  };
  fails([&](Graph& g) { g.RmsNorm(g.Embed(&table, 64, 1.0f, "e"), w, 48, 1e-5f, "group"); },
        "group");
  fails(
      [&](Graph& g) {
        g.Add(g.Embed(&table, 64, 1.0f, "e"), g.Embed(&table, 32, 1.0f, "f"), "sum");
      },
      "sum");
  fails(
      [&](Graph& g) {
        int x = g.Embed(&table, 64, 1.0f, "e");
        g.GatedAct(x, g.Linear(x, &wk, nullptr, "up"), Activation::kSilu, "act");
      },
      "act");
  fails(
      [&](Graph& g) {
        int x = g.SelectOutputs(g.Embed(&table, 64, 1.0f, "e"));
        int kv = g.Linear(x, &wk, nullptr, "k");
        g.Attention(x, kv, kv, 0, "attn_out");
      },
      "attn_out");
  fails(
      [&](Graph& g) {
        const size_t r = g.AddRope(RopeSpec{32, 10000.0, 1.0, {}});  // n_rot > head_dim
        g.Rope(g.Embed(&table, 64, 1.0f, "e"), 16, r, "rope_wide");
      },
      "rope_wide");
  fails([&](Graph& g) { g.SetOutput(g.Embed(&table, 64, 1.0f, "e")); }, "output");
  fails([&](Graph& g) { g.Slice(g.Embed(&table, 64, 1.0f, "e"), 48, 32, "slice_past"); },
        "slice_past");
  fails([&](Graph& g) { g.Slice(g.Embed(&table, 64, 1.0f, "e"), 0, 0, "slice_empty"); },
        "slice_empty");
  fails(
      [&](Graph& g) {
        RopeSpec spec{16, 10000.0, 1.0, {}};
        spec.freq_factors_long.assign(4, 1.0f);  // n_rot/2 = 8 expected
        g.AddRope(spec);
      },
      "rope");
}

}  // namespace
}  // namespace lutra::testing
