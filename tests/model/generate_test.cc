// The one generation loop (models::Generate, which lutra_generate runs) and its stop rules, on
// a synthetic llama with a small SentencePiece vocabulary: end-of-generation tokens (EOS, the
// file's EOT id, an end-of-turn marker), max_tokens, the callback and a full context. A greedy
// run without stop tokens gives the sequence; each rule must end that same sequence where it
// says, without appending or streaming the stop token. Also: sessions with their own options
// over one model generate what models loaded with those options do.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/src/models/generate.h"
#include "engine/src/models/model.h"
#include "tests/model/model_testing.h"
#include "tests/model/synthetic_llama.h"

namespace lutra::testing {
namespace {

using engine::models::GenerateOptions;
using engine::models::GenerateResult;
using engine::models::Model;
using engine::models::ModelOptions;
using engine::models::Session;
using engine::models::SessionOptions;
using engine::models::StopReason;

constexpr size_t kVocab = 120;

// Ids of the vocabulary written by WriteModel: 0 <unk>, 1 <s>, the rest plain pieces "a<i>"
// unless a stop rule renames one.
struct Vocab {
  int32_t eos = -1;     // tokenizer.ggml.eos_token_id (absent when -1)
  int32_t eot = -1;     // tokenizer.ggml.eot_token_id (absent when -1)
  int32_t marker = -1;  // this id becomes the control token "<|im_end|>"
};

Status WriteModel(const std::string& path, const Vocab& v) {
  SynthLlama c;
  c.vocab = kVocab;
  c.extra = [v](gguf::Writer& w) {
    std::vector<std::string> pieces;
    std::vector<int32_t> types;
    for (size_t i = 0; i < kVocab; ++i) {
      std::string piece = i == 0 ? "<unk>" : i == 1 ? "<s>" : "a";
      if (i > 1) piece += std::to_string(i);  // appended: GCC 12 warns on "a" + string
      pieces.push_back(piece);
      types.push_back(i == 0 ? 2 : i == 1 ? 3 : 1);
    }
    if (v.marker >= 0) {
      pieces[size_t(v.marker)] = "<|im_end|>";
      types[size_t(v.marker)] = 3;
    }
    w.set_string("tokenizer.ggml.model", "llama");
    w.set_string_array("tokenizer.ggml.tokens", pieces);
    w.set_array("tokenizer.ggml.token_type", gguf::ValueType::I32, types.data(), types.size());
    w.set_u32("tokenizer.ggml.bos_token_id", 1);
    if (v.eos >= 0) w.set_u32("tokenizer.ggml.eos_token_id", uint32_t(v.eos));
    if (v.eot >= 0) w.set_u32("tokenizer.ggml.eot_token_id", uint32_t(v.eot));
  };
  return WriteSynthLlama(c, path);
}

ModelOptions Opts(size_t context = 0) {
  ModelOptions o;
  o.threads = 1;
  o.context_length = context;
  o.kv_type = engine::attention::KvType::kF32;
  return o;
}

GenerateOptions Greedy(size_t max_tokens) {
  GenerateOptions g;
  g.max_tokens = max_tokens;
  g.sampler.temperature = 0.0f;
  return g;
}

const std::vector<int32_t> kPrompt = {1, 17, 42, 99};

struct GenRun {
  GenerateResult result;
  std::vector<int32_t> generated;  // the session's history after the prompt
  std::string text;
};

GenRun RunGenerate(const Model& model, const GenerateOptions& g, size_t stop_after_pieces = 0,
                   const SessionOptions& so = {}) {
  GenRun run;
  auto s = Session::Create(model, so);
  EXPECT_TRUE(s.ok()) << s.error();
  if (!s.ok()) return run;
  size_t pieces = 0;
  Status st = engine::models::Generate(
      **s, kPrompt, g,
      [&](std::string_view piece) {
        run.text += piece;
        return stop_after_pieces != 0 && ++pieces >= stop_after_pieces;
      },
      &run.result);
  EXPECT_TRUE(st.ok()) << st.error();
  const auto& h = (*s)->history();
  run.generated.assign(h.begin() + std::ptrdiff_t(kPrompt.size()), h.end());
  return run;
}

std::string Text(const Model& m, const std::vector<int32_t>& ids) {
  std::string t;
  for (int32_t id : ids) t += m.tokenizer()->token_bytes(id);
  return t;
}

TEST(GenerateLoop, StopRules) {
  TempFile file("lutra-generate-stops");
  ASSERT_TRUE(WriteModel(file.path(), {}).ok());
  auto plain = Model::Load(file.path(), Opts());
  ASSERT_TRUE(plain.ok()) << plain.error();
  ASSERT_TRUE((*plain)->tokenizer()->end_of_generation().empty());

  // No stop tokens: max_tokens ends it, every token appended and streamed.
  const GenRun all = RunGenerate(**plain, Greedy(16));
  ASSERT_EQ(all.generated.size(), 16u);
  EXPECT_EQ(all.result.generated_tokens, 16u);
  EXPECT_EQ(all.result.prompt_tokens, kPrompt.size());
  EXPECT_EQ(all.result.stop_reason, StopReason::kMaxTokens);
  EXPECT_TRUE(all.result.started);
  EXPECT_EQ(all.text, Text(**plain, all.generated));

  // The stop token: the first id of the sequence that did not come before (index j).
  size_t j = 3;
  while (j < all.generated.size() &&
         std::find(all.generated.begin(), all.generated.begin() + std::ptrdiff_t(j),
                   all.generated[j]) != all.generated.begin() + std::ptrdiff_t(j)) {
    ++j;
  }
  ASSERT_LT(j, all.generated.size()) << "no new token in the greedy sequence";
  const int32_t stop = all.generated[j];
  const std::vector<int32_t> before(all.generated.begin(),
                                    all.generated.begin() + std::ptrdiff_t(j));
  for (const Vocab& v : {Vocab{stop, -1, -1}, Vocab{-1, stop, -1}, Vocab{-1, -1, stop}}) {
    SCOPED_TRACE(v.eos >= 0 ? "eos" : v.eot >= 0 ? "eot" : "<|im_end|>");
    TempFile f("lutra-generate-stop");
    ASSERT_TRUE(WriteModel(f.path(), v).ok());
    auto m = Model::Load(f.path(), Opts());
    ASSERT_TRUE(m.ok()) << m.error();
    EXPECT_EQ((*m)->tokenizer()->end_of_generation(), std::vector<int32_t>{stop});
    const GenRun r = RunGenerate(**m, Greedy(16));
    EXPECT_EQ(r.result.stop_reason, StopReason::kEndOfGeneration);
    EXPECT_EQ(r.generated, before);  // the stop token is not appended
    EXPECT_EQ(r.result.generated_tokens, j);
    EXPECT_EQ(r.text, Text(**m, before));  // nor streamed
    // stop_at_eos off: the stop token is an ordinary token.
    GenerateOptions g = Greedy(16);
    g.stop_at_eos = false;
    const GenRun through = RunGenerate(**m, g);
    EXPECT_EQ(through.result.stop_reason, StopReason::kMaxTokens);
    EXPECT_EQ(through.generated, all.generated);
  }

  // max_tokens: exactly that many, a prefix of the longer run.
  const GenRun five = RunGenerate(**plain, Greedy(5));
  EXPECT_EQ(five.result.stop_reason, StopReason::kMaxTokens);
  EXPECT_EQ(five.generated, std::vector<int32_t>(all.generated.begin(), all.generated.begin() + 5));
  const GenRun none = RunGenerate(**plain, Greedy(0));
  EXPECT_TRUE(none.generated.empty());
  EXPECT_EQ(none.result.stop_reason, StopReason::kMaxTokens);

  // The callback: its true return stops after the token whose piece it received.
  const GenRun stopped = RunGenerate(**plain, Greedy(16), 3);
  EXPECT_EQ(stopped.result.stop_reason, StopReason::kCallback);
  EXPECT_EQ(stopped.generated,
            std::vector<int32_t>(all.generated.begin(), all.generated.begin() + 3));

  // A full context ends generation without an error: 4 prompt + 6 tokens in 10 positions.
  SessionOptions small;
  small.context_length = 10;
  const GenRun full = RunGenerate(**plain, Greedy(16), 0, small);
  EXPECT_EQ(full.result.stop_reason, StopReason::kContextFull);
  EXPECT_EQ(full.generated, std::vector<int32_t>(all.generated.begin(), all.generated.begin() + 6));
}

TEST(GenerateLoop, Errors) {
  TempFile file("lutra-generate-errors");
  ASSERT_TRUE(WriteModel(file.path(), {}).ok());
  auto m = Model::Load(file.path(), Opts(8));
  ASSERT_TRUE(m.ok()) << m.error();
  auto s = Session::Create(**m);
  ASSERT_TRUE(s.ok()) << s.error();
  GenerateResult r;
  // Nothing to continue from.
  EXPECT_EQ(engine::models::Generate(**s, {}, Greedy(4), nullptr, &r).code(),
            ErrorCode::kInvalidArgument);
  // A prompt that does not fit, or with an id outside the vocabulary: nothing appended.
  const std::vector<int32_t> nine(9, 5);
  Status st = engine::models::Generate(**s, nine, Greedy(4), nullptr, &r);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), ErrorCode::kContextFull);
  EXPECT_NE(st.error().find("9 tokens do not fit"), std::string::npos) << st.error();
  const std::vector<int32_t> bad = {1, int32_t(kVocab)};
  st = engine::models::Generate(**s, bad, Greedy(4), nullptr, &r);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.error().find("outside the vocabulary"), std::string::npos) << st.error();
  EXPECT_FALSE(r.started);
  EXPECT_EQ((*s)->position(), 0u);
  // Bad sampler parameters.
  GenerateOptions g = Greedy(4);
  g.sampler.top_p = 2.0f;
  EXPECT_EQ(engine::models::Generate(**s, kPrompt, g, nullptr, &r).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ((*s)->position(), 0u);
  // A continuation: an empty prompt after a generation goes on from its last token.
  ASSERT_TRUE(engine::models::Generate(**s, kPrompt, Greedy(2), nullptr, &r).ok());
  ASSERT_TRUE(engine::models::Generate(**s, {}, Greedy(1), nullptr, &r).ok());
  EXPECT_EQ(r.prompt_tokens, 0u);
  EXPECT_EQ((*s)->position(), kPrompt.size() + 3);
}

