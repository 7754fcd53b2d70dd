// The C API against the internal C++ model API it wraps, and the lutra.hpp wrapper (the C API
// from C is tests/api/api_test.c).
//
// Binding check: the same options through lutra_model_load and Model::Load must give bit-
// identical logits for prefill and every greedy decode step (same code path; the point is that
// options, tokens and buffers pass through the binding unchanged). The logits' correctness is
// tested against the double-precision reference in tests/model/stories_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/src/models/model.h"
#include "lutra/lutra.h"
#include "lutra/lutra.hpp"
#include "tests/model/model_testing.h"
#include "tests/testing/status_testing.h"

namespace lutra::testing {
namespace {

std::string StoriesPath() {
  return ModelsDir() + "/stories260K.gguf";
}

#define REQUIRE_STORIES()                                                                         \
  if (!std::filesystem::exists(StoriesPath())) {                                                  \
    GTEST_SKIP() << "stories260K.gguf not found in " << ModelsDir() << " (set LUTRA_MODELS_DIR)"; \
  }

lutra_model_options Options() {
  lutra_model_options o = DefaultModelOptions();
  o.threads = 1;
  o.kv_type = LUTRA_KV_F32;
  o.context_length = 128;
  o.batch = 8;  // the prompt spans several chunks
  return o;
}

size_t ArgMax(const float* v, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i) {
    if (v[i] > v[best]) best = i;
  }
  return best;
}

TEST(CApiBinding, LogitsMatchInternalSession) {
  REQUIRE_STORIES();
  const lutra_model_options co = Options();
  lutra_model* cm = nullptr;
  ASSERT_EQ(lutra_model_load(StoriesPath().c_str(), &co, &cm), LUTRA_STATUS_OK)
      << lutra_last_error();
  lutra_session* cs = nullptr;
  ASSERT_EQ(lutra_session_create(cm, &cs), LUTRA_STATUS_OK) << lutra_last_error();

  engine::models::ModelOptions mo;
  mo.threads = 1;
  mo.kv_type = engine::attention::KvType::kF32;
  mo.context_length = 128;
  mo.batch = 8;
  auto model = engine::models::Model::Load(StoriesPath(), mo);
  ASSERT_TRUE(model.ok()) << model.error();
  auto session = engine::models::Session::Create(**model);
  ASSERT_TRUE(session.ok()) << session.error();

  const std::string prompt = "Lily and Tom went to the park. They saw a big";
  const std::vector<int32_t> ids = (*model)->tokenizer()->encode(prompt, {.add_bos = true});
  std::vector<int32_t> c_ids(ids.size() + 8);
  size_t n = 0;
  ASSERT_EQ(lutra_tokenize(cm, prompt.data(), prompt.size(), 1, 0, c_ids.data(), c_ids.size(), &n),
            LUTRA_STATUS_OK);
  c_ids.resize(n);
  ASSERT_EQ(c_ids, ids);

  const float* cl = nullptr;
  size_t cn = 0;
  ASSERT_EQ(lutra_session_prefill(cs, c_ids.data(), c_ids.size(), &cl, &cn), LUTRA_STATUS_OK);
  auto l = (*session)->Prefill(ids);
  ASSERT_TRUE(l.ok()) << l.error();
  for (int step = 0; step < 40; ++step) {
    SCOPED_TRACE(step);
    ASSERT_EQ(cn, l->size());
    ASSERT_EQ(std::memcmp(cl, l->data(), cn * sizeof(float)), 0);
    const int32_t next = static_cast<int32_t>(ArgMax(cl, cn));
    ASSERT_EQ(lutra_session_decode(cs, next, &cl, &cn), LUTRA_STATUS_OK);
    l = (*session)->Decode(next);
    ASSERT_TRUE(l.ok()) << l.error();
  }
  EXPECT_EQ(lutra_session_position(cs), (*session)->position());

  // Seeded sampling: the C session sampler and the internal sampler with the same parameters
  // pick the same tokens.
  lutra_sampler_options so = DefaultSamplerOptions();
  so.seed = 1234;
  so.repeat_penalty = 1.1f;
  engine::sampler::SamplerParams sp;
  sp.temperature = so.temperature;
  sp.top_k = so.top_k;
  sp.top_p = so.top_p;
  sp.min_p = so.min_p;
  sp.repetition_penalty = so.repeat_penalty;
  sp.penalty_window = so.repeat_last_n;
  sp.seed = 1234;
  engine::sampler::Sampler sampler;
  std::string err;
  ASSERT_TRUE(
      Ok(engine::sampler::Sampler::Create(sp, l->size(), (*model)->features(), &sampler), &err))
      << err;
  for (int step = 0; step < 20; ++step) {
    int32_t ct = -1, it = -1;
    ASSERT_EQ(lutra_session_sample(cs, &so, &ct), LUTRA_STATUS_OK);
    std::vector<float> work(l->begin(), l->end());
    ASSERT_TRUE(Ok(sampler.Sample(work, (*session)->history(), &it), &err)) << err;
    ASSERT_EQ(ct, it) << "step " << step;
    ASSERT_EQ(lutra_session_decode(cs, ct, &cl, &cn), LUTRA_STATUS_OK);
    l = (*session)->Decode(it);
    ASSERT_TRUE(l.ok());
  }
  lutra_session_free(cs);
  lutra_model_free(cm);
}

// One model, sessions on two threads at once (the documented sharing) give the logits one
// session gives alone: stories260K (F32: the dense XNNPACK path) and synthetic models whose
// TQ2_0 / Q4_0 matrices take the LUT path.
std::vector<float> GreedyLogits(const Model& model, const std::vector<int32_t>& prompt, int steps) {
  Session s = Session::Create(model);
  Logits l = s.Prefill(prompt);
  std::vector<float> out(l.begin(), l.end());
  for (int i = 0; i < steps; ++i) {
    l = s.Decode(static_cast<int32_t>(ArgMax(l.data, l.size)));
    out.insert(out.end(), l.begin(), l.end());
  }
  return out;
}

void ExpectSharedAcrossThreads(const Model& model, const std::vector<int32_t>& prompt) {
  const std::vector<float> alone = GreedyLogits(model, prompt, 12);
  std::vector<float> a, b;
  std::thread ta([&] { a = GreedyLogits(model, prompt, 12); });
  std::thread tb([&] { b = GreedyLogits(model, prompt, 12); });
  ta.join();
  tb.join();
  EXPECT_EQ(a, alone);
  EXPECT_EQ(b, alone);
}

TEST(CApiBinding, ModelSharedAcrossThreads) {
  // Under emulation (LUTRA_TEST_SCALE=small) the ternary model only: writing and repacking
  // each synthetic model takes seconds there.
  const char* scale = std::getenv("LUTRA_TEST_SCALE");
  const bool small = scale != nullptr && std::string(scale) == "small";
  for (const char* wtype : {"tq2_0", "q4_0"}) {
    if (small && std::string(wtype) != "tq2_0") continue;
    SCOPED_TRACE(wtype);
    TempFile file(std::string("lutra-api-shared-") + wtype);
    lutra_synthetic_options so;
    lutra_synthetic_options_init(&so);
    so.preset = "small";
    so.weight_type = wtype;
    Check(lutra_write_synthetic_model(file.path().c_str(), &so));
    Model model = Model::Load(file.path(), Options());
    ExpectSharedAcrossThreads(model, {1, 17, 300, 42, 999, 5, 77, 123, 64, 8, 512});
  }
  if (std::filesystem::exists(StoriesPath())) {
    Model model = Model::Load(StoriesPath(), Options());
    ExpectSharedAcrossThreads(model, model.Tokenize("The cat sat on the mat and"));
  }
}

TEST(CppWrapper, ErrorsAreExceptionsWithStatus) {
  try {
    Model::Load("/nonexistent/wrapper-model.gguf");
    FAIL() << "no exception";
  } catch (const lutra::Exception& e) {
    EXPECT_EQ(e.status(), LUTRA_STATUS_IO_ERROR);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/wrapper-model.gguf"), std::string::npos);
  }
  REQUIRE_STORIES();
  lutra_model_options o = DefaultModelOptions();
  o.isa = "bogus";
  try {
    Model::Load(StoriesPath(), o);
    FAIL() << "no exception";
  } catch (const lutra::Exception& e) {
    EXPECT_EQ(e.status(), LUTRA_STATUS_ISA_UNAVAILABLE);
  }
}

TEST(CppWrapper, MoveOnlyOwnership) {
  static_assert(!std::is_copy_constructible_v<Model> && !std::is_copy_assignable_v<Model>);
  static_assert(!std::is_copy_constructible_v<Session> && !std::is_copy_assignable_v<Session>);
  static_assert(std::is_nothrow_move_constructible_v<Model>);
  static_assert(std::is_nothrow_move_constructible_v<Session>);
  REQUIRE_STORIES();
  Model a = Model::Load(StoriesPath(), Options());
  Model b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_TRUE(b);
  Session s = Session::Create(b);
  Session t;
  t = std::move(s);
  EXPECT_FALSE(s);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(t.Position(), 0u);
  a = std::move(b);  // a owns it again; b empty; destructors free exactly once (ASan/valgrind)
  EXPECT_TRUE(a);
  EXPECT_FALSE(b);  // NOLINT(bugprone-use-after-move)
}

TEST(CppWrapper, TokenizeGenerateAndStop) {
  REQUIRE_STORIES();
  Model model = Model::Load(StoriesPath(), Options());
  const lutra_model_info info = model.Info();
  EXPECT_STREQ(info.arch, "llama");
  const std::string text = "One day, a girl named Sue found a shiny red ball.";
  const std::vector<int32_t> ids = model.Tokenize(text);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids[0], info.bos);
  EXPECT_EQ(model.Tokenize(text, false), std::vector<int32_t>(ids.begin() + 1, ids.end()));
  EXPECT_EQ(model.Detokenize(ids), text);
  EXPECT_EQ(model.Piece(info.bos), "");
  EXPECT_THROW(model.Piece(-1), lutra::Exception);
  EXPECT_NE(std::string(model.LastError()).find("token -1"), std::string::npos);
  std::string pieces;
  for (int32_t id : ids) pieces += model.Piece(id);
  ASSERT_GE(pieces.size(), text.size());
  EXPECT_EQ(pieces.substr(pieces.size() - text.size()), text);
  // Chat templates: stories260K has none; a named one renders as the C call does.
  EXPECT_EQ(model.ChatTemplateName(), "raw");
  const std::vector<ChatMessage> chat = {{"system", "Be brief."}, {"user", "Tell me a story."}};
  const lutra_chat_message c_chat[] = {{"system", "Be brief."}, {"user", "Tell me a story."}};
  char rendered[512];
  size_t rendered_len = 0;
  ASSERT_EQ(lutra_chat_apply_template(model.get(), "chatml", c_chat, 2, 1, rendered,
                                      sizeof(rendered), &rendered_len),
            LUTRA_STATUS_OK);
  EXPECT_EQ(model.ApplyChatTemplate(chat, true, "chatml"), std::string(rendered, rendered_len));
  EXPECT_NE(model.ApplyChatTemplate(chat, true, "chatml").find("Tell me a story."),
            std::string::npos);
  EXPECT_THROW(model.ApplyChatTemplate(chat, true, "no-such-template"), lutra::Exception);
  // Longer than the wrappers' first buffer guesses (32 bytes, text size + 2 tokens).
  std::string long_text;
  for (int i = 0; i < 20; ++i) long_text += "The sun was hot and the sky was blue. ";
  EXPECT_EQ(model.Detokenize(model.Tokenize(long_text)), long_text);
  EXPECT_EQ(model.Tokenize("").size(), 1u);  // BOS only

