// lutra-chat: interactive chat with a GGUF model.
//
// Conversation: the model's chat template (or --chat-template NAME) renders the whole
// conversation every turn; when the text already in the KV cache is a prefix of it, only the
// new part is tokenized and prefilled, otherwise the cache is rebuilt. Models without a
// recognised template run in "raw" mode: each input line continues the text.
// Input: a line ending in '\' continues on the next line; /reset starts over (the system
// prompt stays), /exit or Ctrl-D quits. Ctrl-C stops the current reply; at the prompt, a
// second Ctrl-C quits.
// Context: when a turn does not fit, nothing is added and the user is told to /reset; a reply
// that reaches the end of the context stops there with a notice (no sliding window, so the
// model never silently forgets the start of the conversation).
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "lutra/lutra.h"
#include "tools/chat/line_reader.h"
#include "tools/common/args.h"
#include "tools/common/model_flags.h"
#include "tools/common/output.h"
#include "tools/common/tokenize.h"

namespace {

using namespace lutra::tools;

volatile std::sig_atomic_t g_interrupted = 0;

void OnSigint(int) {
  g_interrupted = 1;
}

// With `restart`, calls interrupted by Ctrl-C resume (SA_RESTART): a reply being written to
// the terminal when Ctrl-C arrives must not fail with EINTR and end the chat as an output
// error. Without it a pending read returns EINTR, which is how Ctrl-C at the prompt is seen.
void InstallSigint(bool restart) {
  struct sigaction sa {};
  sa.sa_handler = OnSigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGINT, &sa, nullptr);
}

// One line of input, Ctrl-C interrupting the wait (ReadResult::kInterrupted).
ReadResult ReadLineInterruptibly(std::string* line) {
  InstallSigint(/*restart=*/false);
  const ReadResult r = ReadLine(line);
  InstallSigint(/*restart=*/true);
  return r;
}

void Help() {
  std::printf(
      "usage: lutra-chat -m MODEL [options]\n\n"
      "  -sys, --system TEXT      system prompt\n"
      "  -p, --prompt TEXT        first user message (then continue interactively)\n"
      "  -n, --n-predict N        reply length limit in tokens (default -1: until the model\n"
      "                           ends its turn or the context is full)\n"
      "  --chat-template NAME     override the model's template: %s\n"
      "  --ignore-eos             do not stop replies at end-of-turn tokens\n"
      "%s%s%s\n"
      "In the chat: a line ending in '\\' continues on the next line; /reset clears the\n"
      "conversation; /exit or Ctrl-D quits; Ctrl-C stops a reply.\n",
      lutra_chat_template_names(), ContextFlagHelp(), ModelFlagsHelp(), SamplingFlagsHelp());
}

struct Totals {
  double prefill_tokens = 0, prefill_seconds = 0, decode_tokens = 0, decode_seconds = 0;
};

struct Reply {
  std::string text;
};

int Stream(const char* text, size_t length, void* user) {
  static_cast<Reply*>(user)->text.append(text, length);
  std::fwrite(text, 1, length, stdout);
  if (!FlushOutput()) return 1;  // reported after lutra_generate returns
  return g_interrupted ? 1 : 0;
}

class Chat {
 public:
  Chat(lutra_model* model, lutra_session* session, std::string format, std::string system,
       lutra_generate_options gen)
      : model_(model), session_(session), format_(std::move(format)), gen_(gen) {
    if (!system.empty()) messages_.push_back({"system", std::move(system)});
    info_ = lutra_model_info{};
    lutra_model_info_init(&info_);
    lutra_model_get_info(model_, &info_);
  }

  void Reset() {
    lutra_session_reset(session_);
    in_cache_.clear();
    if (!messages_.empty() && messages_[0].role == "system") {
      messages_.resize(1);
    } else {
      messages_.clear();
    }
  }

