// lutra-perplexity: perplexity of a model over a text file. By default llama.cpp's
// llama-perplexity method, so that the two tools give the same figure for the same file and
// -c: independent chunks of -c tokens, the second half of each scored; --stride S scores
// sliding windows instead (tools/perplexity/methods.h, docs/tools.md).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "lutra/lutra.h"
#include "tools/common/args.h"
#include "tools/common/input_file.h"
#include "tools/common/model_flags.h"
#include "tools/common/output.h"
#include "tools/common/tokenize.h"
#include "tools/perplexity/methods.h"

namespace {

using namespace lutra::tools;

void Help() {
  std::printf(
      "usage: lutra-perplexity -m MODEL -f TEXT [-c N] [--chunks K | --stride S] [options]\n"
      "Scores the text in independent chunks of N tokens, the second half of each, as\n"
      "llama.cpp's llama-perplexity does; --stride scores sliding windows instead.\n\n"
      "  -f, --file FILE          text to score\n"
      "  -c, --ctx-size N         tokens per chunk (or window) (default 512)\n"
      "  --chunks K               score only the first K chunks (default: all)\n"
      "  --stride S               sliding windows of N tokens moved by S, every token scored\n"
      "                           once with at least N - S tokens of history\n"
      "  --no-bos                 no BOS at the start of the text or of the chunks\n"
      "%s",
      ModelFlagsHelp());
}

}  // namespace

int main(int argc, char** argv) {
  SetToolName("lutra-perplexity");
  ModelFlags flags;
  std::string file;
  int64_t stride = 0, chunks = 0;
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
    } else if (f == "--chunks") {
      chunks = args.Int(f, 1, 1 << 30);
    } else if (f == "--no-bos") {
      bos = false;
    } else if (!flags.Parse(f, args)) {
      UsageError("unknown flag " + f);
    }
  }
  if (file.empty()) UsageError("no text given (-f FILE)");
  if (stride != 0 && chunks != 0) UsageError("--chunks applies to chunks, not to --stride");
  std::string text = ReadFileOrDie(file);
  // llama.cpp drops one final newline of a -f file; the last chunk's tokens must agree.
  if (!text.empty() && text.back() == '\n') text.pop_back();
  const size_t requested = flags.model.context_length;
  if (requested < 4) UsageError("-c must be at least 4");

  lutra_model* model = LoadModelOrDie(flags);
  lutra_model_info info;
  lutra_model_info_init(&info);
  lutra_model_get_info(model, &info);
  const size_t ctx = info.context_length, vocab = info.n_vocab;
  if (!flags.context_given && ctx > info.train_context_length) {
    std::fprintf(stderr,
                 "lutra-perplexity: warning: the default window %zu is above the model's training "
                 "context (%s.context_length = %u); give -c %u or less\n",
                 ctx, info.arch, info.train_context_length, info.train_context_length);
  }
  if (ctx != requested) {
    std::fprintf(stderr, "lutra-perplexity: -c %zu is more than the model holds, using %zu\n",
                 requested, ctx);
  }
  if (stride != 0 && size_t(stride) > ctx) {
    UsageError("--stride " + std::to_string(stride) + " exceeds -c");
  }
  const std::vector<int32_t> tokens = TokenizeOrDie(model, text, bos, false);
  // The vocabulary's own rule decides whether the text starts with BOS (some BPE vocabularies
  // add none); chunks then start with BOS exactly when the text does.
  const int32_t chunk_bos =
      bos && TokenizeOrDie(model, "", true, false).size() == 1 ? info.bos : -1;

  lutra_session* session = nullptr;
  if (lutra_session_create(model, &session) != LUTRA_STATUS_OK) Fail(lutra_last_error());
  NllSum nll;
  bool ok = true;
  if (stride == 0) {
    const size_t available = tokens.size() / ctx;
    if (available == 0) {
      Fail(file + ": " + std::to_string(tokens.size()) + " tokens, less than one chunk of " +
           std::to_string(ctx) + " (use a smaller -c)");
    }
    const size_t n_chunks = chunks > 0 ? std::min(available, size_t(chunks)) : available;
    std::fprintf(stderr,
                 "lutra-perplexity: %zu tokens, %zu chunks of %zu, scoring the last %zu tokens "
                 "of each\n",
                 tokens.size(), n_chunks, ctx, ctx - ctx / 2 - 1);
    ok = ScoreChunks(session, tokens, ctx, n_chunks, chunk_bos, vocab, &nll);
  } else {
    if (tokens.size() < 2) Fail(file + ": fewer than 2 tokens, nothing to score");
    ok = ScoreSliding(session, tokens, ctx, size_t(stride), vocab, &nll);
    std::fprintf(stderr, "lutra-perplexity: %zu tokens scored, window %zu, stride %lld\n",
                 nll.count(), ctx, static_cast<long long>(stride));
  }
  if (!ok) Fail(lutra_last_error());
  std::printf("Final estimate: PPL = %.4f +/- %.5f\n", nll.Perplexity(), nll.Error());
  lutra_session_free(session);
  lutra_model_free(model);
  return FinishOutput();
}