  Session session = Session::Create(model);
  lutra_generate_options go = DefaultGenerateOptions();
  go.max_tokens = 30;
  go.stop_at_eos = 0;
  go.sampler.temperature = 0.0f;
  std::string streamed;
  lutra_generate_stats r = session.Generate(ids, go, [&](std::string_view piece) {
    streamed += piece;
    return true;
  });
  EXPECT_EQ(r.generated_tokens, 30u);
  EXPECT_EQ(r.stop_reason, LUTRA_STOP_MAX_TOKENS);
  // Greedy by hand through the wrapper gives the same text.
  session.Reset();
  Logits l = session.Prefill(ids);
  std::string manual;
  for (int i = 0; i < 30; ++i) {
    const int32_t next = static_cast<int32_t>(ArgMax(l.data, l.size));
    manual += model.Piece(next);
    l = session.Decode(next);
  }
  EXPECT_EQ(streamed, manual);
  lutra_sampler_options greedy = DefaultSamplerOptions();
  greedy.temperature = 0.0f;
  session.Reset();
  l = session.Prefill(ids);
  EXPECT_EQ(session.Sample(greedy), static_cast<int32_t>(ArgMax(l.data, l.size)));

  // Stopping from the callback, and an exception from it reaching the caller.
  session.Reset();
  int calls = 0;
  r = session.Generate(ids, go, [&](std::string_view) { return ++calls < 2; });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(r.stop_reason, LUTRA_STOP_CALLBACK);
  session.Reset();
  EXPECT_THROW(
      session.Generate(ids, go, [](std::string_view) -> bool { throw std::runtime_error("x"); }),
      std::runtime_error);
  session.Reset();
  EXPECT_EQ(session.Prefill(ids).size, info.n_vocab);  // still usable

