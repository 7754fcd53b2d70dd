// Loading refuses what it cannot run, with an error naming the culprit: unsupported
// architectures and semantics-changing keys, missing keys and tensors, wrong shapes, unused
// tensors, vocabulary-only files; sessions refuse out-of-range tokens and a full context.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/src/models/generate.h"
#include "engine/src/models/model.h"
#include "tests/model/model_testing.h"
#include "tests/model/synthetic_llama.h"

namespace lutra::testing {
namespace {

using engine::models::Model;
using engine::models::ModelOptions;
using engine::models::Session;

ModelOptions Opts(size_t context = 0, size_t batch = 64) {
  ModelOptions o;
  o.threads = 1;
  o.context_length = context;
  o.batch = batch;
  return o;
}

std::string LoadError(const SynthLlama& c) {
  TempFile file("lutra-bad-model");
  Status s = WriteSynthLlama(c, file.path());
  if (!s.ok()) return "writer: " + s.error();
  auto m = Model::Load(file.path(), Opts());
  return m.ok() ? std::string("(loaded)") : m.error();
}

void ExpectError(const SynthLlama& c, const std::string& needle) {
  const std::string e = LoadError(c);
  EXPECT_NE(e.find(needle), std::string::npos) << "error: " << e << "\nexpected: " << needle;
}

TEST(ModelErrors, Architecture) {
  SynthLlama c;
  c.arch = "gptj";
  ExpectError(c, "architecture 'gptj' is not supported");
}

TEST(ModelErrors, MissingKeys) {
  for (const char* key : {"llama.embedding_length", "llama.block_count",
                          "llama.feed_forward_length", "llama.attention.head_count",
                          "llama.context_length", "llama.attention.layer_norm_rms_epsilon"}) {
    SynthLlama c;
    c.omit = {key};
    ExpectError(c, key);
  }
}

TEST(ModelErrors, SemanticKeys) {
  struct Case {
    std::function<void(gguf::Writer&)> add;
    const char* needle;
  };
  const Case cases[] = {
      {[](gguf::Writer& w) { w.set_u32("llama.expert_count", 8); }, "llama.expert_count"},
      {[](gguf::Writer& w) { w.set_string("llama.rope.scaling.type", "yarn"); },
       "rope.scaling.type 'yarn' is not supported"},
      {[](gguf::Writer& w) { w.set_f32("llama.attention.layer_norm_epsilon", 1e-5f); },
       "llama.attention.layer_norm_epsilon"},
      {[](gguf::Writer& w) { w.set_u32("llama.attention.sliding_window", 16); },
       "llama.attention.sliding_window"},
      {[](gguf::Writer& w) { w.set_u32("llama.attention.value_length", 8); },
       "llama.attention.key_length"},
      {[](gguf::Writer& w) { w.set_u32("llama.vocab_size", 7); }, "llama.vocab_size"},
  };
  for (const Case& k : cases) {
    SynthLlama c;
    c.extra = k.add;
    ExpectError(c, k.needle);
  }
  SynthLlama gqa;
  gqa.kv_heads = 3;  // 4 heads
  ExpectError(gqa, "not a multiple of llama.attention.head_count_kv");
  SynthLlama rot;
  rot.n_rot = 6 * 4;  // > head_dim 16
  ExpectError(rot, "rope.dimension_count");
}

TEST(ModelErrors, Tensors) {
  SynthLlama missing;
  missing.omit = {"blk.1.ffn_up.weight"};
  ExpectError(missing, "blk.1.ffn_up.weight");
  SynthLlama shape;
  shape.omit = {"blk.0.attn_k.weight"};
  shape.extra = [](gguf::Writer& w) {
    std::vector<float> v(64 * 48);
    (void)w.add_tensor("blk.0.attn_k.weight", gguf::TensorType::F32, {64, 48}, v.data(),
                       v.size() * 4);
  };
  ExpectError(shape, "tensor blk.0.attn_k.weight has shape [64, 48], expected [64, 32]");
  SynthLlama unused;
  unused.extra = [](gguf::Writer& w) {
    std::vector<float> v(64 * 4);
    (void)w.add_tensor("blk.0.ffn_gate_inp.weight", gguf::TensorType::F32, {64, 4}, v.data(),
                       v.size() * 4);
  };
  ExpectError(unused, "blk.0.ffn_gate_inp.weight is not used");
}

TEST(ModelErrors, VocabOnlyFile) {
  const std::string path = ModelsDir() + "/vocab-llama-spm.gguf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "vocab-llama-spm.gguf not found";
  auto m = Model::Load(path, Opts());
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().find("vocab"), std::string::npos) << m.error();
}

TEST(ModelErrors, SessionInputs) {
  SynthLlama c;
  TempFile file("lutra-session-errors");
  ASSERT_TRUE(WriteSynthLlama(c, file.path()).ok());
  auto m = Model::Load(file.path(), Opts(8, 4));
  ASSERT_TRUE(m.ok()) << m.error();
  auto s = Session::Create(**m);
  ASSERT_TRUE(s.ok()) << s.error();
  auto bad = (*s)->Decode(int32_t(c.vocab));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("outside the vocabulary"), std::string::npos) << bad.error();
  EXPECT_FALSE((*s)->Decode(-1).ok());
  EXPECT_EQ((*s)->position(), 0u);
  std::vector<int32_t> eight(8, 1);
  ASSERT_TRUE((*s)->Prefill(eight).ok());
  auto full = (*s)->Decode(1);
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.error().find("1 tokens do not fit"), std::string::npos) << full.error();
  EXPECT_EQ((*s)->position(), 8u);
  (*s)->Reset();
  engine::models::GenerateResult r;
  // No tokenizer in the synthetic file.
  Status gen = engine::models::Generate(**s, eight, {}, nullptr, &r);
  EXPECT_FALSE(gen.ok());
  EXPECT_EQ(gen.code(), ErrorCode::kUnsupported);
  EXPECT_FALSE(r.started);
  EXPECT_EQ((*s)->position(), 0u);
}

}  // namespace
}  // namespace lutra::testing
