// Low-bit weights end to end.
// 1. stories260K with its matrices re-encoded to Q4_0 by the test (ffn_down, 172 columns, is
//    not a multiple of the 32-weight block and stays F32, as llama.cpp does): perplexity on a
//    short story. The reference (double, reading the Q4_0 blocks with its own decoder) gives
//    the quantization's own effect; the engine must reproduce the reference's Q4_0 perplexity
//    within 2% (its LUT path also quantizes activations) and stay within 25% of fp32.
//    Bound: 4-bit round-to-nearest on a 260K-parameter model costs the reference some
//    percent of perplexity (the reference measured 2.87 → 3.17, +11%); 25% is the
//    stated ceiling for a usable 4-bit path.
// 2. A synthetic model with 256-multiple widths and TQ2_0 (ternary) matrices: engine logits vs
//    the reference on the decoded ternary weights. Tolerance 5e-2 × max(1, max|logit|): the
//    weights are exact, but activations are quantized per token to int8 (absmax/127): each
//    element moves by ≤ max|x|/254, a dot product by ~(max|x|/254/√3)/rms(x) ≈ 1% relative for
//    activations with max/rms ≈ 4, compounded over two layers and the output.
// Both parts skip (with a message) while the runtime cannot load the type.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/src/gguf/reader.h"
#include "engine/src/gguf/writer.h"
#include "engine/src/linear/linear.h"
#include "engine/src/models/model.h"
#include "tests/model/llama_reference.h"
#include "tests/model/model_testing.h"
#include "tests/model/quant_blocks.h"
#include "tests/model/synthetic_llama.h"