  // Running out of context ends generation with its stop reason; a further decode throws.
  session.Reset();
  go.max_tokens = 500;
  r = session.Generate(ids, go);
  EXPECT_EQ(r.stop_reason, LUTRA_STOP_CONTEXT_FULL);
  EXPECT_EQ(session.Position(), info.context_length);
  try {
    session.Decode(ids[1]);
    FAIL() << "no exception";
  } catch (const lutra::Exception& e) {
    EXPECT_EQ(e.status(), LUTRA_STATUS_CONTEXT_FULL);
    EXPECT_STREQ(session.LastError(), e.what());
  }

  // Evaluate: the last row equals prefill's logits.
  session.Reset();
  const std::vector<float> all = session.Evaluate(ids, info.n_vocab);
  session.Reset();
  l = session.Prefill(ids);
  EXPECT_TRUE(std::equal(l.begin(), l.end(), all.end() - info.n_vocab));
}

// Sessions with their own options over one model, through the wrapper: each generates what a
// model loaded with those options does; bad options throw with INVALID_ARGUMENT.
TEST(CppWrapper, SessionOptions) {
  TempFile file("lutra-wrapper-session-options");
  lutra_synthetic_options syn;
  lutra_synthetic_options_init(&syn);
  Check(lutra_write_synthetic_model(file.path().c_str(), &syn));
  lutra_model_options mo = DefaultModelOptions();
  mo.threads = 1;
  Model shared = Model::Load(file.path(), mo);
  const std::vector<int32_t> prompt = {1, 17, 42, 99, 7, 250};
  lutra_generate_options go = DefaultGenerateOptions();
  go.max_tokens = 40;
  go.stop_at_eos = 0;
  go.sampler.temperature = 0.0f;
  auto generate = [&](Session& s, std::string* text) {
    return s.Generate(prompt, go, [&](std::string_view piece) {
      *text += piece;
      return true;
    });
  };
  struct Case {
    uint32_t threads, context;
    lutra_kv_type kv;
    uint32_t batch;
  };
  for (const Case& c : {Case{2, 20, LUTRA_KV_F32, 4}, Case{1, 100, LUTRA_KV_BF16, 0},
                        Case{0, 0, LUTRA_KV_DEFAULT, 1}}) {
    SCOPED_TRACE(c.context);
    lutra_session_options so = DefaultSessionOptions();
    so.threads = c.threads;
    so.context_length = c.context;
    so.kv_type = c.kv;
    so.batch = c.batch;
    Session a = Session::Create(shared, so);
    Session other = Session::Create(shared);  // the model's own settings, alongside
    std::string text_a, text_other, text_alone;
    const lutra_generate_stats ra = generate(a, &text_a);
    generate(other, &text_other);
    lutra_model_options o = mo;
    o.threads = c.threads != 0 ? c.threads : mo.threads;
    o.context_length = c.context;
    o.kv_type = c.kv != LUTRA_KV_DEFAULT ? c.kv : mo.kv_type;
    o.batch = c.batch != 0 ? c.batch : mo.batch;
    Model alone = Model::Load(file.path(), o);
    Session s = Session::Create(alone);
    const lutra_generate_stats r = generate(s, &text_alone);
    EXPECT_EQ(text_a, text_alone);
    EXPECT_EQ(ra.generated_tokens, r.generated_tokens);
    EXPECT_EQ(ra.stop_reason, r.stop_reason);
    EXPECT_EQ(a.Position(), s.Position());
    EXPECT_EQ(ra.stop_reason, c.context == 20 ? LUTRA_STOP_CONTEXT_FULL : LUTRA_STOP_MAX_TOKENS);
  }
  lutra_session_options so = DefaultSessionOptions();
  so.context_length = 1u << 20;
  try {
    Session::Create(shared, so);
    FAIL() << "no exception";
  } catch (const lutra::Exception& e) {
    EXPECT_EQ(e.status(), LUTRA_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("context_length 1048576 is above the model's limit"),
              std::string::npos)
        << e.what();
  }
  so = DefaultSessionOptions();
  so.struct_size = 8;
  EXPECT_THROW(Session::Create(shared, so), lutra::Exception);
}

}  // namespace
}  // namespace lutra::testing
