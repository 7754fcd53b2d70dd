/* The public C API, compiled as C99: model load and info, tokens, sessions, sampling,
 * generation with a streaming callback, and the errors every entry point reports. Runs on a
 * synthetic model it writes itself; the stories260K and vocabulary files of ../shared/models
 * (LUTRA_MODELS_DIR) add real-model checks and are skipped with a message when absent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lutra/lutra.h"

static int failures = 0;

#define CHECK(cond)                                                                            \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, __LINE__, #cond, \
              lutra_last_error());                                                             \
      ++failures;                                                                              \
    }                                                                                          \
  } while (0)

#define CHECK_STATUS(call, want)                                                                   \
  do {                                                                                             \
    lutra_status got_ = (call);                                                                    \
    if (got_ != (want)) {                                                                          \
      fprintf(stderr, "%s:%d: %s returned %s, expected %s (last error: %s)\n", __FILE__, __LINE__, \
              #call, lutra_status_string(got_), lutra_status_string(want), lutra_last_error());    \
      ++failures;                                                                                  \
    }                                                                                              \
  } while (0)

static int contains(const char* haystack, const char* needle) {
  return haystack != NULL && strstr(haystack, needle) != NULL;
}

static char models_dir[1024];

static const char* model_path(const char* file, char* buf, size_t size) {
  snprintf(buf, size, "%s/%s", models_dir, file);
  return access(buf, R_OK) == 0 ? buf : NULL;
}

/* Generation callback: collects text, stops after `stop_after` pieces when nonzero. */
typedef struct {
  char text[8192];
  size_t length, pieces, stop_after;
} collector;

static int collect(const char* text, size_t length, void* user) {
  collector* c = (collector*)user;
  if (c->length + length < sizeof c->text) {
    memcpy(c->text + c->length, text, length);
    c->length += length;
    c->text[c->length] = '\0';
  }
  ++c->pieces;
  return c->stop_after != 0 && c->pieces >= c->stop_after;
}

