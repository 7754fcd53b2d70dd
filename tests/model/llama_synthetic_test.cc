// Random llama models of several shapes (GQA ratios 1..8, tied/untied output, partial rotary
// dims, rope base/linear scaling/frequency factors, attention biases, F16 weights) against the
// double-precision reference: every position's logits after batched prefill (in chunks
// smaller than the prompt) and after single-token decode.
//
// Tolerance: the engine computes in fp32 (fp32 KV cache here): each dot product of K ≤ 192
// terms carries a relative error of about √K·2^-24 ≈ 1e-6 of its magnitude, the rmsnorms keep
// activations O(1), and two to three layers compound this to ~1e-5 of the logit scale. 2e-4 ×
// max(1, max|logit|) leaves an order of magnitude of margin and still fails for any real
// mistake (a wrong rope pair, head mapping or position is an O(0.1..1) change). With an fp16
// KV cache, K/V carry 2^-11 relative rounding, so that case uses 2e-2.
#include <gtest/gtest.h>

#include <vector>

#include "engine/src/gguf/reader.h"
#include "engine/src/model/model.h"
#include "tests/model/llama_reference.h"
#include "tests/model/model_testing.h"
#include "tests/model/synthetic_llama.h"

namespace lutra::testing {
namespace {

using engine::attention::KvType;
using engine::model::Model;
using engine::model::ModelOptions;
using engine::model::Session;

void CheckAgainstReference(const SynthLlama& cfg, const std::string& name, KvType kv, double tol,
                           size_t threads) {
  TempFile file("lutra-synth-" + name);
  ASSERT_TRUE(WriteSynthLlama(cfg, file.path()).ok());
  ModelOptions o;
  o.threads = threads;
  o.batch = 5;  // prompts of 13 run as 5 + 5 + 3
  o.kv_type = kv;
  o.context_length = 64;
  auto model = Model::Load(file.path(), o);
  ASSERT_TRUE(model.ok()) << model.error();
  EXPECT_EQ((*model)->hparams().tied_embeddings, cfg.tied);
  auto session = Session::Create(**model);
  ASSERT_TRUE(session.ok()) << session.error();
  auto gf = gguf::File::open(file.path());
  ASSERT_TRUE(gf.ok());
  RefLlama ref(*gf);

  Rng rng(cfg.seed + 100);
  std::vector<int32_t> prompt(13);
  for (int32_t& t : prompt) t = rng.Int(0, int(cfg.vocab) - 1);
  const size_t vocab = cfg.vocab;

  for (int pass = 0; pass < 2; ++pass) {  // second pass: after Reset, same results
    std::vector<float> all(prompt.size() * vocab);
    ASSERT_TRUE((*session)->Evaluate(prompt, all).ok());
    ref.Reset();
    for (size_t i = 0; i < prompt.size(); ++i) {
      const std::vector<double> want = ref.Step(prompt[i]);
      const Diff d = Compare(std::span<const float>(all).subspan(i * vocab, vocab), want);
      ASSERT_LE(d.max_abs, tol * std::max(1.0, d.ref_max))
          << name << " prefill position " << i << " pass " << pass;
    }
    int32_t next = prompt.back();
    for (int step = 0; step < 6; ++step) {
      next = (next * 7 + 3) % int32_t(vocab);
      auto got = (*session)->Decode(next);
      ASSERT_TRUE(got.ok()) << got.error();
      const Diff d = Compare(*got, ref.Step(next));
      ASSERT_LE(d.max_abs, tol * std::max(1.0, d.ref_max)) << name << " decode step " << step;
    }
    EXPECT_EQ((*session)->position(), prompt.size() + 6);
    (*session)->Reset();
  }
  // Prefill (last logits only) agrees with the reference's last position.
  auto last = (*session)->Prefill(prompt);
  ASSERT_TRUE(last.ok()) << last.error();
  ref.Reset();
  std::vector<double> want;
  for (int32_t t : prompt) want = ref.Step(t);
  const Diff d = Compare(*last, want);
  EXPECT_LE(d.max_abs, tol * std::max(1.0, d.ref_max)) << name << " prefill last";
}

TEST(LlamaSynthetic, MhaTied) {
  SynthLlama c;
  c.kv_heads = 4;
  c.tied = true;
  CheckAgainstReference(c, "mha-tied", KvType::kF32, 2e-4, 1);
}

TEST(LlamaSynthetic, Gqa2Untied) {
  SynthLlama c;
  c.seed = 2;
  CheckAgainstReference(c, "gqa2", KvType::kF32, 2e-4, 2);
}

TEST(LlamaSynthetic, Gqa8PartialRopeLinearScalingBiases) {
  SynthLlama c;
  c.dim = 128;
  c.heads = 8;
  c.kv_heads = 1;
  c.ff = 192;
  c.layers = 3;
  c.n_rot = 8;  // of head_dim 16
  c.rope_base = 500000.0;
  c.linear_factor = 4.0;
  c.biases = true;
  c.seed = 3;
  CheckAgainstReference(c, "gqa8", KvType::kF32, 2e-4, 2);
}

TEST(LlamaSynthetic, F16WeightsFreqFactorsF16Cache) {
  SynthLlama c;
  c.dim = 96;
  c.heads = 6;
  c.kv_heads = 3;
  c.wtype = gguf::TensorType::F16;
  c.freq_factors = true;
  c.tied = true;
  c.seed = 4;
  CheckAgainstReference(c, "f16", KvType::kF16, 2e-2, 1);
}

}  // namespace
}  // namespace lutra::testing
