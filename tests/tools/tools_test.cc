// The command-line tools run as a user runs them (separate processes, output parsed from
// their stdout/stderr), checked against the test's own double-precision reference model:
// lutra-run's greedy text, lutra-perplexity's PPL, lutra-bench's JSON, and the exit status and
// message of bad invocations. Native builds only (the tools are spawned through the shell).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
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

// The text as both perplexity tools read a -f file: without one final newline (llama.cpp).
std::string StoryTextAsScored() {
  std::ifstream in(StoryText());
  std::string text((std::istreambuf_iterator<char>(in)), {});
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// "Final estimate: PPL = x +/- y", llama-perplexity's last line.
bool FinalEstimate(const std::string& out, double* ppl, double* err) {
  const size_t at = out.find("Final estimate: ");
  return at != std::string::npos &&
         std::sscanf(out.c_str() + at, "Final estimate: PPL = %lf +/- %lf", ppl, err) == 2;
}

double Nll(const std::vector<double>& l, int32_t target) {
  double mx = -INFINITY, z = 0;
  for (double v : l) mx = std::max(mx, v);
  for (double v : l) z += std::exp(v - mx);
  return mx + std::log(z) - l[size_t(target)];
}

// The default method is llama-perplexity's: the tokens in chunks of -c, the first token of
// each chunk replaced by BOS, each chunk from an empty cache, positions c/2 .. c−2 predicting
// the next token; a running "[i]ppl," per chunk, then the final estimate with the standard
// error of the mean NLL. Redone here on the double-precision reference model.
TEST(Tools, PerplexityDefaultIsLlamaPerplexityChunks) {
  REQUIRE_STORIES();
  const size_t c = 64;
  const ToolRun r =
      Exec("lutra-perplexity", "-m " + Stories() + " -f " + StoryText() + " -c 64 --kv-type f32");
  ASSERT_EQ(r.status, 0) << r.out;
  double ppl = 0, err = 0;
  ASSERT_TRUE(FinalEstimate(r.out, &ppl, &err)) << r.out;

  auto f = gguf::File::open(Stories());
  ASSERT_TRUE(f.ok());
  auto tok = load_tokenizer(*f);
  ASSERT_TRUE(tok.ok());
  const std::vector<int32_t> ids = (*tok)->encode(StoryTextAsScored(), {.add_bos = true});
  const size_t n_chunks = ids.size() / c;
  ASSERT_GE(n_chunks, 2u);
  RefLlama ref(*f);
  double sum = 0, sum_sq = 0;
  size_t count = 0;
  std::vector<double> running;
  for (size_t k = 0; k < n_chunks; ++k) {
    std::vector<int32_t> chunk(ids.begin() + std::ptrdiff_t(k * c),
                               ids.begin() + std::ptrdiff_t((k + 1) * c));
    chunk[0] = (*tok)->bos();
    ref.Reset();
    std::vector<std::vector<double>> logits;
    for (int32_t t : chunk) logits.push_back(ref.Step(t));
    for (size_t p = c / 2; p + 1 < c; ++p) {
      const double v = Nll(logits[p], chunk[p + 1]);
      sum += v, sum_sq += v * v, ++count;
    }
    running.push_back(std::exp(sum / double(count)));
  }
  const double want = std::exp(sum / double(count));
  const double mean = sum / double(count), var = sum_sq / double(count) - mean * mean;
  const double want_err = want * std::sqrt(var / double(count - 1));
  EXPECT_EQ(count, n_chunks * (c - c / 2 - 1));
  EXPECT_NEAR(ppl, want, 1e-3 * want) << "reference PPL " << want;
  EXPECT_NEAR(err, want_err, 1e-2 * want_err) << "reference error " << want_err;
  // One running figure per chunk, in order, the last one the final estimate.
  for (size_t k = 0; k < n_chunks; ++k) {
    // Appended piece by piece: GCC 12's -Wrestrict misfires on "[" + to_string(..) + "]" here.
    std::string tag = "[";
    tag += std::to_string(k + 1);
    tag += ']';
    const size_t at = r.out.find(tag);
    ASSERT_NE(at, std::string::npos) << tag << " missing:\n" << r.out;
    EXPECT_NEAR(std::atof(r.out.c_str() + at + tag.size()), running[k], 1e-3 * running[k]) << tag;
  }
  EXPECT_EQ(r.out.find("[" + std::to_string(n_chunks + 1) + "]"), std::string::npos);

  // --chunks 1 scores the first chunk alone.
  const ToolRun one = Exec("lutra-perplexity", "-m " + Stories() + " -f " + StoryText() +
                                                   " -c 64 --chunks 1 --kv-type f32");
  ASSERT_TRUE(FinalEstimate(one.out, &ppl, &err)) << one.out;
  EXPECT_NEAR(ppl, running[0], 1e-3 * running[0]);
}

// Each tool's --help lists each flag once and only flags the tool takes: lutra-perplexity has
// no sampling flags, and its -c is the chunk length.
TEST(Tools, HelpListsEachFlagOnce) {
  for (const char* tool : {"lutra-perplexity", "lutra-run", "lutra-chat"}) {
    const ToolRun r = Exec(tool, "--help");
    ASSERT_EQ(r.status, 0) << tool;
    std::vector<std::string> flags;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      const size_t at = line.find_first_not_of(' ');
      if (at != 2 || line[at] != '-') continue;  // flag lines are indented by two
      std::istringstream words(line.substr(at));
      for (std::string w; words >> w && w[0] == '-';) {
        if (w.back() == ',') w.pop_back();
        EXPECT_EQ(std::count(flags.begin(), flags.end(), w), 0)
            << tool << " lists " << w << " twice";
        flags.push_back(w);
      }
    }
    const bool samples = std::string(tool) != "lutra-perplexity";
    EXPECT_EQ(std::count(flags.begin(), flags.end(), "--temp"), samples ? 1 : 0) << tool;
    EXPECT_EQ(std::count(flags.begin(), flags.end(), "-c"), 1) << tool;
    EXPECT_EQ(std::count(flags.begin(), flags.end(), "-m"), 1) << tool;
  }
  const ToolRun r = Exec("lutra-perplexity", "-m x.gguf -f x.txt --temp 0", true);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("unknown flag --temp"), std::string::npos) << r.out;
}

