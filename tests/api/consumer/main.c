/* lutra-consumer [MODEL.gguf [PROMPT]]: prints the library version; with a model, loads it and
 * prints a short greedy continuation of PROMPT. Exit status 0 on success. */
#include <stdio.h>
#include <string.h>

#include "lutra/lutra.h"

static int print_piece(const char* text, size_t length, void* user_data) {
  (void)user_data;
  fwrite(text, 1, length, stdout);
  return 0;
}

int main(int argc, char** argv) {
  const char* prompt = argc > 2 ? argv[2] : "Once upon a time";
  lutra_model_options mo;
  lutra_model* model = NULL;
  lutra_model_info info;
  lutra_session* session = NULL;
  lutra_generate_options go;
  lutra_generate_stats stats;
  int32_t tokens[256];
  size_t n = 0;
  lutra_status s;

  printf("lutra %s\n", lutra_version_string());
  if (argc < 2) return 0;

  lutra_model_options_init(&mo);
  mo.threads = 1;
  mo.context_length = 128;
  s = lutra_model_load(argv[1], &mo, &model);
  if (s == LUTRA_STATUS_OK) {
    lutra_model_info_init(&info);
    s = lutra_model_get_info(model, &info);
  }
  if (s == LUTRA_STATUS_OK) {
    printf("model: %s, %llu parameters, vocabulary %u\n", info.arch,
           (unsigned long long)info.n_params, (unsigned)info.n_vocab);
    s = lutra_tokenize(model, prompt, strlen(prompt), 1, 0, tokens, 256, &n);
  }
  if (s == LUTRA_STATUS_OK) s = lutra_session_create(model, &session);
  if (s == LUTRA_STATUS_OK) {
    lutra_generate_options_init(&go);
    go.max_tokens = 16;
    go.sampler.temperature = 0.0f;
    stats.struct_size = sizeof(stats);
    fputs(prompt, stdout);
    s = lutra_generate(session, tokens, n, &go, print_piece, NULL, &stats);
    printf("\ngenerated %u tokens\n", (unsigned)stats.generated_tokens);
  }
  if (s != LUTRA_STATUS_OK) {
    fprintf(stderr, "lutra-consumer: %s: %s\n", lutra_status_string(s), lutra_last_error());
  }
  lutra_session_free(session);
  lutra_model_free(model);
  return s == LUTRA_STATUS_OK ? 0 : 1;
}