namespace lutra::testing {
namespace {

using engine::models::Model;
using engine::models::ModelOptions;
using engine::models::Session;

const char kStory[] =
    "Once upon a time, there was a little boy named Ben. Ben liked to play with his red truck in "
    "the garden. One day, he saw a small bird sitting on the fence. The bird was sad because it "
    "could not find its mom. Ben wanted to help the bird. He looked under the tree and behind "
    "the big rock. Then he saw the mom bird flying in the sky. The little bird was very happy. "
    "Ben smiled and went home to tell his mom about the birds.";

// Re-encodes every 2-D F32 tensor whose rows are whole Q4_0 blocks; copies the llama.* keys.
Status WriteQ4_0Copy(const gguf::File& src, const std::string& path) {
  gguf::Writer w;
  w.set_string("general.architecture", "llama");
  for (const std::string& k : src.keys()) {
    if (k.rfind("llama.", 0) != 0) continue;
    const gguf::Value* v = src.find(k);
    if (v->type == gguf::ValueType::U32) w.set_u32(k, uint32_t(v->bits));
    if (v->type == gguf::ValueType::F32) w.set_f32(k, float(v->real));
  }
  for (const gguf::TensorInfo& t : src.tensors()) {
    std::vector<float> f(t.n_elements);
    std::memcpy(f.data(), t.data, f.size() * 4);
    Status s;
    if (t.shape.size() == 2 && t.shape[0] % 32 == 0) {
      const std::vector<uint8_t> q = EncodeQ4_0(f);
      s = w.add_tensor(t.name, gguf::TensorType::Q4_0, t.shape, q.data(), q.size());
    } else {
      s = w.add_tensor(t.name, gguf::TensorType::F32, t.shape, f.data(), f.size() * 4);
    }
    if (!s.ok()) return s;
  }
  return w.write(path);
}

// exp(mean −log p(token_{i+1} | ..token_i)) from teacher-forced logits.
double Perplexity(const std::vector<std::vector<double>>& logits, const std::vector<int32_t>& ids) {
  double nll = 0;
  for (size_t i = 0; i + 1 < ids.size(); ++i) {
    const auto& l = logits[i];
    double mx = -INFINITY, z = 0;
    for (double v : l) mx = std::max(mx, v);
    for (double v : l) z += std::exp(v - mx);
    nll -= l[size_t(ids[i + 1])] - mx - std::log(z);
  }
  return std::exp(nll / double(ids.size() - 1));
}

std::vector<std::vector<double>> ReferenceLogits(const gguf::File& f,
                                                 const std::vector<int32_t>& ids) {
  RefLlama ref(f);
  std::vector<std::vector<double>> out;
  for (int32_t t : ids) out.push_back(ref.Step(t));
  return out;
}

std::vector<std::vector<double>> EngineLogits(const std::string& path,
                                              const std::vector<int32_t>& ids) {
  ModelOptions o;
  o.threads = 1;
  o.kv_type = engine::attention::KvType::kF32;
  o.batch = 32;
  auto m = Model::Load(path, o);
  EXPECT_TRUE(m.ok()) << m.error();
  if (!m.ok()) return {};
  auto s = Session::Create(**m);
  EXPECT_TRUE(s.ok()) << s.error();
  if (!s.ok()) return {};
  const size_t vocab = (*m)->hparams().n_vocab;
  std::vector<float> all(ids.size() * vocab);
  Status st = (*s)->Evaluate(ids, all);
  EXPECT_TRUE(st.ok()) << st.error();
  std::vector<std::vector<double>> out(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) out[i].assign(&all[i * vocab], &all[(i + 1) * vocab]);
  return out;
}

TEST(Quantized, Stories260KQ4_0Perplexity) {
  const std::string path = ModelsDir() + "/stories260K.gguf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "stories260K.gguf not found";
  auto src = gguf::File::open(path);
  ASSERT_TRUE(src.ok()) << src.error();
  auto tok = load_tokenizer(*src);
  ASSERT_TRUE(tok.ok()) << tok.error();
  const std::vector<int32_t> ids = (*tok)->encode(kStory, {.add_bos = true});
  TempFile q4("lutra-stories-q4_0");
  ASSERT_TRUE(WriteQ4_0Copy(*src, q4.path()).ok());
  auto qf = gguf::File::open(q4.path());
  ASSERT_TRUE(qf.ok()) << qf.error();

  const double ref32 = Perplexity(ReferenceLogits(*src, ids), ids);
  const double ref4 = Perplexity(ReferenceLogits(*qf, ids), ids);
  std::cout << "  reference perplexity: fp32 " << ref32 << ", Q4_0 " << ref4 << "\n";
  EXPECT_LE(ref4, 1.25 * ref32);
  const double eng32 = Perplexity(EngineLogits(path, ids), ids);
  EXPECT_NEAR(eng32, ref32, 1e-3 * ref32);
  if (!engine::linear::IsLoadableType(gguf::TensorType::Q4_0)) {
    GTEST_SKIP() << "the runtime cannot load Q4_0 weights yet";
  }
  const double eng4 = Perplexity(EngineLogits(q4.path(), ids), ids);
  std::cout << "  engine perplexity: fp32 " << eng32 << ", Q4_0 " << eng4 << "\n";
  EXPECT_NEAR(eng4, ref4, 0.02 * ref4);
  EXPECT_LE(eng4, 1.25 * eng32);
}

TEST(Quantized, SyntheticTQ2_0) {
  if (!engine::linear::IsLoadableType(gguf::TensorType::TQ2_0)) {
    GTEST_SKIP() << "the runtime cannot load TQ2_0 weights yet";
  }
  SynthLlama c;
  c.dim = 256, c.heads = 4, c.kv_heads = 2, c.ff = 512, c.vocab = 200, c.seed = 9;
  TempFile f32("lutra-tq-src"), tq("lutra-tq2_0");
  ASSERT_TRUE(WriteSynthLlama(c, f32.path()).ok());
  auto src = gguf::File::open(f32.path());
  ASSERT_TRUE(src.ok());
  gguf::Writer w;
  w.set_string("general.architecture", "llama");
  for (const std::string& k : src->keys()) {
    const gguf::Value* v = src->find(k);
    if (k.rfind("llama.", 0) != 0) continue;
    if (v->type == gguf::ValueType::U32) w.set_u32(k, uint32_t(v->bits));
    if (v->type == gguf::ValueType::F32) w.set_f32(k, float(v->real));
  }
  for (const gguf::TensorInfo& t : src->tensors()) {
    std::vector<float> v(t.n_elements);
    std::memcpy(v.data(), t.data, v.size() * 4);
    if (t.shape.size() == 2 && t.name != "token_embd.weight") {
      const std::vector<uint8_t> q = EncodeTQ2_0(v);
      ASSERT_TRUE(w.add_tensor(t.name, gguf::TensorType::TQ2_0, t.shape, q.data(), q.size()).ok());
    } else {
      ASSERT_TRUE(
          w.add_tensor(t.name, gguf::TensorType::F32, t.shape, v.data(), v.size() * 4).ok());
    }
  }
  ASSERT_TRUE(w.write(tq.path()).ok());
  auto qf = gguf::File::open(tq.path());
  ASSERT_TRUE(qf.ok());
  std::vector<int32_t> ids(12);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = int32_t((i * 53 + 5) % c.vocab);
  const auto want = ReferenceLogits(*qf, ids);
  const auto got = EngineLogits(tq.path(), ids);
  ASSERT_EQ(got.size(), ids.size());
  double worst = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    std::vector<float> g(got[i].begin(), got[i].end());
    const Diff d = Compare(g, want[i]);
    worst = std::max(worst, d.max_abs / std::max(1.0, d.ref_max));
    EXPECT_LE(d.max_abs, 5e-2 * std::max(1.0, d.ref_max)) << "position " << i;
  }
  std::cout << "  TQ2_0 worst |Δlogit| / max(1, max|logit|): " << worst << " (bound 5e-2)\n";
}

}  // namespace
}  // namespace lutra::testing