TEST(Tools, PerplexityStrideMatchesReference) {
  REQUIRE_STORIES();
  const ToolRun r = Exec("lutra-perplexity", "-m " + Stories() + " -f " + StoryText() +
                                                 " -c 64 --stride 32 --kv-type f32");
  ASSERT_EQ(r.status, 0) << r.out;
  double ppl = 0, err = 0;
  ASSERT_TRUE(FinalEstimate(r.out, &ppl, &err)) << r.out;

  // The same windows scored by the reference: 64-token windows every 32 tokens, each from an
  // empty cache, every token scored once.
  auto f = gguf::File::open(Stories());
  ASSERT_TRUE(f.ok());
  auto tok = load_tokenizer(*f);
  ASSERT_TRUE(tok.ok());
  const std::vector<int32_t> ids = (*tok)->encode(StoryTextAsScored(), {.add_bos = true});
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

  // -b: each pp test once per batch size, named by it; tg tests once.
  const ToolRun batches =
      Exec("lutra-bench", "--synthetic tiny --wtype f32 -p 12 -n 2 -b 4,16 -t 1 -r 1 -o json");
  ASSERT_EQ(batches.status, 0) << batches.out;
  ASSERT_TRUE(IsValidJson(batches.out, &error)) << error << "\n" << batches.out;
  EXPECT_NE(batches.out.find("\"test\": \"pp12 b4\""), std::string::npos) << batches.out;
  EXPECT_NE(batches.out.find("\"test\": \"pp12 b16\""), std::string::npos) << batches.out;
  EXPECT_NE(batches.out.find("\"n_depth\": 0, \"n_batch\": 16"), std::string::npos) << batches.out;
  EXPECT_NE(batches.out.find("\"test\": \"tg2\""), std::string::npos) << batches.out;
  EXPECT_EQ(batches.out.find("\"test\": \"pp12\""), std::string::npos) << batches.out;
  EXPECT_NE(Exec("lutra-bench", "--synthetic tiny -b 0").status, 0);

  const ToolRun lines =
      Exec("lutra-bench", "--synthetic tiny --wtype q8_0 -p 8 -n 0 -t 1 -r 1 -o jsonl");
  ASSERT_EQ(lines.status, 0) << lines.out;
  EXPECT_TRUE(IsValidJson(lines.out.substr(0, lines.out.find('\n')), &error)) << error;
}

