// stories260K (a real trained llama2.c model, all F32) against the double-precision reference:
// greedy continuations of several prompts for 80 tokens must be identical, and the logits of
// the prefill and of every decode step agree within tolerance.
//
// Tolerance: fp32 engine (fp32 KV cache) vs double: dot products of ≤ 172 terms, 5 layers,
// logits of magnitude ~10-20: expected error ~1e-5 relative; bound 2e-4 × max(1, max|logit|)
// (the same derivation as the synthetic tests). A wrong rope layout or head mapping changes
// logits by O(1) and the continuation within a few tokens.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine/src/gguf/reader.h"
#include "engine/src/models/generate.h"
#include "engine/src/models/model.h"
#include "tests/model/llama_reference.h"
#include "tests/model/model_testing.h"

namespace lutra::testing {
namespace {

using engine::models::Model;
using engine::models::ModelOptions;
using engine::models::Session;

constexpr double kTol = 2e-4;
constexpr size_t kGenerate = 80;

std::string StoriesPath() {
  return ModelsDir() + "/stories260K.gguf";
}

TEST(Stories260K, GreedyMatchesReference) {
  if (!std::filesystem::exists(StoriesPath())) {
    GTEST_SKIP() << "stories260K.gguf not found in " << ModelsDir() << " (set LUTRA_MODELS_DIR)";
  }
  ModelOptions o;
  o.threads = 1;  // tiny model: thread wake-ups would dominate
  o.kv_type = engine::attention::KvType::kF32;
  o.batch = 16;
  o.context_length = 256;
  auto model = Model::Load(StoriesPath(), o);
  ASSERT_TRUE(model.ok()) << model.error();
  const Tokenizer* tok = (*model)->tokenizer();
  ASSERT_NE(tok, nullptr);
  auto session = Session::Create(**model);
  ASSERT_TRUE(session.ok()) << session.error();
  auto gf = gguf::File::open(StoriesPath());
  ASSERT_TRUE(gf.ok());
  RefLlama ref(*gf);
  std::cout << "  " << (*session)->MemoryReport() << "\n";

  for (const char* prompt : {"Once upon a time", "The little dog was sad because",
                             "Lily and Tom went to the park. They saw a big",
                             "One day, a girl named Sue found a shiny red ball in the garden."}) {
    SCOPED_TRACE(prompt);
    const std::vector<int32_t> ids = tok->encode(prompt, {.add_bos = true});
    (*session)->Reset();
    ref.Reset();
    auto logits = (*session)->Prefill(ids);
    ASSERT_TRUE(logits.ok()) << logits.error();
    std::vector<double> want;
    for (int32_t t : ids) want = ref.Step(t);
    Diff d = Compare(*logits, want);
    ASSERT_LE(d.max_abs, kTol * std::max(1.0, d.ref_max)) << "prefill";

    std::vector<int32_t> engine_tokens, ref_tokens;
    std::span<const float> cur = *logits;
    for (size_t i = 0; i < kGenerate; ++i) {
      const int32_t e = ArgMax(cur), r = ArgMax(want);
      engine_tokens.push_back(e);
      ref_tokens.push_back(r);
      ASSERT_EQ(e, r) << "greedy token " << i << " differs";
      auto next = (*session)->Decode(e);
      ASSERT_TRUE(next.ok()) << next.error();
      cur = *next;
      want = ref.Step(r);
      d = Compare(cur, want);
      ASSERT_LE(d.max_abs, kTol * std::max(1.0, d.ref_max)) << "decode step " << i;
    }
    EXPECT_EQ(engine_tokens, ref_tokens);
    std::cout << "  [" << prompt << "]" << tok->decode(engine_tokens) << "\n";
  }
}

// Streaming generation: greedy text equals the decode of the reference's greedy tokens, and the
// streamed pieces concatenate to the whole continuation; the callback can stop generation.
TEST(Stories260K, GenerateStreams) {
  if (!std::filesystem::exists(StoriesPath())) {
    GTEST_SKIP() << "stories260K.gguf not found in " << ModelsDir() << " (set LUTRA_MODELS_DIR)";
  }
  ModelOptions o;
  o.threads = 1;
  o.kv_type = engine::attention::KvType::kF32;
  auto model = Model::Load(StoriesPath(), o);
  ASSERT_TRUE(model.ok()) << model.error();
  const Tokenizer* tok = (*model)->tokenizer();
  auto session = Session::Create(**model);
  ASSERT_TRUE(session.ok()) << session.error();
  auto gf = gguf::File::open(StoriesPath());
  RefLlama ref(*gf);

  const std::vector<int32_t> ids = tok->encode("Tim had a big red", {.add_bos = true});
  std::vector<double> want;
  for (int32_t t : ids) want = ref.Step(t);
  std::vector<int32_t> ref_tokens;
  for (size_t i = 0; i < 64; ++i) {
    const int32_t r = ArgMax(want);
    if (r == tok->eos()) break;
    ref_tokens.push_back(r);
    want = ref.Step(r);
  }
  std::string ref_text;
  for (int32_t t : ref_tokens) ref_text += tok->token_bytes(t);

  engine::models::GenerateOptions g;
  g.max_tokens = 64;
  g.sampler.temperature = 0.0f;
  std::string streamed;
  engine::models::GenerateResult r;
  Status st = engine::models::Generate(
      **session, ids, g,
      [&](std::string_view piece) {
        streamed += piece;
        return false;
      },
      &r);
  ASSERT_TRUE(st.ok()) << st.error();
  const std::vector<int32_t>& history = (*session)->history();
  EXPECT_EQ(std::vector<int32_t>(history.begin() + std::ptrdiff_t(ids.size()), history.end()),
            ref_tokens);
  EXPECT_EQ(r.generated_tokens, ref_tokens.size());
  EXPECT_EQ(streamed, ref_text);

  (*session)->Reset();
  size_t pieces = 0;
  st = engine::models::Generate(
      **session, ids, g, [&](std::string_view) { return ++pieces >= 3; }, &r);
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_EQ(r.stop_reason, engine::models::StopReason::kCallback);
  EXPECT_EQ(pieces, 3u);
}

}  // namespace
}  // namespace lutra::testing
