// lutra-run: one-shot completion for scripts. The generated text (only) goes to stdout as it
// is produced; load messages, timings and errors go to stderr. Ctrl-C stops the generation
// and still prints the timings.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "lutra/lutra.h"
#include "tools/common/args.h"
#include "tools/common/input_file.h"
#include "tools/common/model_flags.h"
#include "tools/common/output.h"
#include "tools/common/tokenize.h"

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

void OnSigint(int) {
  g_interrupted = 1;
}

int Print(const char* text, size_t length, void*) {
  std::fwrite(text, 1, length, stdout);
  // A failed write stops the generation: the text would be lost anyway.
  if (!lutra::tools::FlushOutput()) return 1;
  return g_interrupted ? 1 : 0;
}

void Help() {
  std::printf(
      "usage: lutra-run -m MODEL (-p PROMPT | -f FILE) [options]\n"
      "Completes the prompt and prints only the generated text to stdout.\n\n"
      "  -p, --prompt TEXT        prompt text\n"
      "  -f, --file FILE          read the prompt from a file\n"
      "  -n, --n-predict N        tokens to generate (default 128)\n"
      "  --ignore-eos             keep generating past the end-of-sequence token\n"
      "  --no-bos                 do not prepend the BOS token\n"
      "  --special                parse control tokens written in the prompt\n"
      "  --echo                   print the prompt before the completion\n"
      "%s%s%s",
      lutra::tools::ContextFlagHelp(), lutra::tools::ModelFlagsHelp(),
      lutra::tools::SamplingFlagsHelp());
}

const char* StopName(lutra_stop_reason r) {
  switch (r) {
    case LUTRA_STOP_EOS:
      return "end of sequence";
    case LUTRA_STOP_CALLBACK:
      return "interrupted";
    case LUTRA_STOP_CONTEXT_FULL:
      return "context full";
    default:
      return "token limit";
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lutra::tools;
  SetToolName("lutra-run");
  ModelFlags flags;
  std::string prompt, file;
  bool have_prompt = false, have_file = false, bos = true, special = false, echo = false;
  lutra_generate_options gen;
  lutra_generate_options_init(&gen);
  Args args(argc, argv);
  while (!args.Done()) {
    const std::string f = args.Flag();
    if (f == "-h" || f == "--help") {
      Help();
      return 0;
    } else if (f == "-p" || f == "--prompt") {
      prompt = args.Value(f);
      have_prompt = true;
    } else if (f == "-f" || f == "--file") {
      file = args.Value(f);
      have_file = true;
    } else if (f == "-n" || f == "--n-predict") {
      gen.max_tokens = uint32_t(args.Int(f, 0, 1 << 30));
    } else if (f == "--ignore-eos") {
      gen.stop_at_eos = 0;
    } else if (f == "--no-bos") {
      bos = false;
    } else if (f == "--special") {
      special = true;
    } else if (f == "--echo") {
      echo = true;
    } else if (!flags.Parse(f, args) && !flags.ParseSampling(f, args)) {
      UsageError("unknown flag " + f);
    }
  }
  // Both given: before, -f silently won; neither is clearly what the user meant.
  if (have_prompt && have_file) UsageError("give the prompt with -p TEXT or -f FILE, not both");
  if (!have_prompt && !have_file) UsageError("no prompt given (-p TEXT or -f FILE)");
  if (have_file) prompt = ReadFileOrDie(file);

  lutra_model* model = LoadModelOrDie(flags);
  lutra_model_info info;
  lutra_model_info_init(&info);
  lutra_model_get_info(model, &info);

  const std::vector<int32_t> tokens = TokenizeOrDie(model, prompt, bos, special);
  if (tokens.empty()) Fail("the prompt is empty after tokenization (drop --no-bos?)");
  if (tokens.size() >= info.context_length) {
    Fail("the prompt has " + std::to_string(tokens.size()) + " tokens; the context holds " +
         std::to_string(info.context_length) + " (raise -c)");
  }
  lutra_session* session = nullptr;
  if (lutra_session_create(model, &session) != LUTRA_STATUS_OK) Fail(lutra_last_error());

  gen.sampler = flags.sampler;
  std::signal(SIGINT, OnSigint);
  if (echo) std::fwrite(prompt.data(), 1, prompt.size(), stdout);
  lutra_generate_stats stats{};
  stats.struct_size = sizeof stats;
  const lutra_status s =
      lutra_generate(session, tokens.data(), tokens.size(), &gen, Print, nullptr, &stats);
  std::fputc('\n', stdout);
  FlushOutputOrDie();
  if (s != LUTRA_STATUS_OK) Fail(lutra_last_error());
  std::fprintf(stderr,
               "lutra-run: prompt %u tokens in %.3f s (%.1f tok/s), generated %u tokens in "
               "%.3f s (%.1f tok/s), stopped: %s\n",
               stats.prompt_tokens, stats.prefill_seconds,
               stats.prefill_seconds > 0 ? stats.prompt_tokens / stats.prefill_seconds : 0.0,
               stats.generated_tokens, stats.decode_seconds,
               stats.decode_seconds > 0 ? stats.generated_tokens / stats.decode_seconds : 0.0,
               StopName(stats.stop_reason));
  lutra_session_free(session);
  lutra_model_free(model);
  return FinishOutput();
}
