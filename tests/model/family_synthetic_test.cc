// qwen2, qwen3 and BitNet b1.58 ("bitnet", "bitnet-b1.58", "bitnet-25") random models from the
// synthetic generator against the double-precision reference (llama_reference.h): logits of
// every prompt position after prefill in chunks, then of decode steps (synthetic_check.h).
//
// Tolerances:
// - qwen2/qwen3 with F32 weights and an fp32 KV cache: the same fp32-vs-double argument as the
//   llama tests (llama_synthetic_test.cc): ~1e-5 of the logit scale, bound 2e-4; F16 weights are
//   exact in both, so the same bound holds.
// - bitnet (ternary TQ1_0/TQ2_0 through the int8-exact LUT path, or F16 weights behind a
//   QuantizeInt8 node): the reference rounds the same activations to the same int8 grid and
//   multiplies the same ternary weights, so the integer dot products agree exactly; what is
//   left is fp32 rounding outside them (~1e-6 of the logit scale: most runs print ~1e-6) and
//   the rare activation whose x/s lies within that rounding (~1e-4 of a step) of a .5 tie and
//   so rounds to the other neighbour in the engine. Such a flip moves one int8 input of a
//   matrix by one step; against the √(K/12) steps of rounding noise the whole quantization
//   adds to a K = 256..512 dot product that is 1/5..1/7 of the quantization's own effect,
//   measured at 6e-3 of the logit scale for the one flip these seeds hit (bitnet-25, and
//   carried on through the KV cache). Bound 1.2e-2 (two flips); the reference without the int8
//   rounding is off by well over that (checked below), so the bound resolves the activation
//   quantization, and it is 4 orders of magnitude under the effect of a wrong scale, norm or
//   ternary code.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/src/models/model.h"
#include "tests/model/synthetic_check.h"

