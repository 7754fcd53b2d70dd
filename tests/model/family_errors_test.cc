// Bad qwen2/qwen3/bitnet/gemma2/gemma3/phi3 files: each error names the key or tensor at fault,
// word for word; every key the Gemma and Phi-3 families read is either honoured or refused by
// name.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <set>
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
  c.post_norms = c.arch.rfind("gemma", 0) == 0;
  c.qk_norm = c.qk_norm || c.arch == "gemma3";
  return c;
}

// A key written (or rewritten) on top of the family's complete file.
template <typename Set>
SynthLlama WithKey(const char* arch, Set set) {
  SynthLlama c = Family(arch);
  c.extra = set;
  return c;
}

TEST(FamilyErrors, LoadsWhenComplete) {
  for (const char* arch :
       {"qwen2", "qwen3", "bitnet", "bitnet-b1.58", "bitnet-25", "gemma2", "gemma3", "phi3"}) {
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

TEST(FamilyErrors, SoftcapAndSwaKeysRefusedOutsideGemma) {
  using W = gguf::Writer;
  EXPECT_EQ(
      LoadError(WithKey("llama", [](W& w) { w.set_f32("llama.attn_logit_softcapping", 50); })),
      "model: llama.attn_logit_softcapping changes the computation and is not supported");
  EXPECT_EQ(
      LoadError(WithKey("qwen3", [](W& w) { w.set_f32("qwen3.final_logit_softcapping", 30); })),
      "model: qwen3.final_logit_softcapping changes the computation and is not supported");
  EXPECT_EQ(LoadError(WithKey("qwen2", [](W& w) { w.set_f32("qwen2.rope.freq_base_swa", 1e4f); })),
            "model: qwen2.rope.freq_base_swa: sliding-window attention is not supported");
}

// Every key the Gemma families read, with a bad value (or one they do not implement): the
// error names it. The keys they honour with good values load (gemma_synthetic_test.cc runs
// them against the reference).
TEST(FamilyErrors, GemmaKeys) {
  using W = gguf::Writer;
  struct Case {
    const char* arch;
    std::function<void(W&)> set;
    std::set<std::string> omit;
    std::string error;
  };
  const Case cases[] = {
      {"gemma2",
       [](W& w) { w.set_u32("gemma2.attention.sliding_window", 0); },
       {},
       "model: gemma2.attention.sliding_window = 0 is out of range"},
      {"gemma3", [](W& w) { w.set_u32("gemma3.attention.sliding_window", 0); }, {}, "(loaded)"},
      {"gemma3", [](W& w) { w.set_u32("gemma3.attention.sliding_window", 16); }, {}, "(loaded)"},
      {"gemma2",
       [](W& w) { w.set_f32("gemma2.attn_logit_softcapping", -1.0f); },
       {},
       "model: gemma2.attn_logit_softcapping must be a finite number ≥ 0"},
      {"gemma3", [](W& w) { w.set_f32("gemma3.attn_logit_softcapping", 20.0f); }, {}, "(loaded)"},
      {"gemma3",
       [](W& w) { w.set_f32("gemma3.final_logit_softcapping", NAN); },
       {},
       "model: gemma3.final_logit_softcapping must be a finite number ≥ 0"},
      {"gemma2",
       [](W& w) { w.set_string("gemma2.final_logit_softcapping", "30"); },
       {},
       "model: metadata key gemma2.final_logit_softcapping is not a number"},
      {"gemma3",
       [](W& w) { w.set_f32("gemma3.rope.freq_base_swa", 1.0f); },
       {},
       "model: gemma3.rope.freq_base_swa must be a number > 1"},
      {"gemma2",
       [](W& w) { w.set_f32("gemma2.rope.freq_base", 0.5f); },
       {},
       "model: gemma2.rope.freq_base must be a number > 1"},
      {"gemma3",
       [](W& w) { w.set_string("gemma3.rope.scaling.type", "yarn"); },
       {},
       "model: gemma3.rope.scaling.type 'yarn' is not supported (supported: none, linear)"},
      {"gemma3",
       [](W& w) {
         w.set_string("gemma3.rope.scaling.type", "linear");
         w.set_f32("gemma3.rope.scaling.factor", -8.0f);
       },
       {},
       "model: gemma3.rope.scaling.factor must be a positive number for linear scaling"},
      {"gemma2",
       [](W& w) { w.set_u32("gemma2.rope.dimension_count", 15); },
       {},
       "model: gemma2.rope.dimension_count 15 must be even and at most the head size 16"},
      {"gemma3",
       [](W& w) { w.set_u32("gemma3.attention.sliding_window_pattern", 6); },
       {},
       "model: gemma3.attention.sliding_window_pattern changes the computation and is not "
       "supported"},
      {"gemma2",
       [](W& w) { w.set_f32("gemma2.attention.scale", 0.0625f); },
       {},
       "model: gemma2.attention.scale changes the computation and is not supported"},
      {"gemma3",
       [](W& w) { w.set_f32("gemma3.attention.logit_softcapping", 50.0f); },
       {},
       "model: gemma3.attention.logit_softcapping changes the computation and is not supported"},
      {"gemma3",
       [](W& w) { w.set_u32("gemma3.attention.value_length", 32); },
       {},
       "model: gemma3.attention.key_length 16 differs from attention.value_length 32 (not "
       "supported)"},
      {"gemma2",
       [](W& w) { w.set_u32("gemma2.attention.head_count_kv", 3); },
       {},
       "model: gemma2.attention.head_count 4 is not a multiple of gemma2.attention.head_count_kv "
       "3"},
      {"gemma3",
       [](W& w) { w.set_u32("gemma3.vocab_size", 7); },
       {},
       "model: gemma3.vocab_size does not match token_embd.weight's 120 rows"},
      {"gemma3",
       [](W& w) { w.set_u32("gemma3.expert_count", 8); },
       {},
       "model: gemma3.expert_count: mixture-of-experts models are not supported"},
      {"gemma2",
       [](W& w) { w.set_f32("gemma2.attention.layer_norm_epsilon", 1e-5f); },
       {},
       "model: gemma2.attention.layer_norm_epsilon: LayerNorm models are not supported"},
      {"gemma3",
       nullptr,
       {"gemma3.attention.layer_norm_rms_epsilon"},
       "model: missing metadata key gemma3.attention.layer_norm_rms_epsilon"},
      {"gemma2",
       nullptr,
       {"gemma2.context_length"},
       "model: missing metadata key gemma2.context_length"},
  };
  for (const Case& k : cases) {
    SynthLlama c = Family(k.arch);
    c.extra = k.set;
    c.omit = k.omit;
    if (std::string(k.arch) == "gemma3") c.head_dim = 16;  // key_length written
    EXPECT_EQ(LoadError(c), k.error) << k.arch;
  }
}

TEST(FamilyErrors, GemmaTensors) {
  SynthLlama g2 = Family("gemma2");
  g2.omit = {"blk.1.post_attention_norm.weight"};
  EXPECT_EQ(LoadError(g2), "model: missing tensor blk.1.post_attention_norm.weight");
  SynthLlama g3 = Family("gemma3");
  g3.omit = {"blk.0.post_ffw_norm.weight"};
  EXPECT_EQ(LoadError(g3), "model: missing tensor blk.0.post_ffw_norm.weight");
  g3.omit = {"blk.1.attn_q_norm.weight"};
  EXPECT_EQ(LoadError(g3), "model: missing tensor blk.1.attn_q_norm.weight");
  // Q/K norms in a gemma2 file, post-norms in a qwen3 file: the graphs would ignore them.
  g2 = Family("gemma2");
  g2.qk_norm = true;
  EXPECT_EQ(LoadError(g2),
            "model: tensor blk.0.attn_q_norm.weight is not used by the architecture's graph "
            "(unsupported variant of the model?)");
  SynthLlama q3 = Family("qwen3");
  q3.post_norms = true;
  EXPECT_EQ(LoadError(q3),
            "model: tensor blk.0.post_attention_norm.weight is not used by the architecture's "
            "graph (unsupported variant of the model?)");
}

// Every key the phi3 family reads (llama.cpp's generic keys plus the LongRoPE and window
// ones), with a bad value or one it does not implement: the error names it. Good values load
// (phi3_synthetic_test.cc runs them against the reference). The file has LongRoPE factors and
// 3/4 rotary dims, as Phi-4-mini's.
TEST(FamilyErrors, Phi3Keys) {
  using W = gguf::Writer;
  struct Case {
    std::function<void(W&)> set;
    std::set<std::string> omit;
    std::string error;
  };
  const Case cases[] = {
      {[](W& w) { w.set_u32("phi3.attention.sliding_window", 0); }, {}, "(loaded)"},
      {[](W& w) { w.set_u32("phi3.attention.sliding_window", 2047); }, {}, "(loaded)"},
      {[](W& w) { w.set_f32("phi3.rope.freq_base_swa", 1e4f); },
       {},
       "model: phi3.rope.freq_base_swa: a rope base of the sliding-window layers' own is not "
       "supported"},
      {[](W& w) { w.set_f32("phi3.rope.scaling.attn_factor", 1.19f); }, {}, "(loaded)"},
      {[](W& w) { w.set_f32("phi3.rope.scaling.attn_factor", 0.0f); },
       {},
       "model: phi3.rope.scaling.attn_factor must be a positive number"},
      {[](W& w) { w.set_f32("phi3.rope.scaling.attn_factor", INFINITY); },
       {},
       "model: phi3.rope.scaling.attn_factor must be a finite number ≥ 0"},
      {[](W& w) { w.set_u32("phi3.rope.scaling.original_context_length", 4096); }, {}, "(loaded)"},
      {[](W& w) { w.set_u32("phi3.rope.scaling.original_context_length", 0); },
       {},
       "model: phi3.rope.scaling.original_context_length = 0 is out of range"},
      {[](W& w) { w.set_string("phi3.rope.scaling.type", "longrope"); },
       {},
       "model: phi3.rope.scaling.type 'longrope' is not supported (supported: none, linear)"},
      {[](W& w) { w.set_f32("phi3.rope.scaling.factor", 4.0f); }, {}, "(loaded)"},
      {[](W& w) { w.set_f32("phi3.rope.scale_linear", 4.0f); }, {}, "(loaded)"},
      {[](W& w) { w.set_f32("phi3.rope.scale_linear", -4.0f); },
       {},
       "model: phi3.rope.scale_linear must be a finite number ≥ 0"},
      {[](W& w) {
         w.set_string("phi3.rope.scaling.type", "linear");
         w.set_f32("phi3.rope.scale_linear", 0.0f);
       },
       {},
       "model: phi3.rope.scale_linear must be a positive number for linear scaling"},
      {[](W& w) { w.set_u32("phi3.rope.dimension_count", 14); },
       {},
       "model: tensor rope_factors_short.weight has shape [6], expected [7] from the "
       "hyperparameters"},
      {[](W& w) { w.set_u32("phi3.rope.dimension_count", 18); },
       {},
       "model: phi3.rope.dimension_count 18 must be even and at most the head size 16"},
      {[](W& w) { w.set_u32("phi3.expert_count", 16); },
       {},
       "model: phi3.expert_count: mixture-of-experts models are not supported"},
      {[](W& w) { w.set_f32("phi3.attention.layer_norm_epsilon", 1e-5f); },
       {},
       "model: phi3.attention.layer_norm_epsilon: LayerNorm models are not supported"},
      {[](W& w) { w.set_f32("phi3.attention.scale", 0.1f); },
       {},
       "model: phi3.attention.scale changes the computation and is not supported"},
      {[](W& w) { w.set_f32("phi3.attn_logit_softcapping", 50.0f); },
       {},
       "model: phi3.attn_logit_softcapping changes the computation and is not supported"},
      {[](W& w) { w.set_u32("phi3.vocab_size", 7); },
       {},
       "model: phi3.vocab_size does not match token_embd.weight's 120 rows"},
      {nullptr,
       {"phi3.attention.layer_norm_rms_epsilon"},
       "model: missing metadata key phi3.attention.layer_norm_rms_epsilon"},
      {nullptr, {"phi3.context_length"}, "model: missing metadata key phi3.context_length"},
  };
  for (const Case& k : cases) {
    SynthLlama c = Family("phi3");
    c.n_rot = 12;
    c.long_rope = true;
    c.extra = k.set;
    c.omit = k.omit;
    EXPECT_EQ(LoadError(c), k.error);
  }
  // A window that is not a count (the reader's message names the file and the key).
  SynthLlama c = Family("phi3");
  c.extra = [](W& w) { w.set_string("phi3.attention.sliding_window", "2047"); };
  const std::string error = LoadError(c);
  EXPECT_EQ(error.rfind("model: phi3.attention.sliding_window: ", 0), 0u) << error;
  EXPECT_NE(error.find("key 'phi3.attention.sliding_window' has type string, expected an integer"),
            std::string::npos)
      << error;
  // rope.scaling.attn_factor changes the rotation: families without LongRoPE refuse any value
  // but 1.
  EXPECT_EQ(
      LoadError(WithKey("llama", [](W& w) { w.set_f32("llama.rope.scaling.attn_factor", 2.0f); })),
      "model: llama.rope.scaling.attn_factor = 2.000000 changes the computation and is not "
      "supported");
  EXPECT_EQ(
      LoadError(WithKey("qwen2", [](W& w) { w.set_f32("qwen2.rope.scaling.attn_factor", 1.0f); })),
      "(loaded)");
}

TEST(FamilyErrors, Phi3Tensors) {
  using W = gguf::Writer;
  auto phi3 = [] {
    SynthLlama c = Family("phi3");
    c.long_rope = true;
    return c;
  };
  SynthLlama c = phi3();
  c.omit = {"blk.1.ffn_up.weight"};
  EXPECT_EQ(LoadError(c), "model: missing tensor blk.1.ffn_up.weight");
  c.omit = {"blk.0.attn_qkv.weight"};
  EXPECT_EQ(LoadError(c),
            "model: missing tensor blk.0.attn_qkv.weight (or blk.0.attn_q.weight, "
            "attn_k.weight and attn_v.weight)");
  // ffn_up with n_ff rows, as a file with a separate gate has it: phi3's holds 2·n_ff.
  c = phi3();
  c.omit = {"blk.0.ffn_up.weight"};
  c.extra = [](W& w) {
    std::vector<float> v(64 * 96, 0.01f);
    (void)w.add_tensor("blk.0.ffn_up.weight", gguf::TensorType::F32, {64, 96}, v.data(),
                       v.size() * 4);
  };
  EXPECT_EQ(LoadError(c),
            "model: tensor blk.0.ffn_up.weight has shape [64, 96], expected [64, 192] from the "
            "hyperparameters");
  c = phi3();
  c.extra = [](W& w) {
    std::vector<float> v(64 * 96, 0.01f);
    (void)w.add_tensor("blk.1.ffn_gate.weight", gguf::TensorType::F32, {64, 96}, v.data(),
                       v.size() * 4);
  };
  EXPECT_EQ(LoadError(c),
            "model: tensor blk.1.ffn_gate.weight is not used by the architecture's graph "
            "(unsupported variant of the model?)");
  c.extra = [](W& w) {
    std::vector<float> v(128, 0.0f);
    (void)w.add_tensor("blk.0.attn_qkv.bias", gguf::TensorType::F32, {128}, v.data(), v.size() * 4);
  };
  EXPECT_EQ(LoadError(c),
            "model: tensor blk.0.attn_qkv.bias is not used by the architecture's graph "
            "(unsupported variant of the model?)");
  c.freq_factors = true;  // llama 3.1's rope_freqs: phi3 reads the LongRoPE pair instead
  c.extra = nullptr;
  EXPECT_EQ(LoadError(c),
            "model: tensor rope_freqs.weight is not used by the architecture's graph "
            "(unsupported variant of the model?)");
  c = phi3();
  c.omit = {"rope_factors_short.weight"};
  c.extra = [](W& w) {
    std::vector<float> v(8, 1.0f);
    v[3] = -2.0f;
    (void)w.add_tensor("rope_factors_short.weight", gguf::TensorType::F32, {8}, v.data(),
                       v.size() * 4);
  };
  EXPECT_EQ(LoadError(c),
            "model: rope_factors_short.weight[3] = -2.000000 is not a positive finite factor");
}

}  // namespace
}  // namespace lutra::testing
