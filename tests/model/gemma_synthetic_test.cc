// Gemma 2 and Gemma 3 random models from the synthetic generator against the double-precision
// reference (llama_reference.h, which keeps every position and masks the window itself):
// every prompt position after prefill in chunks, then decode steps (synthetic_check.h), with
// windows smaller and larger than the prefill chunk, contexts several times the window (the
// sliding layers' rings wrap around), soft-capped scores and logits, fp32 and fp16 caches.
// Also: the features the tests rely on change the logits (so matching the reference shows the
// engine applies them), and a session's KV cache holds the window, not the context, for the
// sliding layers.
//
// Tolerances are the llama tests' (llama_synthetic_test.cc): 2e-4 of the logit scale with an
// fp32 cache, 2e-2 with fp16 K/V. The soft-caps only shrink differences (|d tanh| ≤ 1), and
// the post-norms renormalise each sub-layer's output, so neither adds to the argument.
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

// Gemma 3 1B's proportions at test size: one KV head, head_dim apart from dim / heads, tied
// output, 7 layers (sliding 0–4 and 6, global 5), a small window.
SynthLlama Gemma3(size_t window, uint64_t seed) {
  SynthLlama c;
  c.arch = "gemma3";
  c.dim = 64, c.heads = 4, c.kv_heads = 1, c.head_dim = 32, c.ff = 96, c.layers = 7;
  c.qk_norm = c.post_norms = c.tied = true;
  c.window = double(window);
  c.rope_base = 1000000.0;
  c.embd_range = 0.125f;  // ×√64 in the model: O(1) rows, as in the real files
  c.seed = seed;
  return c;
}

// Gemma 2 at test size: GQA 2, layers 0 and 2 sliding, soft-caps low enough to bend the
// scores and logits (the real 50 and 30 barely touch a random model's).
SynthLlama Gemma2(size_t window, uint64_t seed) {
  SynthLlama c;
  c.arch = "gemma2";
  c.dim = 64, c.heads = 4, c.kv_heads = 2, c.ff = 128, c.layers = 3;
  c.post_norms = true;
  c.window = double(window);
  c.attn_softcap = 1.5, c.final_softcap = 2.0;
  c.embd_range = 0.125f;
  c.seed = seed;
  return c;
}

TEST(Gemma3Synthetic, WindowInsideChunks) {
  // Window 4 < chunk 5: every prefill chunk crosses the window's edge.
  const SynthLlama c = Gemma3(4, 51);
  Report("gemma3 w4 f32", CheckAgainstReference(c, "gemma3-w4", KvType::kF32, kF32Tol, 1), kF32Tol);
  Report("gemma3 w4 f16", CheckAgainstReference(c, "gemma3-w4", KvType::kF16, kF16Tol, 2), kF16Tol);
}

TEST(Gemma3Synthetic, LongContextRingWraps) {
  // Window 9, chunks of 6: the sliding layers keep 32 slots (9 + 5 in whole blocks) of a
  // 112-position context; 70 prompt tokens and 30 decode steps wrap their rings three times.
  SynthLlama c = Gemma3(9, 52);
  c.linear_factor = 8.0;  // global layers only (Gemma 3 4B+ files)
  const CheckRun run{70, 30, 112, 6};
  Report("gemma3 ring f32", CheckAgainstReference(c, "gemma3-ring", KvType::kF32, kF32Tol, 2, run),
         kF32Tol);
  Report("gemma3 ring f16", CheckAgainstReference(c, "gemma3-ring", KvType::kF16, kF16Tol, 1, run),
         kF16Tol);
}

TEST(Gemma3Synthetic, WindowAboveChunkOwnSwaBaseUntied) {
  SynthLlama c = Gemma3(12, 53);
  c.tied = false;
  c.kv_heads = 2;
  c.rope_base_swa = 20000.0;
  c.final_softcap = 3.0;  // honoured when present (none by default)
  const CheckRun run{40, 12, 64, 5};
  Report("gemma3 w12", CheckAgainstReference(c, "gemma3-w12", KvType::kF32, kF32Tol, 1, run),
         kF32Tol);
}

TEST(Gemma3Synthetic, NoWindowKeyMeansGlobalLayers) {
  SynthLlama c = Gemma3(0, 54);
  c.window = -1;
  Report("gemma3 no window", CheckAgainstReference(c, "gemma3-full", KvType::kF32, kF32Tol, 1),
         kF32Tol);
}