// --wtype i2_s reaches the synthetic writer (bitnet.cpp's type: 128-weight blocks, so "small"
// with its widths of 256 and 768 fits) and the model it writes runs.
TEST(Tools, BenchRunsI2SSyntheticModels) {
  const ToolRun r = Exec(
      "lutra-bench", "--synthetic small --wtype i2_s -p 0 -n 2 -t 1 -r 1 --no-load-stats -o json");
  ASSERT_EQ(r.status, 0) << r.out;
  std::string error;
  ASSERT_TRUE(IsValidJson(r.out, &error)) << error << "\n" << r.out;
  EXPECT_NE(r.out.find("\"model\": \"synthetic small i2_s\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"test\": \"tg2\""), std::string::npos) << r.out;
}

// The text of `key`'s value in the first JSON object at or after `from` ("" when absent).
std::string JsonValue(const std::string& json, const std::string& key, size_t from = 0) {
  const std::string k = "\"" + key + "\": ";
  const size_t at = json.find(k, from);
  if (at == std::string::npos) return "";
  const size_t start = at + k.size();
  return json.substr(start, json.find_first_of(",}", start) - start);
}

std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  for (std::string f; std::getline(in, f, ',');) fields.push_back(f);
  if (!line.empty() && line.back() == ',') fields.push_back("");
  return fields;
}

// A positive number (strtod reads the whole text).
bool Positive(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size() && v > 0 && std::isfinite(v);
}