static void test_argument_errors(void) {
  lutra_model* model = (lutra_model*)1;
  lutra_model_options o;
  lutra_model_options_init(&o);
  CHECK(o.struct_size == sizeof o && o.use_mmap == 1 && o.batch == 64);
  CHECK_STATUS(lutra_model_load(NULL, &o, &model), LUTRA_STATUS_INVALID_ARGUMENT);
  CHECK(model == NULL);
  CHECK_STATUS(lutra_model_load("x.gguf", &o, NULL), LUTRA_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(lutra_model_load("/nonexistent/lutra-model.gguf", &o, &model),
               LUTRA_STATUS_IO_ERROR);
  CHECK(contains(lutra_last_error(), "/nonexistent/lutra-model.gguf"));
  o.struct_size = 4;
  CHECK_STATUS(lutra_model_load("x.gguf", &o, &model), LUTRA_STATUS_INVALID_ARGUMENT);
  CHECK(contains(lutra_last_error(), "struct_size"));
  lutra_model_options_init(&o);
  o.threads = 100000;
  CHECK_STATUS(lutra_model_load("x.gguf", &o, &model), LUTRA_STATUS_INVALID_ARGUMENT);
  CHECK(contains(lutra_last_error(), "threads 100000"));
  lutra_model_options_init(&o);
  o.kv_type = (lutra_kv_type)7;
  CHECK_STATUS(lutra_model_load("x.gguf", &o, &model), LUTRA_STATUS_INVALID_ARGUMENT);
  CHECK(contains(lutra_last_error(), "unknown kv_type 7"));
  /* Free functions accept NULL; queries on NULL handles fail cleanly. */
  lutra_model_free(NULL);
  CHECK(strcmp(lutra_model_last_error(NULL), "") == 0);
  lutra_session_free(NULL);
  CHECK_STATUS(lutra_session_reset(NULL), LUTRA_STATUS_INVALID_ARGUMENT);
  CHECK(lutra_session_position(NULL) == 0);
  CHECK(strcmp(lutra_status_string(LUTRA_STATUS_CONTEXT_FULL), "context full") == 0);
  CHECK(strcmp(lutra_status_string((lutra_status)99), "unknown status") == 0);
  CHECK(strcmp(lutra_status_string((lutra_status)-1), "unknown status") == 0);
  CHECK(strlen(lutra_version_string()) >= 5);

  /* The int8 peak: a positive rate from the named loop; bad arguments named. */
  double macs = 0;
  const char* loop = NULL;
  CHECK_STATUS(lutra_measure_int8_peak(1, NULL, &macs, &loop), LUTRA_STATUS_OK);
  CHECK(macs > 0 && loop != NULL && strncmp(loop, "lutra_peak_dot_i8_", 18) == 0);
  CHECK_STATUS(lutra_measure_int8_peak(2, "scalar", &macs, NULL), LUTRA_STATUS_OK);
  CHECK(macs > 0);
  CHECK_STATUS(lutra_measure_int8_peak(0, NULL, &macs, NULL), LUTRA_STATUS_INVALID_ARGUMENT);
  CHECK(contains(lutra_last_error(), "threads is 0"));
  CHECK_STATUS(lutra_measure_int8_peak(1, NULL, NULL, NULL), LUTRA_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(lutra_measure_int8_peak(1, "avx9000", &macs, NULL), LUTRA_STATUS_ISA_UNAVAILABLE);
  CHECK(contains(lutra_last_error(), "avx9000"));
}

static void test_synthetic_model(const char* path) {
  lutra_model_options o;
  lutra_model_options_init(&o);
  o.threads = 2;
  o.context_length = 24;
  o.kv_type = LUTRA_KV_F32;
  o.isa = "avx9000";
  lutra_model* model = NULL;
  CHECK_STATUS(lutra_model_load(path, &o, &model), LUTRA_STATUS_ISA_UNAVAILABLE);
  CHECK(contains(lutra_last_error(), "avx9000"));
  o.isa = NULL;
  o.use_mmap = 0; /* read into memory: same model */
  CHECK_STATUS(lutra_model_load(path, &o, &model), LUTRA_STATUS_OK);
  if (model == NULL) return;

  lutra_model_info info;
  lutra_model_info_init(&info);
  CHECK_STATUS(lutra_model_get_info(model, &info), LUTRA_STATUS_OK);
  CHECK(strcmp(info.arch, "llama") == 0);
  CHECK(info.n_layer == 2 && info.n_embd == 64 && info.n_head == 4 && info.n_head_kv == 2);
  CHECK(info.n_vocab == 320 && info.context_length == 24 && info.train_context_length == 256);
  CHECK(info.bos == 1 && info.eos == 2 && info.chat_template == NULL && info.threads == 2);
  CHECK(info.n_params > 60000 && info.file_bytes > 4 * info.n_params / 2);
  {
    const uint64_t e = info.n_embd, kv = (uint64_t)info.n_head_kv * info.head_dim;
    const uint64_t q = (uint64_t)info.n_head * info.head_dim;
    CHECK(info.matmul_weights ==
          info.n_layer * (2 * e * q + 2 * e * kv + 3 * e * info.n_ff) + info.n_vocab * e);
  }
  CHECK(info.sliding_window == 0 && info.n_layer_sliding == 0);

  /* Tokens: round trip, the size protocol, bad ids. */
  const char* text = "hello world";
  int32_t tokens[64];
  size_t n = 0;
  CHECK_STATUS(lutra_tokenize(model, text, strlen(text), 1, 0, tokens, 1, &n),
               LUTRA_STATUS_BUFFER_TOO_SMALL);
  CHECK(n > 2);
  CHECK_STATUS(lutra_tokenize(model, text, strlen(text), 1, 0, tokens, 64, &n), LUTRA_STATUS_OK);
  CHECK(tokens[0] == info.bos);
  char buf[256];
  size_t len = 0;
  CHECK_STATUS(lutra_detokenize(model, tokens, n, buf, sizeof buf, &len), LUTRA_STATUS_OK);
  CHECK(len == strlen(text) && strcmp(buf, text) == 0);
  CHECK_STATUS(lutra_detokenize(model, tokens, n, buf, 3, &len), LUTRA_STATUS_BUFFER_TOO_SMALL);
  CHECK(len == strlen(text));
  CHECK_STATUS(lutra_token_to_piece(model, 320, buf, sizeof buf, &len),
               LUTRA_STATUS_INVALID_ARGUMENT);
  CHECK(contains(lutra_last_error(), "token 320"));
  /* The model keeps its own copy of the message; successes leave it alone. */
  CHECK(contains(lutra_model_last_error(model), "token 320"));
  CHECK_STATUS(lutra_detokenize(model, tokens, n, buf, sizeof buf, &len), LUTRA_STATUS_OK);
  CHECK(strcmp(lutra_last_error(), "") == 0);
  CHECK(contains(lutra_model_last_error(model), "token 320"));

  /* Greedy decoding by hand (prefill, sample, decode) and through lutra_generate agree. */
  lutra_session* s = NULL;
  CHECK_STATUS(lutra_session_create(model, &s), LUTRA_STATUS_OK);
  if (s == NULL) {
    lutra_model_free(model);
    return;
  }
  lutra_sampler_options greedy;
  lutra_sampler_options_init(&greedy);
  greedy.temperature = 0.0f;
  int32_t next = 0;
  CHECK_STATUS(lutra_session_sample(s, &greedy, &next), LUTRA_STATUS_INVALID_ARGUMENT);
  CHECK(contains(lutra_session_last_error(s), "no logits"));
  const float* logits = NULL;
  size_t vocab = 0;
  CHECK_STATUS(lutra_session_prefill(s, tokens, n, &logits, &vocab), LUTRA_STATUS_OK);
  CHECK(vocab == 320 && logits != NULL && lutra_session_position(s) == n);
  int32_t by_hand[8];
  for (int i = 0; i < 8; ++i) {
    CHECK_STATUS(lutra_session_sample(s, &greedy, &by_hand[i]), LUTRA_STATUS_OK);
    /* Greedy = the arg max of the logits. */
    size_t best = 0;
    for (size_t v = 1; v < vocab; ++v) {
      if (logits[v] > logits[best]) best = v;
    }
    CHECK((size_t)by_hand[i] == best);
    CHECK_STATUS(lutra_session_decode(s, by_hand[i], &logits, &vocab), LUTRA_STATUS_OK);
  }
  CHECK(lutra_session_position(s) == n + 8);

  CHECK_STATUS(lutra_session_reset(s), LUTRA_STATUS_OK);
  CHECK(lutra_session_position(s) == 0);
  lutra_generate_options g;
  lutra_generate_options_init(&g);
  g.sampler = greedy;
  g.max_tokens = 8;
  g.stop_at_eos = 0;
  lutra_generate_stats stats;
  memset(&stats, 0, sizeof stats);
  stats.struct_size = sizeof stats;
  collector c;
  memset(&c, 0, sizeof c);
  CHECK_STATUS(lutra_generate(s, tokens, n, &g, collect, &c, &stats), LUTRA_STATUS_OK);
  CHECK(stats.prompt_tokens == n && stats.generated_tokens == 8);
  CHECK(stats.stop_reason == LUTRA_STOP_MAX_TOKENS && lutra_session_position(s) == n + 8);
  char want[1024];
  size_t want_len = 0;
  /* Pieces of a continuation keep their leading space: compare with the pieces' bytes. */
  for (int i = 0; i < 8; ++i) {
    size_t l = 0;
    CHECK_STATUS(
        lutra_token_to_piece(model, by_hand[i], want + want_len, sizeof want - want_len, &l),
        LUTRA_STATUS_OK);
    want_len += l;
  }
  want[want_len] = '\0';
  CHECK(c.length == want_len && memcmp(c.text, want, want_len) == 0);

  /* The callback stops generation; the context limit ends it without an error. */
  CHECK_STATUS(lutra_session_reset(s), LUTRA_STATUS_OK);
  memset(&c, 0, sizeof c);
  c.stop_after = 2;
  g.max_tokens = 100;
  CHECK_STATUS(lutra_generate(s, tokens, n, &g, collect, &c, &stats), LUTRA_STATUS_OK);
  CHECK(stats.stop_reason == LUTRA_STOP_CALLBACK && c.pieces == 2);
  memset(&c, 0, sizeof c);
  CHECK_STATUS(lutra_generate(s, NULL, 0, &g, collect, &c, &stats), LUTRA_STATUS_OK);
  CHECK(stats.stop_reason == LUTRA_STOP_CONTEXT_FULL && lutra_session_position(s) == 24);
  CHECK_STATUS(lutra_session_decode(s, 5, &logits, &vocab), LUTRA_STATUS_CONTEXT_FULL);
  CHECK(contains(lutra_session_last_error(s), "24 of 24 positions"));
  CHECK_STATUS(lutra_session_reset(s), LUTRA_STATUS_OK);
  int32_t too_many[30] = {0};
  CHECK_STATUS(lutra_session_prefill(s, too_many, 30, &logits, &vocab), LUTRA_STATUS_CONTEXT_FULL);
  CHECK(lutra_session_position(s) == 0);
  too_many[3] = -7;
  CHECK_STATUS(lutra_session_prefill(s, too_many, 4, &logits, &vocab),
               LUTRA_STATUS_INVALID_ARGUMENT);
  CHECK(contains(lutra_session_last_error(s), "token -7 at index 3"));

  /* Evaluate: every position's logits; the last equals prefill's. */
  CHECK_STATUS(lutra_session_reset(s), LUTRA_STATUS_OK);
  float* all = (float*)malloc(n * vocab * sizeof(float));
  CHECK_STATUS(lutra_session_evaluate(s, tokens, n, all, n * vocab - 1),
               LUTRA_STATUS_BUFFER_TOO_SMALL);
  CHECK_STATUS(lutra_session_evaluate(s, tokens, n, all, n * vocab), LUTRA_STATUS_OK);
  CHECK_STATUS(lutra_session_reset(s), LUTRA_STATUS_OK);
  CHECK_STATUS(lutra_session_prefill(s, tokens, n, &logits, &vocab), LUTRA_STATUS_OK);
  float worst = 0.0f;
  for (size_t v = 0; v < vocab; ++v) {
    const float d = all[(n - 1) * vocab + v] - logits[v];
    worst = d > worst ? d : (-d > worst ? -d : worst);
  }
  CHECK(worst < 1e-4f);
  free(all);

  lutra_session_free(s);
  lutra_model_free(model);
}

/* The same prompt's last logits with a bf16 and an fp32 KV cache: bf16 rounds K and V (and Q,
 * P with bf16 dot products) to 8 significant bits, so they agree to a few percent of the
 * logit scale, where a wrong layout would be off by O(1). */
static void test_bf16_cache(const char* path) {
  const int32_t prompt[] = {1, 17, 42, 99, 7, 250, 3, 64, 128, 5, 77};
  const size_t n = sizeof prompt / sizeof prompt[0];
  float* last[2] = {NULL, NULL};
  size_t vocab = 0;
  for (int i = 0; i < 2; ++i) {
    lutra_model_options o;
    lutra_model_options_init(&o);
    o.context_length = 24;
    o.kv_type = i == 0 ? LUTRA_KV_F32 : LUTRA_KV_BF16;
    lutra_model* model = NULL;
    CHECK_STATUS(lutra_model_load(path, &o, &model), LUTRA_STATUS_OK);
    if (model == NULL) break;
    lutra_session* s = NULL;
    CHECK_STATUS(lutra_session_create(model, &s), LUTRA_STATUS_OK);
    const float* logits = NULL;
    if (s != NULL) {
      CHECK_STATUS(lutra_session_prefill(s, prompt, n, &logits, &vocab), LUTRA_STATUS_OK);
    }
    if (logits != NULL) {
      last[i] = (float*)malloc(vocab * sizeof(float));
      memcpy(last[i], logits, vocab * sizeof(float));
    }
    lutra_session_free(s);
    lutra_model_free(model);
  }
  CHECK(last[0] != NULL && last[1] != NULL);
  if (last[0] != NULL && last[1] != NULL) {
    float scale = 1.0f, worst = 0.0f;
    for (size_t v = 0; v < vocab; ++v) {
      const float a = last[0][v] < 0 ? -last[0][v] : last[0][v];
      const float d = last[1][v] - last[0][v];
      scale = a > scale ? a : scale;
      worst = d > worst ? d : (-d > worst ? -d : worst);
    }
    CHECK(worst <= 0.05f * scale);
  }
  free(last[0]);
  free(last[1]);
}

/* Greedy generation of `max` tokens (stop tokens off) from a fixed prompt into `out`; returns
 * the session's position afterwards, 0 on failure. */
static size_t generate_greedy(lutra_session* s, uint32_t max, collector* out) {
  const int32_t prompt[] = {1, 17, 42, 99, 7};
  lutra_generate_options g;
  lutra_generate_options_init(&g);
  g.sampler.temperature = 0.0f;
  g.max_tokens = max;
  g.stop_at_eos = 0;
  memset(out, 0, sizeof *out);
  if (lutra_generate(s, prompt, 5, &g, collect, out, NULL) != LUTRA_STATUS_OK) return 0;
  return lutra_session_position(s);
}

/* Sessions with their own options over one model generate what models loaded with those
 * options do; invalid options are refused with INVALID_ARGUMENT naming the field. */
static void test_session_options(const char* path) {
  lutra_session_options so;
  lutra_session_options_init(&so);
  CHECK(so.struct_size == sizeof so && so.threads == 0 && so.context_length == 0);
  CHECK(so.kv_type == LUTRA_KV_DEFAULT && so.batch == 0);

  lutra_model_options o;
  lutra_model_options_init(&o);
  o.threads = 1;
  lutra_model* shared = NULL;
  CHECK_STATUS(lutra_model_load(path, &o, &shared), LUTRA_STATUS_OK);
  if (shared == NULL) return;

  /* {threads, context, kv type, batch} per session; 0 / LUTRA_KV_DEFAULT: the model's. */
  const uint32_t threads[3] = {2, 1, 0};
  const uint32_t context[3] = {16, 40, 0};
  const lutra_kv_type kv[3] = {LUTRA_KV_F32, LUTRA_KV_BF16, LUTRA_KV_DEFAULT};
  const uint32_t batch[3] = {3, 0, 2};
  lutra_session* sessions[3] = {NULL, NULL, NULL};
  for (int i = 0; i < 3; ++i) {
    lutra_session_options_init(&so);
    so.threads = threads[i];
    so.context_length = context[i];
    so.kv_type = kv[i];
    so.batch = batch[i];
    CHECK_STATUS(lutra_session_create_with_options(shared, &so, &sessions[i]), LUTRA_STATUS_OK);
  }
  for (int i = 0; i < 3; ++i) {
    if (sessions[i] == NULL) continue;
    collector with_options, alone;
    const size_t pos = generate_greedy(sessions[i], 30, &with_options);
    /* The same settings as model options, through lutra_session_create. */
    lutra_model_options_init(&o);
    o.threads = threads[i] != 0 ? threads[i] : 1;
    o.context_length = context[i];
    o.kv_type = kv[i] != LUTRA_KV_DEFAULT ? kv[i] : LUTRA_KV_F16;
    o.batch = batch[i] != 0 ? batch[i] : 64;
    lutra_model* model = NULL;
    lutra_session* s = NULL;
    CHECK_STATUS(lutra_model_load(path, &o, &model), LUTRA_STATUS_OK);
    if (model != NULL) CHECK_STATUS(lutra_session_create(model, &s), LUTRA_STATUS_OK);
    if (s != NULL) {
      CHECK(generate_greedy(s, 30, &alone) == pos);
      CHECK(with_options.length == alone.length &&
            memcmp(with_options.text, alone.text, alone.length) == 0);
    }
    CHECK(pos == (i == 0 ? 16u : 35u)); /* the 16-position session fills up */
    lutra_session_free(s);
    lutra_model_free(model);
  }
  for (int i = 0; i < 3; ++i) lutra_session_free(sessions[i]);

  /* NULL options: the model's settings, as lutra_session_create. */
  lutra_session* s = NULL;
  CHECK_STATUS(lutra_session_create_with_options(shared, NULL, &s), LUTRA_STATUS_OK);
  lutra_session_free(s);
  s = (lutra_session*)1;
  lutra_session_options_init(&so);
  so.context_length = 257; /* the training context is 256 */
  CHECK_STATUS(lutra_session_create_with_options(shared, &so, &s), LUTRA_STATUS_INVALID_ARGUMENT);
  CHECK(s == NULL);
  CHECK(contains(lutra_last_error(), "lutra_session_create_with_options: context_length 257"));
  CHECK(contains(lutra_model_last_error(shared), "context_length 257"));
  lutra_session_options_init(&so);
  so.threads = 1025;
  CHECK_STATUS(lutra_session_create_with_options(shared, &so, &s), LUTRA_STATUS_INVALID_ARGUMENT);
  CHECK(contains(lutra_last_error(), "threads 1025"));
  lutra_session_options_init(&so);
  so.kv_type = (lutra_kv_type)7;
  CHECK_STATUS(lutra_session_create_with_options(shared, &so, &s), LUTRA_STATUS_INVALID_ARGUMENT);
  CHECK(contains(lutra_last_error(), "unknown kv_type 7"));
  lutra_session_options_init(&so);
  so.struct_size = sizeof so - 4; /* an older header */
  CHECK_STATUS(lutra_session_create_with_options(shared, &so, &s), LUTRA_STATUS_INVALID_ARGUMENT);
  CHECK(contains(lutra_last_error(), "options.struct_size"));
  so.struct_size = sizeof so + 8; /* a newer one */
  CHECK_STATUS(lutra_session_create_with_options(shared, &so, &s), LUTRA_STATUS_INVALID_ARGUMENT);
  CHECK(contains(lutra_last_error(), "options.struct_size"));
  lutra_session_options_init(&so);
  CHECK_STATUS(lutra_session_create_with_options(shared, &so, NULL), LUTRA_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(lutra_session_create_with_options(NULL, &so, &s), LUTRA_STATUS_INVALID_ARGUMENT);
  /* threads 0 means the model's, not an error. */
  so.threads = 0;
  CHECK_STATUS(lutra_session_create_with_options(shared, &so, &s), LUTRA_STATUS_OK);
  lutra_session_free(s);
  lutra_model_free(shared);
}

static void test_real_files(void) {
  char path[1200];
  if (model_path("vocab-gpt-2.gguf", path, sizeof path) == NULL ||
      model_path("stories260K.gguf", path, sizeof path) == NULL) {
    printf("[ SKIPPED ] real-model checks: no models in %s (set LUTRA_MODELS_DIR)\n", models_dir);
    return;
  }
  lutra_model* model = NULL;
  lutra_model_options o;
  lutra_model_options_init(&o);
  /* A vocabulary file: refused for inference, loadable for its tokenizer. */
  model_path("vocab-llama-spm.gguf", path, sizeof path);
  CHECK_STATUS(lutra_model_load(path, &o, &model), LUTRA_STATUS_INVALID_MODEL);
  CHECK(contains(lutra_last_error(), "vocabulary-only"));
  o.vocab_only = 1;
  CHECK_STATUS(lutra_model_load(path, &o, &model), LUTRA_STATUS_OK);
  if (model != NULL) {
    int32_t tokens[16];
    size_t n = 0;
    CHECK_STATUS(lutra_tokenize(model, "Hello", 5, 0, 0, tokens, 16, &n), LUTRA_STATUS_OK);
    CHECK(n >= 1);
    lutra_session* s = (lutra_session*)1;
    CHECK_STATUS(lutra_session_create(model, &s), LUTRA_STATUS_UNSUPPORTED);
    CHECK(s == NULL && contains(lutra_last_error(), "vocabulary only"));
    CHECK(contains(lutra_model_last_error(model), "vocabulary only"));
    lutra_model_free(model);
  }
  /* stories260K: a real model generates readable text through the API. */
  lutra_model_options_init(&o);
  model_path("stories260K.gguf", path, sizeof path);
  CHECK_STATUS(lutra_model_load(path, &o, &model), LUTRA_STATUS_OK);
  if (model == NULL) return;
  lutra_session* s = NULL;
  CHECK_STATUS(lutra_session_create(model, &s), LUTRA_STATUS_OK);
  int32_t tokens[64];
  size_t n = 0;
  const char* prompt = "Once upon a time";
  CHECK_STATUS(lutra_tokenize(model, prompt, strlen(prompt), 1, 0, tokens, 64, &n),
               LUTRA_STATUS_OK);
  lutra_generate_options g;
  lutra_generate_options_init(&g);
  g.sampler.temperature = 0.0f;
  g.max_tokens = 40;
  collector c;
  memset(&c, 0, sizeof c);
  CHECK_STATUS(lutra_generate(s, tokens, n, &g, collect, &c, NULL), LUTRA_STATUS_OK);
  printf("stories260K: %s%s\n", prompt, c.text);
  CHECK(c.length > 40);
  lutra_session_free(s);
  lutra_model_free(model);
}

/* A model with sliding-window layers reports them, and runs past its window. */
static void test_sliding_window(void) {
  char path[256];
  snprintf(path, sizeof path, "/tmp/lutra-api-test-gemma-%d.gguf", (int)getpid());
  lutra_synthetic_options so;
  lutra_synthetic_options_init(&so);
  so.preset = "tiny-gemma3";
  CHECK_STATUS(lutra_write_synthetic_model(path, &so), LUTRA_STATUS_OK);
  lutra_model_options o;
  lutra_model_options_init(&o);
  o.threads = 1;
  o.context_length = 40;
  lutra_model* model = NULL;
  CHECK_STATUS(lutra_model_load(path, &o, &model), LUTRA_STATUS_OK);
  if (model != NULL) {
    lutra_model_info info;
    lutra_model_info_init(&info);
    CHECK_STATUS(lutra_model_get_info(model, &info), LUTRA_STATUS_OK);
    CHECK(strcmp(info.arch, "gemma3") == 0);
    CHECK(info.sliding_window == 8 && info.n_layer_sliding == 6 && info.n_layer == 7);
    lutra_session* session = NULL;
    CHECK_STATUS(lutra_session_create(model, &session), LUTRA_STATUS_OK);
    int32_t tokens[40];
    for (int i = 0; i < 40; ++i) tokens[i] = 3 + (i * 7) % 300;
    CHECK_STATUS(lutra_session_prefill(session, tokens, 40, NULL, NULL), LUTRA_STATUS_OK);
    lutra_session_free(session);
    lutra_model_free(model);
  }
  remove(path);
}

int main(void) {
  const char* env = getenv("LUTRA_MODELS_DIR");
  snprintf(models_dir, sizeof models_dir, "%s", env != NULL && *env ? env : "../shared/models");

  test_argument_errors();

  char path[256];
  snprintf(path, sizeof path, "/tmp/lutra-api-test-%d.gguf", (int)getpid());
  lutra_synthetic_options so;
  lutra_synthetic_options_init(&so);
  CHECK_STATUS(lutra_write_synthetic_model(path, &so), LUTRA_STATUS_OK);
  test_synthetic_model(path);
  test_bf16_cache(path);
  test_session_options(path);
  remove(path);
  test_sliding_window();

  test_real_files();
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("api C test: all checks passed\n");
  return 0;
}