TEST(Gemma2Synthetic, SoftcapsAndWindow) {
  const SynthLlama c = Gemma2(6, 61);
  const CheckRun run{45, 15, 64, 8};
  Report("gemma2 w6 f32", CheckAgainstReference(c, "gemma2-w6", KvType::kF32, kF32Tol, 2, run),
         kF32Tol);
  Report("gemma2 w6 f16", CheckAgainstReference(c, "gemma2-w6", KvType::kF16, kF16Tol, 1, run),
         kF16Tol);
}

TEST(Gemma2Synthetic, DefaultKeysTiedMha) {
  // No window or soft-cap keys: window 4096, caps 50 and 30 (llama.cpp's defaults).
  SynthLlama c = Gemma2(0, 62);
  c.window = c.attn_softcap = c.final_softcap = -1;
  c.kv_heads = 4;
  c.tied = true;
  Report("gemma2 defaults", CheckAgainstReference(c, "gemma2-def", KvType::kF32, kF32Tol, 1),
         kF32Tol);
}

// The reference's logits over a prompt of `n` tokens.
std::vector<std::vector<double>> RefLogits(const SynthLlama& c, size_t n) {
  TempFile file("lutra-gemma-ref");
  EXPECT_TRUE(WriteSynthLlama(c, file.path()).ok());
  auto gf = gguf::File::open(file.path());
  EXPECT_TRUE(gf.ok());
  RefLlama ref(*gf);
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

// The window, the soft-caps and the sliding layers' rope base each move the logits by far
// more than the bounds above: the tests that match the reference with them are not blind to
// them.
TEST(GemmaSynthetic, FeaturesChangeTheLogits) {
  const size_t n = 30;
  const auto g3 = RefLogits(Gemma3(6, 55), n);
  SynthLlama no_window = Gemma3(6, 55);
  no_window.window = -1;
  EXPECT_GT(WorstDiff(g3, RefLogits(no_window, n)), 100 * kF32Tol);
  SynthLlama other_base = Gemma3(6, 55);
  other_base.rope_base_swa = 1000000.0;  // the global layers' base
  EXPECT_GT(WorstDiff(g3, RefLogits(other_base, n)), 100 * kF32Tol);

  const auto g2 = RefLogits(Gemma2(6, 63), n);
  SynthLlama loose = Gemma2(6, 63);
  loose.attn_softcap = 1000.0;
  EXPECT_GT(WorstDiff(g2, RefLogits(loose, n)), 100 * kF32Tol);
  loose = Gemma2(6, 63);
  loose.final_softcap = 1000.0;
  EXPECT_GT(WorstDiff(g2, RefLogits(loose, n)), 100 * kF32Tol);
}

// The sliding layers' KV memory is bounded by window + batch whatever the context; only the
// global layers grow with it.
TEST(GemmaSynthetic, SlidingKvMemoryIsBoundedByTheWindow) {
  const SynthLlama c = Gemma3(16, 56);  // 6 sliding layers, 1 global; 1 KV head of 32
  TempFile file("lutra-gemma-kv");
  ASSERT_TRUE(WriteSynthLlama(c, file.path()).ok());
  engine::models::ModelOptions o;
  o.threads = 1;
  o.batch = 8;
  o.kv_type = KvType::kF16;
  auto model = engine::models::Model::Load(file.path(), o);
  ASSERT_TRUE(model.ok()) << model.error();
  EXPECT_EQ((*model)->hparams().sliding_window, 16u);
  const size_t per_position = 2 * 1 * 32 * 2;  // K and V, one head of 32, fp16
  for (size_t context : {size_t{64}, size_t{256}}) {
    engine::models::SessionOptions so;
    so.context_length = context;
    auto s = engine::models::Session::Create(**model, so);
    ASSERT_TRUE(s.ok()) << s.error();
    // Sliding layers: 16 + 8 − 1 positions → 32 slots; the global layer: the context.
    EXPECT_EQ((*s)->executor().kv_bytes(), per_position * (6 * 32 + context)) << context;
    // A context beyond the window runs to its end.
    std::vector<int32_t> prompt(context);
    for (size_t i = 0; i < context; ++i) prompt[i] = int32_t((i * 13 + 1) % c.vocab);
    auto last = (*s)->Prefill(prompt);
    ASSERT_TRUE(last.ok()) << last.error();
    EXPECT_EQ((*s)->position(), context);
  }
}

}  // namespace
}  // namespace lutra::testing
