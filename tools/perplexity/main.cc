// lutra-perplexity: perplexity of a model over a text file, with sliding windows of the
// context length moved by the stride. Every window is evaluated from an empty KV cache; the
// first window scores all its tokens but the first, later windows only the tokens the
// previous window did not score, so each token is scored once with at least
// (context − stride) tokens of history. The text is tokenized once with BOS at its start.
// Prints "PPL = X +/- E" (E: the standard error of the mean negative log-likelihood carried
// to the perplexity, PPL·SE).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "lutra/lutra.h"
#include "tools/common/args.h"
#include "tools/common/input_file.h"
#include "tools/common/model_flags.h"
#include "tools/common/output.h"
#include "tools/common/progress.h"
#include "tools/common/tokenize.h"

namespace {

using namespace lutra::tools;

void Help() {
  std::printf(
      "usage: lutra-perplexity -m MODEL -f TEXT [-c CONTEXT] [--stride S] [options]\n\n"
      "  -f, --file FILE          text to score\n"
      "  -c, --ctx-size N         window length in tokens (default 512, at most the model's)\n"
      "  --stride S               tokens the window advances (default: half the window)\n"
      "  --no-bos                 do not prepend BOS to the text\n"
      "%s",
      ModelFlagsHelp());
}

// log Σ exp(l) − l[target], in double precision.
double NegLogLikelihood(const float* logits, size_t vocab, int32_t target) {
  double mx = -INFINITY;
  for (size_t v = 0; v < vocab; ++v) mx = std::max(mx, double(logits[v]));
  double z = 0.0;
  for (size_t v = 0; v < vocab; ++v) z += std::exp(double(logits[v]) - mx);
  return mx + std::log(z) - double(logits[target]);
}

}  // namespace

int main(int argc, char** argv) {
  SetToolName("lutra-perplexity");
  ModelFlags flags;
  std::string file;
  int64_t stride = 0;
  bool bos = true;
  flags.model.context_length = 512;
  Args args(argc, argv);
  while (!args.Done()) {
    const std::string f = args.Flag();
    if (f == "-h" || f == "--help") {
      Help();
      return 0;
    } else if (f == "-f" || f == "--file") {
      file = args.Value(f);
    } else if (f == "--stride") {
      stride = args.Int(f, 1, 1 << 24);
    } else if (f == "--no-bos") {
      bos = false;
    } else if (!flags.Parse(f, args)) {
      UsageError("unknown flag " + f);
    }
  }
  if (file.empty()) UsageError("no text given (-f FILE)");
  if (flags.model.context_length < 2) UsageError("-c must be at least 2");
  const std::string text = ReadFileOrDie(file);

  lutra_model* model = LoadModelOrDie(flags);
  lutra_model_info info;
  lutra_model_info_init(&info);
  lutra_model_get_info(model, &info);
  const size_t ctx = info.context_length;
  if (!flags.context_given && ctx > info.train_context_length) {
    std::fprintf(stderr,
                 "lutra-perplexity: warning: the default window %zu is above the model's training "
                 "context (%s.context_length = %u); give -c %u or less\n",
                 ctx, info.arch, info.train_context_length, info.train_context_length);
  }
  if (stride == 0) stride = int64_t(std::max<size_t>(1, ctx / 2));
  if (size_t(stride) > ctx) UsageError("--stride " + std::to_string(stride) + " exceeds -c");

  const std::vector<int32_t> tokens = TokenizeOrDie(model, text, bos, false);
  if (tokens.size() < 2) Fail(file + ": fewer than 2 tokens, nothing to score");
  lutra_session* session = nullptr;
  if (lutra_session_create(model, &session) != LUTRA_STATUS_OK) Fail(lutra_last_error());

  const size_t vocab = info.n_vocab;
  std::vector<float> logits(ctx * vocab);
  double sum = 0.0, sum_sq = 0.0;
  size_t scored = 0, next_target = 1;  // tokens[next_target] is the first not yet scored
  ProgressBar bar("perplexity");
  for (size_t begin = 0; next_target < tokens.size(); begin += size_t(stride)) {
    const size_t end = std::min(tokens.size(), begin + ctx);
    if (lutra_session_reset(session) != LUTRA_STATUS_OK ||
        lutra_session_evaluate(session, tokens.data() + begin, end - begin, logits.data(),
                               logits.size()) != LUTRA_STATUS_OK) {
      Fail(lutra_last_error());
    }
    for (size_t t = std::max(next_target, begin + 1); t < end; ++t) {
      const double nll = NegLogLikelihood(&logits[(t - 1 - begin) * vocab], vocab, tokens[t]);
      sum += nll;
      sum_sq += nll * nll;
      ++scored;
    }
    next_target = end;
    bar.Update(double(next_target) / double(tokens.size()));
  }
  bar.Done();
  const double mean = sum / double(scored);
  const double var = scored > 1 ? (sum_sq - sum * mean) / double(scored - 1) : 0.0;
  const double ppl = std::exp(mean);
  const double err = ppl * std::sqrt(std::max(0.0, var) / double(scored));
  std::fprintf(stderr, "lutra-perplexity: %zu tokens scored, window %zu, stride %lld\n", scored,
               ctx, static_cast<long long>(stride));
  std::printf("PPL = %.6f +/- %.6f\n", ppl, err);
  lutra_session_free(session);
  lutra_model_free(model);
  return FinishOutput();
}