  // One user turn: render, prefill what is new, stream the reply.
  void Turn(const std::string& user) {
    messages_.push_back({"user", user});
    std::string text;
    if (!Render(&text)) {
      messages_.pop_back();
      return;
    }
    std::string delta = text;
    bool bos = true;
    if (!in_cache_.empty() && text.compare(0, in_cache_.size(), in_cache_) == 0) {
      delta = text.substr(in_cache_.size());
      bos = false;
    } else if (!in_cache_.empty()) {
      lutra_session_reset(session_);  // the conversation diverged from the cache: rebuild
      in_cache_.clear();
    }
    std::vector<int32_t> tokens = Tokenize(delta, bos);
    const size_t position = lutra_session_position(session_);
    // ">=": the reply needs at least one position too.
    if (position + tokens.size() >= info_.context_length) {
      if (position == 0) {
        std::printf("[this message is %zu tokens; the context holds %u: raise -c to send it]\n",
                    tokens.size(), info_.context_length);
      } else {
        std::printf(
            "[context full: this message is %zu tokens and %zu of the %u in the context are "
            "free; /reset to start a new conversation]\n",
            tokens.size(), info_.context_length - position, info_.context_length);
      }
      FlushOutputOrDie();
      messages_.pop_back();
      return;
    }
    Reply reply;
    lutra_generate_stats stats{};
    stats.struct_size = sizeof stats;
    g_interrupted = 0;
    const lutra_status s =
        lutra_generate(session_, tokens.data(), tokens.size(), &gen_, Stream, &reply, &stats);
    std::printf("\n");
    FlushOutputOrDie();
    if (s != LUTRA_STATUS_OK) {
      std::fprintf(stderr, "lutra-chat: %s\n", lutra_last_error());
      Reset();
      return;
    }
    totals_.prefill_tokens += stats.prompt_tokens;
    totals_.prefill_seconds += stats.prefill_seconds;
    totals_.decode_tokens += stats.generated_tokens;
    totals_.decode_seconds += stats.decode_seconds;
    if (stats.stop_reason == LUTRA_STOP_CALLBACK) std::printf("[interrupted]\n");
    if (stats.stop_reason == LUTRA_STOP_CONTEXT_FULL) {
      std::printf("[context full: /reset to start a new conversation]\n");
    }
    messages_.push_back({"assistant", reply.text});
    in_cache_ = text + reply.text;
  }

  const Totals& totals() const { return totals_; }

 private:
  struct Message {
    std::string role, content;
  };

  bool Render(std::string* out) {
    std::vector<lutra_chat_message> m;
    for (const Message& msg : messages_) m.push_back({msg.role.c_str(), msg.content.c_str()});
    size_t len = 0;
    lutra_chat_apply_template(nullptr, format_.c_str(), m.data(), m.size(), 1, nullptr, 0, &len);
    out->assign(len + 1, '\0');
    if (lutra_chat_apply_template(nullptr, format_.c_str(), m.data(), m.size(), 1, out->data(),
                                  out->size(), &len) != LUTRA_STATUS_OK) {
      std::fprintf(stderr, "lutra-chat: %s\n", lutra_last_error());
      return false;
    }
    out->resize(len);
    return true;
  }

  std::vector<int32_t> Tokenize(const std::string& text, bool bos) {
    return TokenizeOrDie(model_, text, bos, true);
  }

  lutra_model* model_;
  lutra_session* session_;
  std::string format_;
  lutra_generate_options gen_;
  lutra_model_info info_;
  std::vector<Message> messages_;
  std::string in_cache_;  // the text whose tokens the KV cache holds
  Totals totals_;
};

}  // namespace

