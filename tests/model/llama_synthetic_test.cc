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

#include <cstdio>

#include <vector>

#include "engine/src/gguf/reader.h"
#include "engine/src/models/model.h"
#include "tests/model/llama_reference.h"
#include "tests/model/model_testing.h"
#include "tests/model/synthetic_check.h"
#include "tests/model/synthetic_llama.h"

namespace lutra::testing {
namespace {

using engine::attention::KvType;

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

// A bf16 cache rounds K, V (and, with bf16 dot products, Q and P) to 8 significant bits, about
// eight times fp16's error: the bound scales the fp16 test's accordingly.
TEST(LlamaSynthetic, Gqa4Bf16Cache) {
  SynthLlama c;
  c.dim = 128;
  c.heads = 8;
  c.kv_heads = 2;
  c.seed = 6;
  const double worst = CheckAgainstReference(c, "bf16", KvType::kBf16, 5e-2, 2);
  std::printf("bf16 cache: worst |dlogit| / max|logit| %.3g\n", worst);
}

}  // namespace
}  // namespace lutra::testing