// The load times, peak RSS, last-level cache and roofline buffer each format carries; values
// checked for presence and sign only (their sizes depend on the machine and its load).
TEST(Tools, BenchReportsLoadTimesPeakRssAndTheCache) {
  const ToolRun csv =
      Exec("lutra-bench", "--synthetic tiny --wtype q4_0 -p 4 -n 4 -t 1 -r 1 -o csv");
  ASSERT_EQ(csv.status, 0) << csv.out;
  std::vector<std::string> lines;
  std::stringstream in(csv.out);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 3u) << csv.out;  // the header, pp4, tg4
  // The earlier columns keep their places; the new ones follow.
  EXPECT_EQ(lines[0],
            "model,model_size,model_n_params,isa,n_threads,test,n_prompt,n_gen,n_depth,avg_ts,"
            "stddev_ts,bandwidth_bytes_per_s,bytes_per_token,roofline_fraction,"
            "bandwidth_buffer_bytes,llc_bytes,load_cold_s,load_warm_s,peak_rss,macs_per_token,"
            "int8_peak_macs_per_s,int8_peak_kernel,int8_fraction,n_batch");
  const std::vector<std::string> header = SplitCsv(lines[0]);
  for (size_t row = 1; row < lines.size(); ++row) {
    const std::vector<std::string> f = SplitCsv(lines[row]);
    ASSERT_EQ(f.size(), header.size()) << lines[row];
    std::map<std::string, std::string> v;
    for (size_t i = 0; i < f.size(); ++i) v[header[i]] = f[i];
    EXPECT_TRUE(Positive(v["load_cold_s"])) << lines[row];
    EXPECT_TRUE(Positive(v["load_warm_s"])) << lines[row];
    EXPECT_TRUE(Positive(v["peak_rss"])) << lines[row];
    EXPECT_TRUE(Positive(v["bandwidth_buffer_bytes"])) << lines[row];
    EXPECT_TRUE(Positive(v["bandwidth_bytes_per_s"])) << lines[row];
    // Empty only where neither sysfs nor the library knows the cache.
    EXPECT_TRUE(v["llc_bytes"].empty() || Positive(v["llc_bytes"])) << lines[row];
    // Prefill (the first row) against the int8 peak; decode has none of it.
    const bool pp = row == 1;
    EXPECT_EQ(Positive(v["macs_per_token"]), pp) << lines[row];
    EXPECT_EQ(Positive(v["int8_peak_macs_per_s"]), pp) << lines[row];
    EXPECT_EQ(Positive(v["int8_fraction"]), pp) << lines[row];
    EXPECT_EQ(v["int8_peak_kernel"].rfind("lutra_peak_dot_i8_", 0) == 0, pp) << lines[row];
  }

  // --no-load-stats: no load times (null), the peak RSS still measured.
  const ToolRun json = Exec(
      "lutra-bench", "--synthetic tiny --wtype q4_0 -p 0 -n 4 -t 1,2 -r 1 --no-load-stats -o json");
  ASSERT_EQ(json.status, 0) << json.out;
  std::string error;
  ASSERT_TRUE(IsValidJson(json.out, &error)) << error << "\n" << json.out;
  size_t objects = 0;
  for (size_t at = json.out.find("{\"model\""); at != std::string::npos;
       at = json.out.find("{\"model\"", at + 1)) {
    ++objects;
    EXPECT_EQ(JsonValue(json.out, "load_cold_s", at), "null") << json.out;
    EXPECT_EQ(JsonValue(json.out, "load_warm_s", at), "null") << json.out;
    EXPECT_TRUE(Positive(JsonValue(json.out, "peak_rss", at))) << json.out;
    EXPECT_TRUE(Positive(JsonValue(json.out, "bandwidth_buffer_bytes", at))) << json.out;
    const std::string llc = JsonValue(json.out, "llc_bytes", at);
    EXPECT_TRUE(llc == "null" || Positive(llc)) << json.out;
  }
  EXPECT_EQ(objects, 2u) << json.out;
  const ToolRun loads =
      Exec("lutra-bench", "--synthetic tiny --wtype q4_0 -p 0 -n 4 -t 1 -r 1 -o json");
  ASSERT_EQ(loads.status, 0) << loads.out;
  EXPECT_TRUE(Positive(JsonValue(loads.out, "load_cold_s"))) << loads.out;
  EXPECT_TRUE(Positive(JsonValue(loads.out, "load_warm_s"))) << loads.out;

  // md: the new columns filled in every row, and the cache line under the table.
  const ToolRun md = Exec("lutra-bench", "--synthetic tiny --wtype q4_0 -p 0 -n 4 -t 1 -r 1");
  ASSERT_EQ(md.status, 0) << md.out;
  EXPECT_NE(md.out.find("| roofline | load cold | load warm | peak RSS |\n"), std::string::npos)
      << md.out;
  const size_t row = md.out.find("| tg4 |");
  ASSERT_NE(row, std::string::npos) << md.out;
  const std::string cells = md.out.substr(row, md.out.find('\n', row) - row);
  EXPECT_EQ(std::count(cells.begin(), cells.end(), '|'), 8) << cells;  // 7 cells from tg4 on
  EXPECT_EQ(cells.find("| - |"), std::string::npos) << cells;          // every figure present
  EXPECT_TRUE(cells.find(" s | ") != std::string::npos || cells.find(" ms | ") != std::string::npos)
      << cells;
  EXPECT_NE(cells.find("iB |"), std::string::npos) << cells;
  EXPECT_TRUE(md.out.find("\nlast-level cache: ") != std::string::npos) << md.out;
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
