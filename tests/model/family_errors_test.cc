// Bad qwen2/qwen3/bitnet files: each error names the key or tensor at fault, word for word.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/src/models/model.h"
#include "tests/model/model_testing.h"
#include "tests/model/synthetic_llama.h"

namespace lutra::testing {
namespace {

// The load error with the file path prefix removed ("<path>: model: ...").
std::string LoadError(const SynthLlama& c) {
  TempFile file("lutra-bad-family");
  Status s = WriteSynthLlama(c, file.path());
  if (!s.ok()) return "writer: " + s.error();
  engine::models::ModelOptions o;
  o.threads = 1;
  auto m = engine::models::Model::Load(file.path(), o);
  if (m.ok()) return "(loaded)";
  const std::string prefix = file.path() + ": ";
  return m.error().rfind(prefix, 0) == 0 ? m.error().substr(prefix.size()) : m.error();
}

SynthLlama Family(const char* arch) {
  SynthLlama c;
  c.arch = arch;
  c.biases = c.arch == "qwen2";
  c.qk_norm = c.arch == "qwen3";
  c.sub_norms = c.arch.rfind("bitnet", 0) == 0;
  return c;
}

TEST(FamilyErrors, LoadsWhenComplete) {
  for (const char* arch : {"qwen2", "qwen3", "bitnet", "bitnet-b1.58", "bitnet-25"}) {
    EXPECT_EQ(LoadError(Family(arch)), "(loaded)") << arch;
  }
}

TEST(FamilyErrors, MissingKey) {
  SynthLlama c = Family("qwen2");
  c.omit = {"qwen2.embedding_length"};
  EXPECT_EQ(LoadError(c), "model: missing metadata key qwen2.embedding_length");
  SynthLlama b = Family("bitnet-b1.58");
  b.omit = {"bitnet-b1.58.attention.layer_norm_rms_epsilon"};
  EXPECT_EQ(LoadError(b),
            "model: missing metadata key bitnet-b1.58.attention.layer_norm_rms_epsilon");
}

TEST(FamilyErrors, UnknownRopeScaling) {
  SynthLlama c = Family("qwen3");
  c.extra = [](gguf::Writer& w) { w.set_string("qwen3.rope.scaling.type", "yarn"); };
  EXPECT_EQ(LoadError(c),
            "model: qwen3.rope.scaling.type 'yarn' is not supported (supported: none, linear)");
}

TEST(FamilyErrors, SemanticKeys) {
  SynthLlama c = Family("qwen2");
  c.extra = [](gguf::Writer& w) { w.set_u32("qwen2.attention.sliding_window", 4096); };
  EXPECT_EQ(LoadError(c),
            "model: qwen2.attention.sliding_window: sliding-window attention is not supported");
  SynthLlama b = Family("bitnet");
  b.extra = [](gguf::Writer& w) { w.set_f32("bitnet.attention.logit_softcapping", 50.0f); };
  EXPECT_EQ(LoadError(b),
            "model: bitnet.attention.logit_softcapping changes the computation and is not "
            "supported");
}

TEST(FamilyErrors, MissingTensors) {
  SynthLlama q = Family("qwen3");
  q.omit = {"blk.1.attn_k_norm.weight"};
  EXPECT_EQ(LoadError(q), "model: missing tensor blk.1.attn_k_norm.weight");
  SynthLlama b = Family("bitnet-25");
  b.omit = {"blk.0.ffn_sub_norm.weight"};
  EXPECT_EQ(LoadError(b), "model: missing tensor blk.0.ffn_sub_norm.weight");
}

TEST(FamilyErrors, ForeignTensors) {
  // Q/K norms in a qwen2 file, sub-norms in a llama file: the graph would ignore them.
  SynthLlama q = Family("qwen2");
  q.qk_norm = true;
  EXPECT_EQ(LoadError(q),
            "model: tensor blk.0.attn_q_norm.weight is not used by the architecture's graph "
            "(unsupported variant of the model?)");
  SynthLlama l = Family("llama");
  l.scales = true;
  EXPECT_EQ(LoadError(l),
            "model: tensor blk.0.attn_q.scale is not used by the architecture's graph "
            "(unsupported variant of the model?)");
}

TEST(FamilyErrors, BadWeightScale) {
  SynthLlama c = Family("bitnet");
  c.extra = [](gguf::Writer& w) {
    const float two[2] = {1.0f, 1.0f};
    (void)w.add_tensor("blk.0.ffn_up.scale", gguf::TensorType::F32, {2}, two, sizeof two);
  };
  EXPECT_EQ(LoadError(c),
            "model: tensor blk.0.ffn_up.scale has shape [2], expected [1] from the "
            "hyperparameters");
  c.extra = [](gguf::Writer& w) {
    const float zero = 0.0f;
    (void)w.add_tensor("blk.1.attn_v.scale", gguf::TensorType::F32, {1}, &zero, sizeof zero);
  };
  EXPECT_EQ(LoadError(c), "model: blk.1.attn_v.scale must be finite and non-zero");
}

TEST(FamilyErrors, SubNormWidth) {
  SynthLlama c = Family("bitnet-b1.58");
  c.omit = {"blk.0.attn_sub_norm.weight"};
  c.extra = [](gguf::Writer& w) {
    std::vector<float> v(32, 1.0f);
    (void)w.add_tensor("blk.0.attn_sub_norm.weight", gguf::TensorType::F32, {32}, v.data(),
                       v.size() * 4);
  };
  EXPECT_EQ(LoadError(c),
            "model: tensor blk.0.attn_sub_norm.weight has shape [32], expected [64] from the "
            "hyperparameters");
}

}  // namespace
}  // namespace lutra::testing
