// Phi-3 / Phi-3.5 / Phi-4-mini shaped random models (architecture "phi3") against the
// double-precision reference (llama_reference.h): fused QKV and gate/up matrices, partial
// rotary dims, LongRoPE's long and short factors picked by the session's context, its attention
// factor, sliding windows over every layer (rings that wrap), tied and untied heads, fp32 and
// fp16 caches; every prompt position after prefill in chunks, then decode steps
// (synthetic_check.h). Also: the features change the logits (so matching the reference shows
// the engine applies them), and the window llama.cpp assumed for files without the key.
//
// Tolerances are the llama tests' (llama_synthetic_test.cc): 2e-4 of the logit scale with an
// fp32 cache, 2e-2 with fp16 K/V. The attention factor (≤ 1.2 here) scales q and k's rotated
// dims, so scores grow by at most its square: within the same argument.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/src/models/model.h"
#include "tests/model/synthetic_check.h"

namespace lutra::testing {
namespace {

using engine::attention::KvType;

constexpr double kF32Tol = 2e-4;
constexpr double kF16Tol = 2e-2;

void Report(const char* name, double worst, double tol) {
  std::cout << "  " << name << ": worst |Δlogit| / max(1, max|logit|) " << worst << " (bound "
            << tol << ")\n";
}

// Phi-3-mini's proportions at test size: as many KV heads as heads, full rotary dims, an
// untied head, a window (Phi-3-mini-4k: 2047 of 4096).
SynthLlama Phi3Mini(double window, uint64_t seed) {
  SynthLlama c;
  c.arch = "phi3";
  c.dim = 64, c.heads = 4, c.kv_heads = 4, c.ff = 96, c.layers = 3;
  c.window = window;
  c.seed = seed;
  return c;
}

// Phi-4-mini's at test size: GQA 3:1, 3/4 of each head rotated (12 of 16 dims), tied head,
// LongRoPE with the converter's attention factor for a 128k/4k model, √(1 + ln 32 / ln 4096),
// its training context 8 times the short factors' (here 32 of 256), a window no shorter than
// the context (Phi-4-mini's 262144).
SynthLlama Phi4Mini(uint64_t seed) {
  SynthLlama c;
  c.arch = "phi3";
  c.dim = 96, c.heads = 6, c.kv_heads = 2, c.ff = 128, c.layers = 2, c.n_rot = 12;
  c.tied = true;
  c.long_rope = true;
  c.attn_factor = std::sqrt(1.0 + std::log(32.0) / std::log(4096.0));
  c.orig_ctx = 32;
  c.ctx = 256;
  c.window = 262144;
  c.seed = seed;
  return c;
}

TEST(Phi3Synthetic, MiniWindowInsideChunks) {
  // Window 4 < chunk 5: every prefill chunk crosses the window's edge, in every layer.
  const SynthLlama c = Phi3Mini(4, 71);
  Report("phi3 w4 f32", CheckAgainstReference(c, "phi3-w4", KvType::kF32, kF32Tol, 1), kF32Tol);
  Report("phi3 w4 f16", CheckAgainstReference(c, "phi3-w4", KvType::kF16, kF16Tol, 2), kF16Tol);
}

TEST(Phi3Synthetic, MiniLongContextRingWraps) {
  // Window 9, chunks of 6: 32 slots per layer for a 112-position context, wrapped three times.
  const SynthLlama c = Phi3Mini(9, 72);
  const CheckRun run{70, 30, 112, 6};
  Report("phi3 ring f32", CheckAgainstReference(c, "phi3-ring", KvType::kF32, kF32Tol, 2, run),
         kF32Tol);
}

TEST(Phi3Synthetic, Phi4MiniLongFactorsAboveTheOriginalContext) {
  // Context 64 > 32: the long factors.
  const SynthLlama c = Phi4Mini(73);
  Report("phi4-mini long f32", CheckAgainstReference(c, "phi4-long", KvType::kF32, kF32Tol, 1),
         kF32Tol);
  Report("phi4-mini long f16", CheckAgainstReference(c, "phi4-long", KvType::kF16, kF16Tol, 2),
         kF16Tol);
}

TEST(Phi3Synthetic, Phi4MiniShortFactorsUpToTheOriginalContext) {
  // Context 32 = the original context: the short factors (long only when above it).
  const SynthLlama c = Phi4Mini(74);
  const CheckRun run{13, 6, 32, 5};
  Report("phi4-mini short", CheckAgainstReference(c, "phi4-short", KvType::kF32, kF32Tol, 1, run),
         kF32Tol);
}

TEST(Phi3Synthetic, SeparateQkvAndOneFactorSet) {
  // llama.cpp also reads attn_q/k/v in a phi3 file; a file with only the long set divides by
  // nothing at short contexts; no attention factor key means 1; a window of 0 means none.
  SynthLlama c = Phi4Mini(75);
  c.split_qkv = true;
  c.tied = false;
  c.attn_factor = 0;
  c.window = 0;
  c.omit = {"rope_factors_short.weight"};
  const CheckRun run{13, 6, 32, 5};
  Report("phi3 split qkv", CheckAgainstReference(c, "phi3-split", KvType::kF32, kF32Tol, 1, run),
         kF32Tol);
}

TEST(Phi3Synthetic, LinearScalingFromTheOldKey) {
  // rope.scale_linear without rope.scaling.type: linear scaling, as llama.cpp reads it.
  SynthLlama c = Phi3Mini(0, 76);
  c.extra = [](gguf::Writer& w) { w.set_f32("phi3.rope.scale_linear", 4.0f); };
  Report("phi3 scale_linear", CheckAgainstReference(c, "phi3-lin", KvType::kF32, kF32Tol, 1),
         kF32Tol);
}

// The reference's logits over a prompt of `n` tokens in a context of `n_ctx`.
std::vector<std::vector<double>> RefLogits(const SynthLlama& c, size_t n, size_t n_ctx) {
  TempFile file("lutra-phi3-ref");
  EXPECT_TRUE(WriteSynthLlama(c, file.path()).ok());
  auto gf = gguf::File::open(file.path());
  EXPECT_TRUE(gf.ok());
  RefLlama ref(*gf, true, n_ctx);
  std::vector<std::vector<double>> out;
  for (size_t i = 0; i < n; ++i) out.push_back(ref.Step(int32_t((i * 37 + 5) % c.vocab)));
  return out;
}

double WorstDiff(const std::vector<std::vector<double>>& a,
                 const std::vector<std::vector<double>>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double scale = 1;
    for (double v : a[i]) scale = std::max(scale, std::fabs(v));
    for (size_t j = 0; j < a[i].size(); ++j) {
      worst = std::max(worst, std::fabs(a[i][j] - b[i][j]) / scale);
    }
  }
  return worst;
}

// Each feature the tests above rely on moves the logits by far more than their bounds: the
// long vs the short factors, the attention factor, the partial rotary dims, the window, and
// the linear scaling of the old key.
TEST(Phi3Synthetic, FeaturesChangeTheLogits) {
  const size_t n = 24;
  const SynthLlama c = Phi4Mini(77);
  const auto long_set = RefLogits(c, n, 64);
  EXPECT_GT(WorstDiff(long_set, RefLogits(c, n, 32)), 100 * kF32Tol);  // short set
  SynthLlama other = c;
  other.attn_factor = 0;
  EXPECT_GT(WorstDiff(long_set, RefLogits(other, n, 64)), 100 * kF32Tol);
  // Partial rotary: 12 of 16 dims against all 16 (without factors, whose count follows n_rot;
  // the writer draws them after the weights, so both files have the same weights).
  other = c;
  other.long_rope = false;
  const auto partial = RefLogits(other, n, 64);
  other.n_rot = 16;
  EXPECT_GT(WorstDiff(partial, RefLogits(other, n, 64)), 100 * kF32Tol);

  const SynthLlama mini = Phi3Mini(4, 78);
  const auto windowed = RefLogits(mini, n, 64);
  SynthLlama wide = mini;
  wide.window = 0;
  EXPECT_GT(WorstDiff(windowed, RefLogits(wide, n, 64)), 100 * kF32Tol);
  wide.extra = [](gguf::Writer& w) { w.set_f32("phi3.rope.scale_linear", 4.0f); };
  EXPECT_GT(WorstDiff(RefLogits(Phi3Mini(0, 78), n, 64), RefLogits(wide, n, 64)), 100 * kF32Tol);
}

// Files converted before attention.sliding_window was written get llama.cpp's defaults of the
// time: Phi-3-mini/medium-4k (32 or 40 layers, context 4096) slide over 2047 positions.
TEST(Phi3Synthetic, LegacyWindowWithoutTheKey) {
  struct Case {
    size_t layers, heads, kv_heads, ctx;
    double window;  // < 0: no key
    size_t expected;
  };
  const Case cases[] = {
      {32, 32, 32, 4096, -1, 2047},     {40, 4, 2, 4096, -1, 2047},
      {32, 32, 32, 131072, -1, 262144}, {32, 4, 2, 131072, -1, 0},
      {40, 4, 2, 131072, -1, 131072},   {3, 4, 4, 4096, -1, 0},
      {32, 4, 4, 4096, 0, 0},           {32, 4, 4, 4096, 100, 100},
  };
  for (const Case& k : cases) {
    SynthLlama c;
    c.arch = "phi3";
    c.dim = 2 * k.heads, c.ff = 16, c.vocab = 40;
    c.layers = k.layers, c.heads = k.heads, c.kv_heads = k.kv_heads, c.ctx = k.ctx;
    c.window = k.window;
    TempFile file("lutra-phi3-legacy");
    ASSERT_TRUE(WriteSynthLlama(c, file.path()).ok());
    engine::models::ModelOptions o;
    o.threads = 1;
    o.context_length = 64;
    auto model = engine::models::Model::Load(file.path(), o);
    ASSERT_TRUE(model.ok()) << model.error();
    const auto& hp = (*model)->hparams();
    EXPECT_EQ(hp.sliding_window, k.expected) << k.layers << " layers, ctx " << k.ctx;
    EXPECT_EQ(hp.sliding_layers.size(), k.expected ? k.layers : 0u);
  }
}

}  // namespace
}  // namespace lutra::testing
