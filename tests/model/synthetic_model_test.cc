// The library's synthetic model generator (engine/src/synthetic/synthetic.h): the files it writes
// load, tokenize and run, and match the double-precision reference (which reads the file with
// its own decoders), in every weight type the generator offers; same seed, same bytes.
//
// Tolerances: fp32 weights and KV cache as in llama_synthetic_test.cc (2e-4 of the logit
// scale); F16/BF16 weights are decoded exactly by both sides, so the same bound holds; the
// low-bit types run the LUT kernels with 8-bit activation tables, whose rounding (about 2^-8
// of each activation group's scale per term) bounds the logits to a few 1e-2 of their scale,
// as in quantized_test.cc (5e-2).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/src/gguf/reader.h"
#include "engine/src/models/model.h"
#include "engine/src/synthetic/synthetic.h"
#include "tests/model/llama_reference.h"
#include "tests/model/model_testing.h"
#include "tests/model/quant_blocks.h"
#include "tests/testing/rng.h"

namespace lutra::testing {
namespace {

using engine::attention::KvType;
using engine::models::Model;
using engine::models::ModelOptions;
using engine::models::Session;
using engine::synthetic::SyntheticLlama;
using engine::synthetic::SyntheticPreset;
using engine::synthetic::WriteSyntheticLlama;
using gguf::TensorType;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void CheckAgainstReference(const SyntheticLlama& c, const std::string& name, double tol,
                           bool repack_q4_k = false) {
  TempFile file("lutra-libsynth-" + name);
  const Status written = WriteSyntheticLlama(c, file.path());
  ASSERT_TRUE(written.ok()) << written.error();
  ModelOptions o;
  o.threads = 2;
  o.batch = 4;
  o.kv_type = KvType::kF32;
  o.context_length = 32;
  o.repack_q4_k = repack_q4_k;
  auto model = Model::Load(file.path(), o);
  ASSERT_TRUE(model.ok()) << model.error();
  EXPECT_EQ((*model)->hparams().tied_embeddings, c.tied_output);
  auto session = Session::Create(**model);
  ASSERT_TRUE(session.ok()) << session.error();
  auto gf = gguf::File::open(file.path());
  ASSERT_TRUE(gf.ok()) << gf.error();
  RefLlama ref(*gf, /*int8_activations=*/true, o.context_length);

  // The generated vocabulary tokenizes and round-trips text.
  const Tokenizer* tok = (*model)->tokenizer();
  ASSERT_NE(tok, nullptr) << (*model)->tokenizer_error();
  EXPECT_EQ(tok->vocab_size(), c.vocab);
  const std::string text = "hello world, 42 times!";
  std::vector<int32_t> prompt = tok->encode(text, {.add_bos = true});
  EXPECT_EQ(tok->decode(prompt), text);
  ASSERT_GE(prompt.size(), 3u);

  std::vector<float> all(prompt.size() * c.vocab);
  ASSERT_TRUE((*session)->Evaluate(prompt, all).ok());
  for (size_t i = 0; i < prompt.size(); ++i) {
    const Diff d =
        Compare(std::span<const float>(all).subspan(i * c.vocab, c.vocab), ref.Step(prompt[i]));
    ASSERT_LE(d.max_abs, tol * std::max(1.0, d.ref_max)) << name << " position " << i;
  }
  int32_t next = prompt.back();
  for (int step = 0; step < 4; ++step) {
    next = (next * 13 + 5) % int32_t(c.vocab);
    auto got = (*session)->Decode(next);
    ASSERT_TRUE(got.ok()) << got.error();
    const Diff d = Compare(*got, ref.Step(next));
    ASSERT_LE(d.max_abs, tol * std::max(1.0, d.ref_max)) << name << " decode " << step;
  }
}

TEST(SyntheticModel, PresetsMatchReferenceInFp32) {
  for (const char* preset :
       {"tiny", "tiny-gqa4", "tiny-tied", "tiny-gemma3", "tiny-gemma2", "tiny-phi3"}) {
    auto c = SyntheticPreset(preset);
    ASSERT_TRUE(c.ok()) << c.error();
    CheckAgainstReference(*c, preset, 2e-4);
  }
}

TEST(SyntheticModel, F16WeightsMatchReference) {
  auto c = SyntheticPreset("tiny");
  ASSERT_TRUE(c.ok());
  c->weight_type = c->embd_type = c->output_type = TensorType::F16;
  CheckAgainstReference(*c, "f16", 2e-4);
}

TEST(SyntheticModel, LowBitWeightsMatchReference) {
  // Widths that are whole 256-weight blocks, so TQ2_0 fits every matrix.
  SyntheticLlama c;
  c.n_embd = 256, c.n_head = 4, c.n_head_kv = 2, c.n_ff = 512, c.vocab = 400;
  c.embd_type = TensorType::F16;
  c.output_type = TensorType::Q4_0;
  for (TensorType t : {TensorType::Q4_0, TensorType::TQ2_0}) {
    c.weight_type = t;
    c.seed = uint64_t(t);
    CheckAgainstReference(c, t == TensorType::Q4_0 ? "q4_0" : "tq2_0", 5e-2);
  }
  // A Q4_K_M-like mix: Q4_K matrices and a Q6_K head, multiplied in place (kquant), and with
  // the Q4_K matrices repacked for the lookup kernels (per-group mins in the bias).
  c.weight_type = TensorType::Q4_K;
  c.output_type = TensorType::Q6_K;
  c.seed = 46;
  CheckAgainstReference(c, "q4_k", 5e-2);
  CheckAgainstReference(c, "q4_k-repacked", 5e-2, /*repack_q4_k=*/true);
}

// bitnet.cpp's I2_S: 128-weight blocks (the widths 256 and 512 are whole blocks) and one scale
// per tensor in the tail after the last block, written after the rows were streamed. The
// reference decodes the file itself (tests/model/quant_blocks.h), the engine repacks the codes
// to the ternary lookup path.
TEST(SyntheticModel, I2SWeightsMatchReference) {
  SyntheticLlama c;
  c.n_embd = 256, c.n_head = 4, c.n_head_kv = 2, c.n_ff = 512, c.vocab = 400;
  c.embd_type = TensorType::F16;
  c.output_type = TensorType::Q4_0;
  c.weight_type = TensorType::I2_S;
  c.seed = 47;
  CheckAgainstReference(c, "i2_s", 5e-2);
}

// What the generator writes for I2_S is a ternary-trained-like matrix: every weight in
// {−s, 0, +s} for the tensor's one scale s, which differs between tensors (a reader that used
// another tensor's scale must not pass the comparison above by accident).
TEST(SyntheticModel, I2SMatricesAreTernaryWithOneScaleEach) {
  SyntheticLlama c;
  c.n_embd = 128, c.n_head = 4, c.n_head_kv = 2, c.n_ff = 256, c.vocab = 300;
  c.weight_type = TensorType::I2_S;
  TempFile file("lutra-libsynth-i2s-scales");
  const Status written = WriteSyntheticLlama(c, file.path());
  ASSERT_TRUE(written.ok()) << written.error();
  auto gf = gguf::File::open(file.path());
  ASSERT_TRUE(gf.ok()) << gf.error();
  std::vector<float> scales;
  for (const char* name : {"blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.ffn_up.weight",
                           "blk.1.ffn_down.weight"}) {
    const gguf::TensorInfo* t = gf->tensor(name);
    ASSERT_NE(t, nullptr) << name;
    ASSERT_EQ(t->type, TensorType::I2_S) << name;
    ASSERT_EQ(t->n_bytes, t->n_elements / 4 + 32) << name;
    std::vector<float> w(t->n_elements);
    DecodeI2_S(t->data, w.size(), w.data());
    float s;
    std::memcpy(&s, t->data + t->n_elements / 4, 4);
    ASSERT_TRUE(s > 0 && std::isfinite(s)) << name << " scale " << s;
    size_t zeros = 0, plus = 0, minus = 0;
    for (float v : w) {
      ASSERT_TRUE(v == 0 || v == s || v == -s) << name << " weight " << v << " scale " << s;
      zeros += v == 0, plus += v == s, minus += v == -s;
    }
    EXPECT_GT(zeros, 0u) << name;
    EXPECT_GT(plus, 0u) << name;
    EXPECT_GT(minus, 0u) << name;
    for (float other : scales) EXPECT_NE(s, other) << name;
    scales.push_back(s);
  }
}

TEST(SyntheticModel, SameSeedSameBytes) {
  auto c = SyntheticPreset("tiny");
  ASSERT_TRUE(c.ok());
  c->weight_type = TensorType::Q8_0;
  TempFile a("lutra-libsynth-a"), b("lutra-libsynth-b"), d("lutra-libsynth-d");
  ASSERT_TRUE(WriteSyntheticLlama(*c, a.path()).ok());
  ASSERT_TRUE(WriteSyntheticLlama(*c, b.path()).ok());
  c->seed = 2;
  ASSERT_TRUE(WriteSyntheticLlama(*c, d.path()).ok());
  const std::string bytes = ReadAll(a.path());
  EXPECT_GT(bytes.size(), 10000u);
  EXPECT_EQ(bytes, ReadAll(b.path()));
  EXPECT_NE(bytes, ReadAll(d.path()));
}

TEST(SyntheticModel, QwenLayoutsCarryTheirTensorsAndKeys) {
  for (const char* preset : {"qwen2.5-0.5b", "qwen3-0.6b"}) {
    auto c = SyntheticPreset(preset);
    ASSERT_TRUE(c.ok());
    // Same layout at a small size.
    c->n_layer = 1, c->vocab = 300;
    c->n_embd = c->arch == "qwen3" ? 64 : 56;
    c->n_head = c->arch == "qwen3" ? 4 : 7;
    c->n_head_kv = c->arch == "qwen3" ? 2 : 1;
    c->n_ff = 96;
    if (c->head_dim) c->head_dim = 32;
    TempFile f(std::string("lutra-libsynth-") + preset);
    const Status s = WriteSyntheticLlama(*c, f.path());
    ASSERT_TRUE(s.ok()) << s.error();
    auto gf = gguf::File::open(f.path());
    ASSERT_TRUE(gf.ok()) << gf.error();
    EXPECT_EQ(*gf->get_string("general.architecture"), c->arch);
    const std::string a = c->arch;
    EXPECT_EQ(gf->tensor("output.weight"), nullptr);  // tied
    if (a == "qwen2") {
      ASSERT_NE(gf->tensor("blk.0.attn_q.bias"), nullptr);
      EXPECT_EQ(gf->tensor("blk.0.attn_k.bias")->n_elements, 8u);  // 1 kv head of 8
    } else {
      EXPECT_EQ(gf->tensor("blk.0.attn_q.bias"), nullptr);
      ASSERT_NE(gf->tensor("blk.0.attn_q_norm.weight"), nullptr);
      EXPECT_EQ(gf->tensor("blk.0.attn_k_norm.weight")->n_elements, 32u);
      // Q projects to heads × head_dim = 128, not n_embd = 64.
      EXPECT_EQ(gf->tensor("blk.0.attn_q.weight")->n_elements, 64u * 128u);
      EXPECT_EQ(gf->tensor("blk.0.attn_output.weight")->n_elements, 128u * 64u);
    }
  }
}

TEST(SyntheticModel, GemmaLayoutsCarryTheirTensorsAndKeys) {
  for (const char* preset : {"gemma3-1b", "gemma2-2b"}) {
    auto c = SyntheticPreset(preset);
    ASSERT_TRUE(c.ok());
    const std::string a = c->arch;
    // Same layout at a small size (7 layers: gemma3's sixth is global).
    c->n_layer = 7, c->vocab = 300, c->n_embd = 64, c->n_head = 4, c->n_ff = 96;
    c->n_head_kv = a == "gemma3" ? 1 : 2;
    c->head_dim = 32;
    TempFile f(std::string("lutra-libsynth-") + preset);
    const Status s = WriteSyntheticLlama(*c, f.path());
    ASSERT_TRUE(s.ok()) << s.error();
    auto gf = gguf::File::open(f.path());
    ASSERT_TRUE(gf.ok()) << gf.error();
    EXPECT_EQ(*gf->get_string("general.architecture"), a);
    EXPECT_EQ(gf->tensor("output.weight"), nullptr);  // tied
    EXPECT_EQ(*gf->get_count(a + ".attention.sliding_window"), a == "gemma3" ? 512u : 4096u);
    EXPECT_EQ(*gf->get_count(a + ".attention.key_length"), 32u);
    ASSERT_NE(gf->tensor("blk.6.post_attention_norm.weight"), nullptr);
    EXPECT_EQ(gf->tensor("blk.6.post_ffw_norm.weight")->n_elements, 64u);
    EXPECT_EQ(gf->tensor("blk.0.attn_q_norm.weight") != nullptr, a == "gemma3");
    EXPECT_EQ(gf->has(a + ".attn_logit_softcapping"), a == "gemma2");
    EXPECT_EQ(gf->has(a + ".final_logit_softcapping"), a == "gemma2");
    // It loads, with the family's sliding layers.
    ModelOptions o;
    o.threads = 1;
    o.context_length = 64;
    auto model = Model::Load(f.path(), o);
    ASSERT_TRUE(model.ok()) << model.error();
    const auto& hp = (*model)->hparams();
    EXPECT_EQ(hp.sliding_window, a == "gemma3" ? 512u : 4096u);
    ASSERT_EQ(hp.sliding_layers.size(), 7u);
    for (size_t l = 0; l < 7; ++l) {
      EXPECT_EQ(hp.sliding_layers[l], a == "gemma3" ? l != 5 : l % 2 == 0) << preset << " " << l;
    }
    EXPECT_EQ(hp.attn_softcap, a == "gemma2" ? 50.0f : 0.0f);
    EXPECT_EQ(hp.final_softcap, a == "gemma2" ? 30.0f : 0.0f);
  }
}

TEST(SyntheticModel, PhiLayoutsCarryTheirTensorsAndKeys) {
  for (const char* preset : {"phi3-mini", "phi3.5-mini", "phi4-mini"}) {
    auto c = SyntheticPreset(preset);
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c->arch, "phi3");
    const bool phi4 = std::string(preset) == "phi4-mini";
    const bool long_rope = std::string(preset) != "phi3-mini";
    // Same layout at a small size: heads of 32 (phi4-mini rotating 24 of them), ffn 96.
    c->n_layer = 2, c->vocab = 300, c->n_ff = 96;
    c->n_embd = phi4 ? 96 : 128, c->n_head = phi4 ? 3 : 4, c->n_head_kv = phi4 ? 1 : 4;
    if (phi4) c->n_rot = 24;
    TempFile f(std::string("lutra-libsynth-") + preset);
    const Status s = WriteSyntheticLlama(*c, f.path());
    ASSERT_TRUE(s.ok()) << s.error();
    auto gf = gguf::File::open(f.path());
    ASSERT_TRUE(gf.ok()) << gf.error();
    EXPECT_EQ(*gf->get_string("general.architecture"), "phi3");
    // Phi-3's chat markers close the vocabulary as control tokens (llama.cpp looks
    // <|endoftext|> up in a phi3-named model's vocabulary).
    auto tokens = gf->get_string_array("tokenizer.ggml.tokens");
    ASSERT_TRUE(tokens.ok());
    ASSERT_EQ(tokens->size(), 300u);
    EXPECT_EQ((*tokens)[295], "<|endoftext|>");
    EXPECT_EQ((*tokens)[299], "<|user|>");
    EXPECT_EQ(gf->tensor("output.weight") == nullptr, phi4);  // tied
    const size_t qkv = (c->n_head + 2 * c->n_head_kv) * 32;
    ASSERT_NE(gf->tensor("blk.1.attn_qkv.weight"), nullptr);
    EXPECT_EQ(gf->tensor("blk.1.attn_qkv.weight")->n_elements, c->n_embd * qkv);
    EXPECT_EQ(gf->tensor("blk.0.attn_q.weight"), nullptr);
    EXPECT_EQ(gf->tensor("blk.0.ffn_gate.weight"), nullptr);
    EXPECT_EQ(gf->tensor("blk.0.ffn_up.weight")->n_elements, c->n_embd * 2 * 96);
    EXPECT_EQ(*gf->get_count("phi3.rope.dimension_count"), phi4 ? 24u : 32u);
    EXPECT_EQ(*gf->get_count("phi3.rope.scaling.original_context_length"), 4096u);
    EXPECT_EQ(*gf->get_count("phi3.attention.sliding_window"), long_rope ? 262144u : 2047u);
    EXPECT_EQ(gf->has("phi3.rope.scaling.attn_factor"), long_rope);
    EXPECT_EQ(gf->tensor("rope_factors_long.weight") != nullptr, long_rope);
    if (long_rope) {
      // Rising from 1 to the context ratio 32; the short set from 1 to 2.
      const gguf::TensorInfo* t = gf->tensor("rope_factors_long.weight");
      ASSERT_EQ(t->n_elements, phi4 ? 12u : 16u);
      const float* v = reinterpret_cast<const float*>(t->data);
      EXPECT_EQ(v[0], 1.0f);
      EXPECT_FLOAT_EQ(v[t->n_elements - 1], 32.0f);
      EXPECT_FLOAT_EQ(
          reinterpret_cast<const float*>(gf->tensor("rope_factors_short.weight")->data)[0], 1.0f);
    }
    // It loads, every layer sliding.
    ModelOptions o;
    o.threads = 1;
    o.context_length = 64;
    auto model = Model::Load(f.path(), o);
    ASSERT_TRUE(model.ok()) << model.error();
    const auto& hp = (*model)->hparams();
    EXPECT_EQ(hp.sliding_window, long_rope ? 262144u : 2047u);
    EXPECT_EQ(hp.sliding_layers, std::vector<bool>(2, true));
    EXPECT_EQ(hp.n_rot, phi4 ? 24u : 32u);
    EXPECT_EQ(hp.n_ctx_orig, 4096u);
    EXPECT_NEAR(hp.rope_attn_factor, long_rope ? 1.190238 : 1.0, 1e-6);
  }
}

TEST(SyntheticModel, ClearErrors) {
  auto unknown = SyntheticPreset("llama-9000");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().find("unknown synthetic preset 'llama-9000'"), std::string::npos);
  EXPECT_NE(unknown.error().find("tinyllama-1.1b"), std::string::npos);

  auto c = SyntheticPreset("tiny");
  ASSERT_TRUE(c.ok());
  c->weight_type = TensorType::TQ2_0;  // rows of 64 are not 256-weight blocks
  TempFile f("lutra-libsynth-bad");
  const Status s = WriteSyntheticLlama(*c, f.path());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("blk.0.attn_q.weight rows of 64 weights cannot be stored as TQ2_0"),
            std::string::npos)
      << s.error();
  EXPECT_FALSE(std::ifstream(f.path()).good());  // nothing written

  c->weight_type = TensorType::F32;
  c->n_head_kv = 3;
  const Status gqa = WriteSyntheticLlama(*c, f.path());
  ASSERT_FALSE(gqa.ok());
  EXPECT_NE(gqa.error().find("n_head 4 is not a multiple of n_head_kv 3"), std::string::npos);
}

}  // namespace
}  // namespace lutra::testing