// Sessions with their own context, threads, KV type and batch over one model generate what a
// model loaded with those options does; the shared model's sessions do not disturb each other.
TEST(SessionOptions, MatchModelsLoadedWithThem) {
  TempFile file("lutra-session-options");
  ASSERT_TRUE(WriteModel(file.path(), {}).ok());
  ModelOptions base = Opts();
  base.kv_type = engine::attention::KvType::kF16;
  auto shared = Model::Load(file.path(), base);
  ASSERT_TRUE(shared.ok()) << shared.error();
  struct Case {
    size_t threads, context, batch;
    engine::attention::KvType kv;
  };
  const Case cases[] = {{2, 12, 3, engine::attention::KvType::kF32},
                        {1, 40, 0, engine::attention::KvType::kBf16},
                        {3, 0, 2, engine::attention::KvType::kF16}};
  std::vector<std::unique_ptr<Session>> sessions;
  for (const Case& c : cases) {
    SessionOptions so;
    so.threads = c.threads;
    so.context_length = c.context;
    so.batch = c.batch;
    so.kv_type = c.kv;
    auto s = Session::Create(**shared, so);
    ASSERT_TRUE(s.ok()) << s.error();
    EXPECT_EQ((*s)->threads(), c.threads);
    const size_t context = c.context != 0 ? c.context : 256u;
    EXPECT_EQ((*s)->context_length(), context);
    // A batch longer than the context is cut to it.
    EXPECT_EQ((*s)->batch(), std::min(c.batch != 0 ? c.batch : base.batch, context));
    EXPECT_EQ((*s)->kv_type(), c.kv);
    sessions.push_back(std::move(*s));
  }
  // Interleaved: one token each in turn, then compared with separately loaded models.
  std::vector<std::vector<int32_t>> out(std::size(cases));
  for (auto& s : sessions) ASSERT_TRUE(s->Prefill(kPrompt).ok());
  for (size_t step = 0; step < 20; ++step) {
    for (size_t i = 0; i < sessions.size(); ++i) {
      GenerateResult r;
      ASSERT_TRUE(engine::models::Generate(*sessions[i], {}, Greedy(1), nullptr, &r).ok());
    }
  }
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(i);
    ModelOptions o = base;
    o.threads = cases[i].threads;
    o.context_length = cases[i].context;
    o.batch = cases[i].batch != 0 ? cases[i].batch : base.batch;
    o.kv_type = cases[i].kv;
    auto alone = Model::Load(file.path(), o);
    ASSERT_TRUE(alone.ok()) << alone.error();
    auto s = Session::Create(**alone);
    ASSERT_TRUE(s.ok()) << s.error();
    ASSERT_TRUE((*s)->Prefill(kPrompt).ok());
    GenerateResult r;
    ASSERT_TRUE(engine::models::Generate(**s, {}, Greedy(20), nullptr, &r).ok());
    EXPECT_EQ(sessions[i]->history(), (*s)->history());
    EXPECT_EQ(sessions[i]->position(), (*s)->position());
  }
  // The 12-position session filled up after 8 tokens; the others ran all 20.
  EXPECT_EQ(sessions[0]->position(), 12u);
  EXPECT_EQ(sessions[1]->position(), kPrompt.size() + 20);
}

TEST(SessionOptions, Invalid) {
  TempFile file("lutra-session-options-bad");
  ASSERT_TRUE(WriteModel(file.path(), {}).ok());
  auto m = Model::Load(file.path(), Opts());
  ASSERT_TRUE(m.ok()) << m.error();
  SessionOptions o;
  o.context_length = 257;  // the training context is 256
  auto s = Session::Create(**m, o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().find("context_length 257 is above the model's limit of 256"),
            std::string::npos)
      << s.error();
  o = {};
  o.threads = 1025;
  s = Session::Create(**m, o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().find("threads 1025"), std::string::npos) << s.error();
  // A model loaded with a context beyond its training context lifts the limit to that.
  auto big = Model::Load(file.path(), Opts(300));
  ASSERT_TRUE(big.ok()) << big.error();
  o = {};
  o.context_length = 300;
  EXPECT_TRUE(Session::Create(**big, o).ok());
  o.context_length = 301;
  EXPECT_FALSE(Session::Create(**big, o).ok());
}

}  // namespace
}  // namespace lutra::testing
