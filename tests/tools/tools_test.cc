// The command-line tools run as a user runs them (separate processes, output parsed from
// their stdout/stderr), checked against the test's own double-precision reference model:
// lutra-run's greedy text, lutra-perplexity's PPL, lutra-bench's JSON, and the exit status and
// message of bad invocations. Native builds only (the tools are spawned through the shell).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/src/gguf/reader.h"
#include "engine/src/tokenizer/tokenizer.h"
#include "tests/model/llama_reference.h"
#include "tests/model/model_testing.h"
#include "tests/tools/json_check.h"

namespace lutra::testing {
namespace {

struct ToolRun {
  int status = -1;
  std::string out;  // stdout, or stdout + stderr with merge
};

ToolRun Exec(const std::string& tool, const std::string& args, bool merge_stderr = false) {
  const std::string cmd = std::string(LUTRA_TOOLS_DIR) + "/" + tool + " " + args +
                          (merge_stderr ? " 2>&1" : " 2>/dev/null");
  ToolRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string Stories() {
  return ModelsDir() + "/stories260K.gguf";
}
std::string StoryText() {
  return std::string(LUTRA_TEST_DATA_DIR) + "/story.txt";
}

#define REQUIRE_STORIES()                                                       \
  if (!std::ifstream(Stories()).good()) {                                       \
    GTEST_SKIP() << Stories() << " is absent (set LUTRA_MODELS_DIR); skipping"; \
  }

TEST(Tools, RunPrintsTheGreedyContinuation) {
  REQUIRE_STORIES();
  const ToolRun r = Exec("lutra-run", "-m " + Stories() + " -p 'Once upon a time' -n 24 --temp 0");
  ASSERT_EQ(r.status, 0) << r.out;
  // Reference: greedy over the double-precision model, text from the token pieces.
  auto f = gguf::File::open(Stories());
  ASSERT_TRUE(f.ok());
  auto tok = load_tokenizer(*f);
  ASSERT_TRUE(tok.ok());
  RefLlama ref(*f);
  std::vector<double> logits;
  for (int32_t t : (*tok)->encode("Once upon a time", {.add_bos = true})) logits = ref.Step(t);
  std::string want;
  for (int i = 0; i < 24; ++i) {
    const int32_t next = ArgMax(logits);
    if (next == (*tok)->eos()) break;
    want += (*tok)->token_bytes(next);
    logits = ref.Step(next);
  }
  EXPECT_EQ(r.out, want + "\n");
}

TEST(Tools, PerplexityMatchesReference) {
  REQUIRE_STORIES();
  const ToolRun r = Exec("lutra-perplexity", "-m " + Stories() + " -f " + StoryText() +
                                                 " -c 64 --stride 32 --kv-type f32");
  ASSERT_EQ(r.status, 0) << r.out;
  double ppl = 0, err = 0;
  ASSERT_EQ(std::sscanf(r.out.c_str(), "PPL = %lf +/- %lf", &ppl, &err), 2) << r.out;

  // The same windows scored by the reference: 64-token windows every 32 tokens, each from an
  // empty cache, every token scored once.
  auto f = gguf::File::open(Stories());
  ASSERT_TRUE(f.ok());
  auto tok = load_tokenizer(*f);
  ASSERT_TRUE(tok.ok());
  std::ifstream in(StoryText());
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  const std::vector<int32_t> ids = (*tok)->encode(text, {.add_bos = true});
  RefLlama ref(*f);
  double nll = 0;
  size_t scored = 0, next = 1;
  for (size_t begin = 0; next < ids.size(); begin += 32) {
    const size_t end = std::min(ids.size(), begin + 64);
    ref.Reset();
    std::vector<std::vector<double>> logits;
    for (size_t i = begin; i < end; ++i) logits.push_back(ref.Step(ids[i]));
    for (size_t t = std::max(next, begin + 1); t < end; ++t) {
      const std::vector<double>& l = logits[t - 1 - begin];
      double mx = -INFINITY, z = 0;
      for (double v : l) mx = std::max(mx, v);
      for (double v : l) z += std::exp(v - mx);
      nll += mx + std::log(z) - l[size_t(ids[t])];
      ++scored;
    }
    next = end;
  }
  const double want = std::exp(nll / double(scored));
  // fp32 engine logits are within ~1e-4 of the reference: the PPL agrees to ~1e-4 relative.
  EXPECT_NEAR(ppl, want, 1e-3 * want) << "reference PPL " << want;
  EXPECT_GT(err, 0.0);
  EXPECT_LT(err, ppl);
}

TEST(Tools, BenchPrintsValidJson) {
  const ToolRun r =
      Exec("lutra-bench", "--synthetic tiny --wtype f32 -p 8 -n 4 -t 1,2 -r 2 -o json");
  ASSERT_EQ(r.status, 0) << r.out;
  std::string error;
  ASSERT_TRUE(IsValidJson(r.out, &error)) << error << "\n" << r.out;
  size_t objects = 0;
  for (size_t at = 0; (at = r.out.find("\"avg_ts\":", at)) != std::string::npos; ++at) ++objects;
  EXPECT_EQ(objects, 4u);  // pp8 and tg4 at 1 and 2 threads
  EXPECT_NE(r.out.find("\"test\": \"tg4\""), std::string::npos);
  // The tg results carry a number (its size depends on the machine's load), pp results null.
  const size_t tg = r.out.find("\"test\": \"tg4\"");
  ASSERT_NE(tg, std::string::npos);
  const size_t f = r.out.find("\"roofline_fraction\": ", tg);
  ASSERT_NE(f, std::string::npos);
  const char c = r.out[f + 21];
  EXPECT_TRUE(c >= '0' && c <= '9') << r.out.substr(f, 40);

  // -d: the tests run after that many tokens of context, and say so.
  const ToolRun deep =
      Exec("lutra-bench", "--synthetic tiny --wtype f32 -p 4 -n 4 -d 0,40 -t 1 -r 1 -o json");
  ASSERT_EQ(deep.status, 0) << deep.out;
  ASSERT_TRUE(IsValidJson(deep.out, &error)) << error << "\n" << deep.out;
  EXPECT_NE(deep.out.find("\"test\": \"tg4\", \"n_prompt\": 0, \"n_gen\": 4, \"n_depth\": 0"),
            std::string::npos)
      << deep.out;
  EXPECT_NE(
      deep.out.find("\"test\": \"tg4 @ d40\", \"n_prompt\": 0, \"n_gen\": 4, \"n_depth\": 40"),
      std::string::npos)
      << deep.out;
  EXPECT_NE(deep.out.find("\"test\": \"pp4 @ d40\""), std::string::npos) << deep.out;

  const ToolRun lines =
      Exec("lutra-bench", "--synthetic tiny --wtype q8_0 -p 8 -n 0 -t 1 -r 1 -o jsonl");
  ASSERT_EQ(lines.status, 0) << lines.out;
  EXPECT_TRUE(IsValidJson(lines.out.substr(0, lines.out.find('\n')), &error)) << error;
}

TEST(Tools, BadInvocationsNameTheProblem) {
  ToolRun r = Exec("lutra-run", "-p hello", true);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("no model given (-m FILE)"), std::string::npos) << r.out;
  r = Exec("lutra-run", "-m /nonexistent/model.gguf -p hello", true);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("/nonexistent/model.gguf: cannot open"), std::string::npos) << r.out;
  r = Exec("lutra-run", "-m x.gguf -p hello --top-p 7", true);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("--top-p 7: expected a number"), std::string::npos) << r.out;
  r = Exec("lutra-bench", "--synthetic nope", true);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("unknown synthetic preset 'nope'"), std::string::npos) << r.out;
  r = Exec("lutra-bench", "--synthetic tiny --kv-type q8", true);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("--kv-type q8: expected f16, f32 or bf16"), std::string::npos) << r.out;
  r = Exec("lutra-bench", "--synthetic tiny -t 0", true);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("-t: '0' is not an integer in [1, 1024]"), std::string::npos) << r.out;
  r = Exec("lutra-perplexity", "-m x.gguf -f /nonexistent/text.txt", true);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("cannot read /nonexistent/text.txt"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace lutra::testing
