// peer-decode: greedy generation with llama.cpp's library for decode_step.sh, on one thread
// and a fixed context so that two runs that differ only in the token count differ only in
// decode steps. Usage: peer-decode MODEL N_TOKENS PROMPT [N_CTX]
// Prints the generated token ids to stdout and ggml's CPU features to stderr.
// Written for lutra against llama.h's public API (not part of the library or CI).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ggml-cpu.h"
#include "llama.h"

namespace {

void Quiet(ggml_log_level level, const char* text, void*) {
  if (level >= GGML_LOG_LEVEL_WARN) std::fputs(text, stderr);
}

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "peer-decode: %s\n", what);
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) Die("usage: peer-decode MODEL N_TOKENS PROMPT [N_CTX]");
  const int n_tokens = std::atoi(argv[2]);
  const std::string prompt = argv[3];
  const int n_ctx = argc > 4 ? std::atoi(argv[4]) : 64;
  if (std::getenv("PEER_DECODE_VERBOSE") == nullptr) llama_log_set(Quiet, nullptr);
  llama_backend_init();

  llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = 0;
  llama_model* model = llama_model_load_from_file(argv[1], mp);
  if (model == nullptr) Die("cannot load the model");
  const llama_vocab* vocab = llama_model_get_vocab(model);

  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = uint32_t(n_ctx);
  cp.n_batch = cp.n_ubatch = uint32_t(n_ctx);
  cp.n_threads = cp.n_threads_batch = 1;
  cp.no_perf = true;
  llama_context* ctx = llama_init_from_model(model, cp);
  if (ctx == nullptr) Die("cannot create the context");

  std::vector<llama_token> tokens(prompt.size() + 8);
  const int n_prompt = llama_tokenize(vocab, prompt.data(), int32_t(prompt.size()), tokens.data(),
                                      int32_t(tokens.size()), true, false);
  if (n_prompt <= 0) Die("tokenize failed");
  tokens.resize(size_t(n_prompt));
  if (n_prompt + n_tokens > n_ctx) Die("the prompt and tokens do not fit the context");

  llama_sampler* sampler = llama_sampler_chain_init(llama_sampler_chain_default_params());
  llama_sampler_chain_add(sampler, llama_sampler_init_greedy());

  std::fprintf(stderr, "peer-decode: ggml cpu neon=%d dotprod=%d i8mm=%d sve=%d fp16=%d; prompt %d tokens\n",
               ggml_cpu_has_neon(), ggml_cpu_has_dotprod(), ggml_cpu_has_matmul_int8(),
               ggml_cpu_has_sve(), ggml_cpu_has_fp16_va(), n_prompt);
  // Prefill, then one decode step per further token; the last sampled token is not fed back.
  llama_batch batch = llama_batch_get_one(tokens.data(), n_prompt);
  llama_token next = 0;
  for (int i = 0; i < n_tokens; ++i) {
    if (llama_decode(ctx, batch) != 0) Die("llama_decode failed");
    next = llama_sampler_sample(sampler, ctx, -1);
    std::printf("%d ", next);
    batch = llama_batch_get_one(&next, 1);
  }
  std::printf("\n");
  llama_sampler_free(sampler);
  llama_free(ctx);
  llama_model_free(model);
  llama_backend_free();
  return 0;
}