namespace lutra::testing {
namespace {

using engine::attention::KvType;
using gguf::TensorType;

constexpr double kFloatTol = 2e-4;
constexpr double kBitnetTol = 1.2e-2;

void Report(const char* name, double worst, double tol) {
  std::cout << "  " << name << ": worst |Δlogit| / max(1, max|logit|) " << worst << " (bound "
            << tol << ")\n";
}

TEST(Qwen2Synthetic, Gqa2BiasesUntied) {
  SynthLlama c;
  c.arch = "qwen2";
  c.biases = true;
  c.seed = 21;
  Report("qwen2 gqa2", CheckAgainstReference(c, "qwen2-gqa2", KvType::kF32, kFloatTol, 2),
         kFloatTol);
}

TEST(Qwen2Synthetic, MhaBiasesTiedF16) {
  SynthLlama c;
  c.arch = "qwen2";
  c.dim = 96, c.heads = 6, c.kv_heads = 6, c.ff = 160;
  c.biases = c.tied = true;
  c.wtype = TensorType::F16;
  c.rope_base = 1000000.0;
  c.seed = 22;
  Report("qwen2 mha f16", CheckAgainstReference(c, "qwen2-mha", KvType::kF32, kFloatTol, 1),
         kFloatTol);
}

TEST(Qwen3Synthetic, WideHeadsGqa2Tied) {
  SynthLlama c;
  c.arch = "qwen3";
  c.dim = 64, c.heads = 4, c.kv_heads = 2, c.head_dim = 32;  // q width 128 ≠ dim
  c.qk_norm = c.tied = true;
  c.rope_base = 1000000.0;
  c.seed = 31;
  Report("qwen3 gqa2", CheckAgainstReference(c, "qwen3-wide", KvType::kF32, kFloatTol, 1),
         kFloatTol);
}

TEST(Qwen3Synthetic, Gqa8PartialRopeUntied) {
  SynthLlama c;
  c.arch = "qwen3";
  c.dim = 128, c.heads = 8, c.kv_heads = 1, c.ff = 192, c.layers = 3;
  c.n_rot = 8;  // of head_dim 16: NEOX pairs (j, j + 4), dims 8..15 pass through
  c.qk_norm = true;
  c.seed = 32;
  Report("qwen3 gqa8", CheckAgainstReference(c, "qwen3-gqa8", KvType::kF32, kFloatTol, 1),
         kFloatTol);
}

SynthLlama Bitnet(const char* arch, TensorType type, uint64_t seed) {
  SynthLlama c;
  c.arch = arch;
  c.dim = 256, c.heads = 4, c.kv_heads = 2, c.ff = 512, c.vocab = 160;
  c.sub_norms = c.scales = true;
  c.wtype = type;
  c.rope_base = 500000.0;
  c.seed = seed;
  return c;
}

TEST(BitnetSynthetic, Bitnet2024Tq2_0Untied) {
  const SynthLlama c = Bitnet("bitnet", TensorType::TQ2_0, 41);
  Report("bitnet tq2_0", CheckAgainstReference(c, "bitnet", KvType::kF32, kBitnetTol, 1),
         kBitnetTol);
}

// bitnet.cpp's own file format (what its model releases ship): one scale per tensor.
TEST(BitnetSynthetic, B158I2_S) {
  const SynthLlama c = Bitnet("bitnet-b1.58", TensorType::I2_S, 44);
  Report("bitnet-b1.58 i2_s", CheckAgainstReference(c, "bitnet-b158", KvType::kF32, kBitnetTol, 1),
         kBitnetTol);
}

TEST(BitnetSynthetic, B158Tq1_0TiedMha) {
  SynthLlama c = Bitnet("bitnet-b1.58", TensorType::TQ1_0, 42);
  c.kv_heads = 4;
  c.tied = true;
  Report("bitnet-b1.58 tq1_0", CheckAgainstReference(c, "bitnet-b158", KvType::kF32, kBitnetTol, 1),
         kBitnetTol);
}

TEST(BitnetSynthetic, Bitnet25Tq2_0Gqa4NoScales) {
  SynthLlama c = Bitnet("bitnet-25", TensorType::TQ2_0, 43);
  c.heads = 8, c.kv_heads = 2, c.layers = 3;  // head_dim 32
  c.scales = false;
  c.tied = true;
  Report("bitnet-25 tq2_0", CheckAgainstReference(c, "bitnet-25", KvType::kF32, kBitnetTol, 1),
         kBitnetTol);
}

// Dense (F16) BitLinear weights: the graph rounds the activations itself.
TEST(BitnetSynthetic, B158F16Weights) {
  const SynthLlama c = Bitnet("bitnet-b1.58", TensorType::F16, 44);
  Report("bitnet-b1.58 f16", CheckAgainstReference(c, "bitnet-f16", KvType::kF32, kBitnetTol, 1),
         kBitnetTol);
}

// The bound resolves the int8 rounding: a reference without it is off by more.
TEST(BitnetSynthetic, ToleranceResolvesActivationRounding) {
  SynthLlama c = Bitnet("bitnet-b1.58", TensorType::TQ2_0, 45);
  c.layers = 3;
  TempFile file("lutra-bitnet-noquant");
  ASSERT_TRUE(WriteSynthLlama(c, file.path()).ok());
  engine::models::ModelOptions o;
  o.threads = 1;
  o.kv_type = KvType::kF32;
  o.context_length = 32;
  auto m = engine::models::Model::Load(file.path(), o);
  ASSERT_TRUE(m.ok()) << m.error();
  auto s = engine::models::Session::Create(**m);
  ASSERT_TRUE(s.ok()) << s.error();
  auto gf = gguf::File::open(file.path());
  ASSERT_TRUE(gf.ok());
  RefLlama plain(*gf, false);
  std::vector<int32_t> ids = {3, 77, 12, 150, 9, 41, 66, 101, 7, 23, 140, 58};
  std::vector<float> all(ids.size() * c.vocab);
  ASSERT_TRUE((*s)->Evaluate(ids, all).ok());
  double worst = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const Diff d =
        Compare(std::span<const float>(all).subspan(i * c.vocab, c.vocab), plain.Step(ids[i]));
    worst = std::max(worst, d.max_abs / std::max(1.0, d.ref_max));
  }
  std::cout << "  engine vs reference without int8 activations: " << worst << "\n";
  EXPECT_GT(worst, 2 * kBitnetTol);
}

}  // namespace
}  // namespace lutra::testing