int main(int argc, char** argv) {
  SetToolName("lutra-chat");
  ModelFlags flags;
  flags.refuse_long_context = false;  // a warning: long sessions past training may be wanted
  std::string system, first_prompt, template_name;
  lutra_generate_options gen;
  lutra_generate_options_init(&gen);
  gen.max_tokens = UINT32_MAX;
  Args args(argc, argv);
  while (!args.Done()) {
    const std::string f = args.Flag();
    if (f == "-h" || f == "--help") {
      Help();
      return 0;
    } else if (f == "-sys" || f == "--system") {
      system = args.Value(f);
    } else if (f == "-p" || f == "--prompt") {
      first_prompt = args.Value(f);
    } else if (f == "-n" || f == "--n-predict") {
      const int64_t n = args.Int(f, -1, 1 << 30);
      gen.max_tokens = n < 0 ? UINT32_MAX : uint32_t(n);
    } else if (f == "--chat-template") {
      template_name = args.Value(f);
    } else if (f == "--ignore-eos") {
      gen.stop_at_eos = 0;
    } else if (!flags.Parse(f, args) && !flags.ParseSampling(f, args)) {
      UsageError("unknown flag " + f);
    }
  }
  size_t unused = 0;
  if (!template_name.empty() &&
      lutra_chat_apply_template(nullptr, template_name.c_str(), nullptr, 0, 0, nullptr, 0,
                                &unused) == LUTRA_STATUS_INVALID_ARGUMENT) {
    UsageError("--chat-template: " + std::string(lutra_last_error()));
  }
  gen.sampler = flags.sampler;

  lutra_model* model = LoadModelOrDie(flags);
  if (template_name.empty()) {
    const char* name = nullptr;
    if (lutra_chat_template_name(model, &name) != LUTRA_STATUS_OK) {
      std::fprintf(stderr, "lutra-chat: %s; chatting in raw mode (each line continues the text)\n",
                   lutra_last_error());
    }
    template_name = name;
  }
  lutra_session* session = nullptr;
  if (lutra_session_create(model, &session) != LUTRA_STATUS_OK) Fail(lutra_last_error());
  InstallSigint(/*restart=*/true);
  std::fprintf(stderr,
               "lutra-chat: template %s; /reset clears, /exit quits, Ctrl-C stops a reply\n",
               template_name.c_str());

  Chat chat(model, session, template_name, system, gen);
  if (!first_prompt.empty()) chat.Turn(first_prompt);
  bool interrupted_at_prompt = false;
  for (;;) {
    std::printf("> ");
    FlushOutputOrDie();
    std::string input, line;
    ReadResult r;
    bool cut = false;
    while ((r = ReadLineInterruptibly(&line)) == ReadResult::kLine && !line.empty() &&
           line.back() == '\\') {
      cut = cut || TerminalCutLine(line);
      line.pop_back();
      input += line + "\n";
      std::printf("... ");
      FlushOutputOrDie();
    }
    if (r == ReadResult::kLine && (cut || TerminalCutLine(line))) {
      std::printf(
          "[the terminal cuts lines at %zu bytes and this one reached that: not sent; end lines "
          "with '\\' to continue a long message on the next, or pipe the text in]\n",
          kTerminalLineLimit);
      continue;
    }
    if (r == ReadResult::kInterrupted) {
      if (interrupted_at_prompt) break;
      interrupted_at_prompt = true;
      g_interrupted = 0;
      std::printf("\n(Ctrl-C again, /exit or Ctrl-D to quit)\n");
      continue;
    }
    interrupted_at_prompt = false;
    if (r == ReadResult::kEndOfInput) {
      std::printf("\n");
      break;
    }
    input += line;
    if (input == "/exit" || input == "/quit") break;
    if (input == "/reset") {
      chat.Reset();
      std::printf("(conversation reset)\n");
      continue;
    }
    if (input.empty()) continue;
    chat.Turn(input);
  }
  const Totals& t = chat.totals();
  std::fprintf(stderr,
               "lutra-chat: prompt %.0f tokens, %.1f tok/s; replies %.0f tokens, %.1f tok/s\n",
               t.prefill_tokens, t.prefill_seconds > 0 ? t.prefill_tokens / t.prefill_seconds : 0.0,
               t.decode_tokens, t.decode_seconds > 0 ? t.decode_tokens / t.decode_seconds : 0.0);
  lutra_session_free(session);
  lutra_model_free(model);
  return FinishOutput();
}
