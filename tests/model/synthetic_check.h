// The synthetic-model check shared by the architecture tests: a random model written by the
// synthetic generator, run by the engine and by the double-precision reference over the same
// tokens: every position's logits after batched prefill (by default chunks of 5 for a prompt
// of 13), then single-token decode steps, then again after Reset, then the last logits of a
// Prefill. Returns the worst |Δlogit| / max(1, max|logit|) seen (tests print it).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "engine/src/gguf/reader.h"
#include "engine/src/models/model.h"
#include "tests/model/llama_reference.h"
#include "tests/model/model_testing.h"
#include "tests/model/synthetic_llama.h"

namespace lutra::testing {

// The lengths of the run: a prompt prefilled in chunks of `batch`, then `decode` single steps,
// in a context of `context` positions.
struct CheckRun {
  size_t prompt = 13, decode = 6, context = 64, batch = 5;
};

inline double CheckAgainstReference(const SynthLlama& cfg, const std::string& name,
                                    engine::attention::KvType kv, double tol, size_t threads,
                                    const CheckRun& run = {}) {
  using engine::models::Model;
  using engine::models::ModelOptions;
  using engine::models::Session;
  double worst = 0;
  auto check = [&](std::span<const float> got, const std::vector<double>& want) {
    const Diff d = Compare(got, want);
    const double rel = d.max_abs / std::max(1.0, d.ref_max);
    worst = std::max(worst, rel);
    return rel <= tol;
  };
  TempFile file("lutra-synth-" + name);
  EXPECT_TRUE(WriteSynthLlama(cfg, file.path()).ok());
  ModelOptions o;
  o.threads = threads;
  o.batch = run.batch;  // prompts of 13 run as 5 + 5 + 3 by default
  o.kv_type = kv;
  o.context_length = run.context;
  auto model = Model::Load(file.path(), o);
  EXPECT_TRUE(model.ok()) << model.error();
  if (!model.ok()) return INFINITY;
  EXPECT_EQ((*model)->hparams().tied_embeddings, cfg.tied);
  auto session = Session::Create(**model);
  EXPECT_TRUE(session.ok()) << session.error();
  if (!session.ok()) return INFINITY;
  auto gf = gguf::File::open(file.path());
  EXPECT_TRUE(gf.ok());
  if (!gf.ok()) return INFINITY;
  RefLlama ref(*gf, /*int8_activations=*/true, run.context);

  Rng rng(cfg.seed + 100);
  std::vector<int32_t> prompt(run.prompt);
  for (int32_t& t : prompt) t = rng.Int(0, int(cfg.vocab) - 1);
  const size_t vocab = cfg.vocab;

  for (int pass = 0; pass < 2; ++pass) {  // second pass: after Reset, same results
    std::vector<float> all(prompt.size() * vocab);
    Status st = (*session)->Evaluate(prompt, all);
    EXPECT_TRUE(st.ok()) << st.error();
    if (!st.ok()) return INFINITY;
    ref.Reset();
    for (size_t i = 0; i < prompt.size(); ++i) {
      const std::vector<double> want = ref.Step(prompt[i]);
      EXPECT_TRUE(check(std::span<const float>(all).subspan(i * vocab, vocab), want))
          << name << " prefill position " << i << " pass " << pass << ": worst " << worst;
    }
    int32_t next = prompt.back();
    for (size_t step = 0; step < run.decode; ++step) {
      next = (next * 7 + 3) % int32_t(vocab);
      auto got = (*session)->Decode(next);
      EXPECT_TRUE(got.ok()) << got.error();
      if (!got.ok()) return INFINITY;
      EXPECT_TRUE(check(*got, ref.Step(next)))
          << name << " decode step " << step << ": worst " << worst;
    }
    EXPECT_EQ((*session)->position(), prompt.size() + run.decode);
    (*session)->Reset();
  }
  // Prefill (last logits only) agrees with the reference's last position.
  auto last = (*session)->Prefill(prompt);
  EXPECT_TRUE(last.ok()) << last.error();
  if (!last.ok()) return INFINITY;
  ref.Reset();
  std::vector<double> want;
  for (int32_t t : prompt) want = ref.Step(t);
  EXPECT_TRUE(check(*last, want)) << name << " prefill last: worst " << worst;
  return worst;
}

}  // namespace lutra::testing
