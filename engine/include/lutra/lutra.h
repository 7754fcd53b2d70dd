/* lutra: low-bit LLM inference on CPUs by table lookup. Public C API (C99).
 *
 * Conventions used by every function:
 * - Functions return lutra_status; results go through out-parameters.
 * - On failure, lutra_last_error() returns a message naming what was wrong. The message is
 *   thread-local and valid until the next lutra call on the same thread.
 * - Strings returned by the library have static storage unless a function says otherwise.
 * - Option structs begin with struct_size and are filled with defaults by their _init().
 */
#ifndef LUTRA_LUTRA_H_
#define LUTRA_LUTRA_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && !defined(LUTRA_STATIC)
#define LUTRA_API __declspec(dllimport)
#elif defined(__GNUC__)
#define LUTRA_API __attribute__((visibility("default")))
#else
#define LUTRA_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define LUTRA_VERSION_MAJOR 0
#define LUTRA_VERSION_MINOR 1
#define LUTRA_VERSION_PATCH 0

typedef enum lutra_status {
  LUTRA_STATUS_OK = 0,
  LUTRA_STATUS_INVALID_ARGUMENT = 1, /* a NULL pointer, bad size or out-of-range value */
  LUTRA_STATUS_ISA_UNAVAILABLE = 2,  /* an ISA cap names an ISA this CPU or build lacks */
  LUTRA_STATUS_UNSUPPORTED = 3,      /* valid request this build cannot serve */
  LUTRA_STATUS_IO_ERROR = 4,
  LUTRA_STATUS_INVALID_MODEL = 5,
  LUTRA_STATUS_OUT_OF_MEMORY = 6,
  LUTRA_STATUS_INTERNAL = 7,
  LUTRA_STATUS_BUFFER_TOO_SMALL = 8, /* the required size was returned; nothing written */
  LUTRA_STATUS_CONTEXT_FULL = 9      /* the session's context has no room for the tokens */
} lutra_status;

/* Name of a status code, e.g. "invalid argument". Never NULL. Thread-safe. */
LUTRA_API const char* lutra_status_string(lutra_status status);

/* "MAJOR.MINOR.PATCH". Thread-safe. */
LUTRA_API const char* lutra_version_string(void);

/* The message of the last failed call on this thread ("" if none). Thread-safe. */
LUTRA_API const char* lutra_last_error(void);

/* What the library sees of the CPU. All strings have static storage. */
typedef struct lutra_cpu_info {
  size_t struct_size;          /* sizeof(lutra_cpu_info), set by lutra_cpu_info_init */
  const char* name;            /* CPU name, or the architecture when unknown */
  const char* features;        /* detected ISA features, space separated ("none" if none) */
  const char* compiled_levels; /* ISA levels compiled into this library, space separated */
  const char* isa_cap;         /* the LUTRA_ISA environment value, "" when unset */
  const char* active_features; /* features kernels may use after the cap */
  uint32_t cores;              /* physical cores */
  uint32_t performance_cores;  /* cores of the fastest micro-architecture */
  uint32_t rvv_vlen_bits;      /* RISC-V vector length, 0 without V */
  uint64_t l1d_bytes, l2_bytes, l3_bytes;
} lutra_cpu_info;

/* Fills defaults (zeroes and struct_size). Thread-safe. */
LUTRA_API void lutra_cpu_info_init(lutra_cpu_info* info);

/* Fills *info. Returns LUTRA_STATUS_ISA_UNAVAILABLE (info still filled, active_features
 * "none") when LUTRA_ISA is invalid or names an ISA this CPU lacks. Thread-safe. */
LUTRA_API lutra_status lutra_get_cpu_info(lutra_cpu_info* info);

/* Kernel operations ("vec.dot", "rmsnorm", ...) in a fixed order. Thread-safe. */
LUTRA_API size_t lutra_kernel_op_count(void);

/* For operation `index`, the kernel that would run under ISA cap `isa` (NULL or "" or
 * "native": the process default, i.e. LUTRA_ISA if set). *op and *kernel receive static
 * strings. An `isa` that is unknown or that this CPU lacks: ISA_UNAVAILABLE, the message
 * starting with the name ("neon needs NEON, which this CPU does not support ..."), so a
 * program can check a level before loading and name its own setting. Thread-safe. */
LUTRA_API lutra_status lutra_kernel_choice(size_t index, const char* isa, const char** op,
                                           const char** kernel);

/* This CPU's int8 multiply-add rate, in multiply-adds per second, with `threads` threads (1 to
 * 4096) each running register-only dot-product chains of the int8 instruction the kernels of
 * ISA cap `isa` use (NULL, "" or "native": the process default): AVX-512 VNNI vpdpbusd, the
 * vpmaddubsw sequence of AVX2 / AVX-512 BW, dotprod sdot, NEON smull/smlal, or scalar code. The
 * compute ceiling prefill is measured against (lutra-bench's int8 roofline). Takes about 10 ms;
 * run it on an otherwise idle machine. *kernel (may be NULL) receives the loop's name (static).
 * An `isa` that is unknown or that this CPU lacks: ISA_UNAVAILABLE. Thread-safe. */
LUTRA_API lutra_status lutra_measure_int8_peak(uint32_t threads, const char* isa,
                                               double* macs_per_s, const char** kernel);

/* ---- Models and sessions -----------------------------------------------------------------
 * A lutra_model is a loaded GGUF file: weights planned for this CPU (repacked once into the
 * lookup-table layout where the kernels need it), tokenizer, graph. It is immutable after
 * loading: any number of threads may use one model at the same time, and it may be freed only
 * when no session of it remains. A lutra_session is one conversation over a model (KV cache,
 * activations, thread pool): use it from one thread at a time.
 *
 * Every function that takes a session records a failure both for lutra_last_error() (this
 * thread) and for lutra_session_last_error() (that session). Logits pointers returned by a
 * session stay valid until the next call that runs, resets or frees that session. */

typedef struct lutra_model lutra_model;
typedef struct lutra_session lutra_session;

/* KV cache element type. BF16 keeps fp32's range with 8 significant bits (F16: 11); on CPUs
 * with bf16 dot products (AVX-512 BF16: Zen 4, Sapphire Rapids) its attention runs at twice the
 * fp32 multiply-add rate, rounding queries and attention weights to bf16 as well. It needs an
 * even head dimension. */
typedef enum lutra_kv_type {
  LUTRA_KV_DEFAULT = -1, /* lutra_session_options only: the model's kv_type */
  LUTRA_KV_F16 = 0,
  LUTRA_KV_F32 = 1,
  LUTRA_KV_BF16 = 2
} lutra_kv_type;

/* Model options: how the file is loaded, and the settings of its sessions (threads,
 * context_length, kv_type, batch), which lutra_session_options may change per session. */
typedef struct lutra_model_options {
  size_t struct_size;      /* sizeof(lutra_model_options), set by _init */
  uint32_t threads;        /* threads per session; 0 (default): the performance cores */
  const char* isa;         /* cap on the ISA ("scalar", "avx2", "neon", ...); NULL or "": the
                            * process default (LUTRA_ISA if set, else everything detected) */
  int use_mmap;            /* 1 (default): map the file; 0: read it into memory (huge
                            * pages: faster decode of lutra-packed files, slower load) */
  uint32_t context_length; /* KV positions per session; 0 (default): the training context */
  lutra_kv_type kv_type;   /* default LUTRA_KV_F16 (LUTRA_KV_DEFAULT is refused here) */
  uint32_t batch;          /* prefill chunk in tokens; default 64 */
  int vocab_only;          /* 1: load only the tokenizer (vocabulary files); default 0 */
  /* Called during loading with the fraction of the weights prepared (0..1), from the
   * loading thread; NULL (default) for none. */
  void (*progress)(float fraction, void* user_data);
  void* progress_user_data;
  /* The repack cache (docs/cache.md): the first load of a GGUF file whose matrices are repacked
   * for this CPU writes the repacked form to the cache directory; later loads of the unchanged
   * file read it instead of repacking. LUTRA_CACHE_DEFAULT (the default): on, unless the
   * environment sets LUTRA_NO_CACHE to anything but "" or "0"; LUTRA_CACHE_OFF: never read or
   * write it; LUTRA_CACHE_ON: on whatever the environment says. A cache that cannot be used
   * (read-only or full disk, ...) never fails a load: the model is repacked in memory and
   * lutra_model_info.cache_warning says why. */
  int cache;
  const char* cache_dir; /* NULL or "": lutra_cache_default_dir() */
  /* Q4_K matrices (most of a Q4_K_M file): 0 (default): multiplied on the file's own blocks,
   * nothing repacked or copied (the least memory and the fastest decode); 1: repacked at load
   * for the lookup kernels, which prefill faster on x86 CPUs with AVX-512 (about 1.4× here) at
   * 1.5 more bits per weight in memory and a slower decode (docs/tools.md, run-time repack). */
  int repack_q4_k;
} lutra_model_options;

enum { LUTRA_CACHE_DEFAULT = -1, LUTRA_CACHE_OFF = 0, LUTRA_CACHE_ON = 1 };

/* What the repack cache did for a load (lutra_model_info.cache_result). */
typedef enum lutra_cache_result {
  LUTRA_CACHE_UNUSED = 0,  /* off, or nothing in the file is repacked (F16, lutra-packed) */
  LUTRA_CACHE_HIT = 1,     /* the repacked matrices were read from the cache */
  LUTRA_CACHE_WRITTEN = 2, /* repacked now and written to the cache for the next load */
  LUTRA_CACHE_FAILED = 3   /* repacked in memory; the cache could not be used or written
                            * (lutra_model_info.cache_warning says why) */
} lutra_cache_result;

/* Fills defaults. Thread-safe. */
LUTRA_API void lutra_model_options_init(lutra_model_options* options);

/* Loads the GGUF file at `path` (options NULL: defaults) into *model (NULL on failure).
 * Errors: IO_ERROR (cannot open/read, naming the path), INVALID_MODEL (malformed file,
 * unsupported architecture or tensor type, vocabulary-only file without vocab_only; the
 * message names the key, tensor or offset), ISA_UNAVAILABLE (isa names an ISA this CPU or
 * build lacks), INVALID_ARGUMENT, OUT_OF_MEMORY. Thread-safe. */
LUTRA_API lutra_status lutra_model_load(const char* path, const lutra_model_options* options,
                                        lutra_model** model);

/* Frees a model (NULL is ignored). Its sessions must be freed first, and no other call may
 * use the model meanwhile. */
LUTRA_API void lutra_model_free(lutra_model* model);

/* The message of the last failed call that took this model (get_info, the token functions,
 * session_create); "" if none or for NULL. Owned by the model; valid until the next failing
 * call on it. When threads share a model, their failures overwrite each other's message here:
 * the thread-local lutra_last_error() is the one to read right after a call. */
LUTRA_API const char* lutra_model_last_error(const lutra_model* model);

typedef struct lutra_model_info {
  size_t struct_size;        /* sizeof(lutra_model_info), set by _init */
  const char* arch;          /* general.architecture */
  const char* name;          /* general.name, or "" */
  const char* chat_template; /* tokenizer.chat_template, or NULL when absent */
  uint64_t n_params;         /* weights in the file's tensors */
  uint64_t file_bytes;
  uint64_t weight_bytes; /* tensor bytes used from the file + bytes repacked at load */
  uint64_t decode_bytes; /* weight bytes each decode step reads (the planned matrices and
                          * vectors; the KV cache comes on top) */
  uint32_t head_dim;
  uint32_t n_layer, n_embd, n_head, n_head_kv, n_ff;
  uint32_t n_vocab;
  uint32_t context_length; /* of a session with default options (the model option, or the
                            * training context) */
  uint32_t train_context_length;
  int32_t bos, eos; /* token ids, -1 when the vocabulary has none */
  uint32_t threads; /* threads of a session with default options */
  int vocab_only;
  lutra_cache_result cache_result;
  const char* cache_path;    /* the cache entry read or written, or "" */
  const char* cache_warning; /* why the cache was not used (LUTRA_CACHE_FAILED), or "" */
  uint64_t matmul_weights;   /* weights of the planned matrices (rows × columns summed, the
                              * output head included): the multiply-adds one token costs
                              * outside attention; 0 for a vocabulary-only model */
  /* Sliding-window attention (Gemma 2/3): n_layer_sliding layers attend to the last
   * sliding_window positions only, and their KV cache holds about sliding_window + batch
   * positions whatever the context; both 0 when no layer slides. */
  uint32_t sliding_window;
  uint32_t n_layer_sliding;
} lutra_model_info;

/* Fills defaults. Thread-safe. */
LUTRA_API void lutra_model_info_init(lutra_model_info* info);

/* Describes the model; strings live as long as the model. Thread-safe. */
LUTRA_API lutra_status lutra_model_get_info(const lutra_model* model, lutra_model_info* info);

/* ---- Tokens --------------------------------------------------------------------------------
 * Thread-safe (the model is not modified). Sizes are in tokens or bytes; when `capacity` is
 * too small nothing is written, *count receives the size needed and the result is
 * LUTRA_STATUS_BUFFER_TOO_SMALL. */

/* Text (any bytes; invalid UTF-8 is tokenized through byte tokens) to token ids. add_bos:
 * prepend the BOS token when the vocabulary has one. parse_special: recognise control tokens
 * written as text (e.g. "<|im_start|>"); otherwise such text is tokenized as plain text. */
LUTRA_API lutra_status lutra_tokenize(const lutra_model* model, const char* text, size_t length,
                                      int add_bos, int parse_special, int32_t* tokens,
                                      size_t capacity, size_t* count);

/* How many bytes of `text` the vocabulary has no token for: lutra_tokenize replaces each by
 * the <unk> token, or leaves it out when the vocabulary has no proper <unk>. Some byte-level
 * BPE vocabularies lack a few byte values (Falcon: some control bytes and bytes that never
 * occur in UTF-8; StarCoder: the latter); for every other vocabulary *count is 0. For
 * programs that warn the user that their input was changed. Thread-safe. */
LUTRA_API lutra_status lutra_tokenize_lost_bytes(const lutra_model* model, const char* text,
                                                 size_t length, size_t* count);

/* The bytes one token contributes to the output (none for control tokens). A piece may end
 * inside a UTF-8 character: streaming callers should buffer (lutra_generate does). */
LUTRA_API lutra_status lutra_token_to_piece(const lutra_model* model, int32_t token, char* buf,
                                            size_t capacity, size_t* length);

/* Whole-sequence decode to text (no terminating NUL is counted in *length; one is written
 * when there is room). */
LUTRA_API lutra_status lutra_detokenize(const lutra_model* model, const int32_t* tokens,
                                        size_t count, char* buf, size_t capacity, size_t* length);

/* ---- Sessions ------------------------------------------------------------------------------ */

/* Creates a session over `model` (KV cache and buffers are allocated here) into *session,
 * which the caller owns (lutra_session_free); the model must outlive it. The session takes
 * the settings of the model's options (as lutra_session_create_with_options with defaults).
 * Errors: UNSUPPORTED (a vocabulary-only model), OUT_OF_MEMORY. Thread-safe. */
LUTRA_API lutra_status lutra_session_create(const lutra_model* model, lutra_session** session);

/* Settings of one session. A zero field (LUTRA_KV_DEFAULT for kv_type) takes the model's
 * (lutra_model_options), so lutra_session_options_init's defaults give lutra_session_create's
 * session. */
typedef struct lutra_session_options {
  size_t struct_size;      /* sizeof(lutra_session_options), set by _init */
  uint32_t threads;        /* 1..1024; 0 (default): the model's threads */
  uint32_t context_length; /* KV positions; 0 (default): the model's context_length. At most the
                            * model's limit: its training context, or the context_length it was
                            * loaded with when that is larger */
  lutra_kv_type kv_type;   /* LUTRA_KV_DEFAULT (default): the model's kv_type */
  uint32_t batch;          /* prefill chunk in tokens; 0 (default): the model's batch */
} lutra_session_options;

/* Fills defaults. Thread-safe. */
LUTRA_API void lutra_session_options_init(lutra_session_options* options);

/* lutra_session_create with per-session settings (options NULL: defaults). Sessions of one
 * model with different contexts, thread counts, KV types or batch sizes share its weights;
 * each has its own KV cache, activations and thread pool, and gives the tokens a model loaded
 * with those settings would. Errors: INVALID_ARGUMENT (options->struct_size other than this
 * header's sizeof(lutra_session_options): a caller built against another version; threads
 * above 1024; an unknown kv_type; bf16 with an odd head dimension; context_length above the
 * model's limit; the message names the field), UNSUPPORTED (a vocabulary-only model),
 * OUT_OF_MEMORY. Thread-safe. */
LUTRA_API lutra_status lutra_session_create_with_options(const lutra_model* model,
                                                         const lutra_session_options* options,
                                                         lutra_session** session);

/* Frees a session (NULL is ignored); not while another call uses it. */
LUTRA_API void lutra_session_free(lutra_session* session);

/* Empties the KV cache and the history. Like every call below that takes a session: one
 * thread at a time per session; different sessions may run concurrently. */
LUTRA_API lutra_status lutra_session_reset(lutra_session* session);

/* Tokens in the KV cache (0 after create/reset). */
LUTRA_API size_t lutra_session_position(const lutra_session* session);

/* The message of the session's last failure ("" if none); valid until the next call on it. */
LUTRA_API const char* lutra_session_last_error(const lutra_session* session);

/* Appends `count` ≥ 1 tokens (run in chunks of the batch size) and returns the last one's
 * logits (*n_vocab floats, owned by the session: valid until its next run, reset or free).
 * CONTEXT_FULL, with nothing appended, when they do not fit. */
LUTRA_API lutra_status lutra_session_prefill(lutra_session* session, const int32_t* tokens,
                                             size_t count, const float** logits, size_t* n_vocab);

/* Appends one token and returns its logits (owned by the session, as for prefill). */
LUTRA_API lutra_status lutra_session_decode(lutra_session* session, int32_t token,
                                            const float** logits, size_t* n_vocab);

/* Appends tokens and writes every token's logits, count × n_vocab floats, to the caller's
 * `logits` (perplexity). `capacity` is in floats. */
LUTRA_API lutra_status lutra_session_evaluate(lutra_session* session, const int32_t* tokens,
                                              size_t count, float* logits, size_t capacity);

typedef struct lutra_sampler_options {
  size_t struct_size;      /* sizeof(lutra_sampler_options), set by _init */
  float temperature;       /* 0: greedy; default 0.8 */
  uint32_t top_k;          /* 0: off; default 40 */
  float top_p;             /* (0, 1], 1: off; default 0.95 */
  float min_p;             /* [0, 1], 0: off; default 0.05 */
  float repeat_penalty;    /* > 0, 1: off (default) */
  float presence_penalty;  /* default 0 */
  float frequency_penalty; /* default 0 */
  uint32_t repeat_last_n;  /* tokens of history the penalties look at; default 64 */
  uint64_t seed;           /* default 0; the same seed gives the same tokens */
} lutra_sampler_options;

/* Fills defaults. Thread-safe. */
LUTRA_API void lutra_sampler_options_init(lutra_sampler_options* options);

/* Samples a token from the session's last logits (after prefill or decode) with the penalties
 * over its history. Does not append it: pass it to lutra_session_decode. The session keeps one
 * generator, seeded from options->seed at the first sample after create or reset. */
LUTRA_API lutra_status lutra_session_sample(lutra_session* session,
                                            const lutra_sampler_options* options, int32_t* token);

/* Receives generated text in pieces that never split a UTF-8 character (`text` is valid only
 * during the call); returns nonzero to stop generation. Called on the generating thread. */
typedef int (*lutra_text_callback)(const char* text, size_t length, void* user_data);

typedef enum lutra_stop_reason {
  LUTRA_STOP_MAX_TOKENS = 0,
  LUTRA_STOP_EOS = 1,
  LUTRA_STOP_CALLBACK = 2,
  LUTRA_STOP_CONTEXT_FULL = 3
} lutra_stop_reason;

typedef struct lutra_generate_options {
  size_t struct_size;            /* sizeof(lutra_generate_options), set by _init */
  uint32_t max_tokens;           /* default 128 */
  int stop_at_eos;               /* default 1 (EOS and end-of-turn tokens stop) */
  lutra_sampler_options sampler; /* defaults of lutra_sampler_options_init */
} lutra_generate_options;

typedef struct lutra_generate_stats {
  size_t struct_size;     /* sizeof(lutra_generate_stats): set it before the call */
  uint32_t prompt_tokens; /* tokens prefilled by this call */
  uint32_t generated_tokens;
  double prefill_seconds, decode_seconds;
  lutra_stop_reason stop_reason;
} lutra_generate_stats;

/* Fills defaults. Thread-safe. */
LUTRA_API void lutra_generate_options_init(lutra_generate_options* options);

/* Appends the prompt (may be empty when the session already holds tokens), then samples and
 * appends up to max_tokens tokens, streaming their text through `callback` (may be NULL).
 * Every generated token ends up in the session's history and KV cache, so a follow-up call
 * continues the conversation. Running out of context ends generation (stop reason
 * CONTEXT_FULL), as does a prompt that does not fit (nothing appended, status CONTEXT_FULL).
 * `stats` may be NULL. */
LUTRA_API lutra_status lutra_generate(lutra_session* session, const int32_t* prompt,
                                      size_t prompt_count, const lutra_generate_options* options,
                                      lutra_text_callback callback, void* user_data,
                                      lutra_generate_stats* stats);

/* ---- Chat templates -------------------------------------------------------------------------
 * The chat template in a GGUF file is Jinja source; lutra recognises the common families by
 * their markers and renders them with built-in formatters: "llama2", "llama3", "chatml"
 * (Qwen and many fine-tunes), "phi3" (Phi-3, Phi-3.5), "phi4-mini", "phi4", "mistral", "gemma",
 * "bitnet", and "raw" (no template: message contents joined by newlines, for base models).
 * Thread-safe. */

typedef struct lutra_chat_message {
  const char* role;    /* "system", "user" or "assistant" */
  const char* content; /* UTF-8 text */
} lutra_chat_message;

/* The accepted template names, comma separated (static string). */
LUTRA_API const char* lutra_chat_template_names(void);

/* The family of the model's tokenizer.chat_template in *name (static string). UNSUPPORTED
 * when the file has no template or an unrecognised one (the message quotes its start); *name
 * is then "raw". */
LUTRA_API lutra_status lutra_chat_template_name(const lutra_model* model, const char** name);

/* Renders `messages` as a prompt (without the BOS token: tokenize with add_bos = 1 and
 * parse_special = 1), ending with the opening of the assistant's turn when
 * add_generation_prompt. template_name: one of lutra_chat_template_names(), or NULL for the
 * model's own (then `model` is required). Size protocol of the token functions (a NUL is
 * written when there is room). */
LUTRA_API lutra_status lutra_chat_apply_template(const lutra_model* model,
                                                 const char* template_name,
                                                 const lutra_chat_message* messages, size_t count,
                                                 int add_generation_prompt, char* buf,
                                                 size_t capacity, size_t* length);

/* ---- Synthetic models --------------------------------------------------------------------
 * GGUF files with the shapes of public models and seeded random weights, for benchmarks and
 * tests on machines without model downloads. Same seed and options: identical file. */

typedef struct lutra_synthetic_options {
  size_t struct_size;         /* sizeof(lutra_synthetic_options), set by _init */
  const char* preset;         /* a name from lutra_synthetic_preset_names(); default "tiny" */
  const char* weight_type;    /* attention/FFN matrices: "f32", "f16", "bf16", "q8_0", "q4_0",
                               * "q4_k", "q6_k", "tq1_0", "tq2_0", "i2_s" (bitnet.cpp's
                               * ternary type, one scale per tensor); default "f32" */
  const char* embedding_type; /* token embedding; NULL: "f16" when weight_type is q4_0, q4_k,
                               * tq1_0, tq2_0 or i2_s (as low-bit GGUF files usually are),
                               * else weight_type; presets with a tied output: the output
                               * head's type (below), or "q8_0" where the rows are not whole
                               * blocks of it (as llama.cpp's quantizer does) */
  const char* output_type;    /* output head; NULL: "q6_k" for q4_k (as Q4_K_M files), "q4_0"
                               * for the other low-bit types, else weight_type; ignored by
                               * presets with a tied output */
  uint64_t seed;              /* default 1 */
} lutra_synthetic_options;

/* Fills defaults. Thread-safe. */
LUTRA_API void lutra_synthetic_options_init(lutra_synthetic_options* options);

/* The preset names, comma separated (static string). Thread-safe. */
LUTRA_API const char* lutra_synthetic_preset_names(void);

/* Writes the model to `path` through a temporary file, PATH.tmp.PID (created exclusively),
 * that is renamed over `path` only when complete (an existing file is replaced only by a
 * complete one). A `path` that is a symbolic link is followed and its final target replaced
 * (the temporary file goes next to the target); one that exists and is not a regular file
 * (directory, FIFO, socket, device) is refused with IO_ERROR before anything is written.
 * Streams the weights: memory use stays at a few MiB for any preset. The types must fit the
 * shapes (e.g. tq2_0 needs rows that are multiples of 256, i2_s of 128): otherwise
 * INVALID_ARGUMENT naming the tensor. Thread-safe (distinct paths). */
LUTRA_API lutra_status lutra_write_synthetic_model(const char* path,
                                                   const lutra_synthetic_options* options);

/* ---- The repack cache ----------------------------------------------------------------------
 * Entries are files named by a hash of the source file's identity (size, modification time,
 * header and sampled data), the packing version and the kernels chosen for this CPU. The
 * directory's total size is capped (LUTRA_CACHE_MAX: bytes with an optional K/M/G suffix,
 * default 10G); when a new entry would exceed it, the least recently used entries go first. */

/* The directory used when lutra_model_options.cache_dir is NULL: $LUTRA_CACHE_DIR, else
 * $XDG_CACHE_HOME/lutra, else $HOME/.cache/lutra ("" when none of them is set). The string is
 * valid until the next call of this function on the same thread. */
LUTRA_API const char* lutra_cache_default_dir(void);

typedef struct lutra_cache_entry {
  size_t struct_size; /* sizeof(lutra_cache_entry) */
  const char* path;   /* the entry file */
  const char* source; /* the GGUF file it was built from (its real path then) */
  uint64_t bytes;     /* the entry's size on disk */
  int64_t last_used;  /* seconds since the epoch */
} lutra_cache_entry;

/* Calls `fn` once per complete entry in `dir` (NULL or "": the default directory), oldest use
 * first; *total_bytes (may be NULL) receives their sum and *max_bytes (may be NULL) the cap.
 * A missing directory is an empty cache. Errors: IO_ERROR when the directory cannot be read. */
LUTRA_API lutra_status lutra_cache_list(const char* dir,
                                        void (*fn)(const lutra_cache_entry* entry, void* user),
                                        void* user, uint64_t* total_bytes, uint64_t* max_bytes);

/* Removes every entry (and leftover temporary file) in `dir` (NULL or "": the default);
 * *removed (may be NULL) receives the bytes freed. Other files in the directory are left
 * alone. A process that is reading an entry keeps its copy. */
LUTRA_API lutra_status lutra_cache_clear(const char* dir, uint64_t* removed);

/* ---- Conversion (lutra-convert) ----------------------------------------------------------
 * Writes a GGUF whose weight matrices are lutra-packed (docs/packed-format.md: the LUT
 * kernels' layout, the same for every ISA, mapped at load with no copy) from a GGUF with F32,
 * F16, BF16 or Q8_0 weights (Q4_0, TQ1_0, TQ2_0 and I2_S repack losslessly to q4 G32 asymmetric
 * and tq). Metadata and tokenizer are copied unchanged. The output is written through a temporary
 * file in its directory, renamed over `output` only when complete; errors, a full disk or a
 * stop leave no file behind. `output` may not be the input (same path or same file). */

typedef struct lutra_convert_tensor_report {
  size_t index, count;     /* position of this tensor, tensors in the file */
  const char* name;        /* valid during the callback only */
  const char* source_type; /* "F16", "Q8_0", ... */
  const char* target_type; /* "lutra_w2g64s", "lutra_w4g64s+o8", "F16", ... */
  uint64_t elements;
  uint64_t bytes;         /* written */
  double bits_per_weight; /* bytes·8/elements: codes, scales, zero points, outliers */
  double relative_error;  /* Σ(w − ŵ)² / Σw² against the source's values */
  double seconds;
  int quantized; /* 1: a packed matrix */
  int lossless;  /* 1: repacked from the source's codes and scales */
} lutra_convert_tensor_report;

typedef struct lutra_convert_options {
  size_t struct_size;      /* sizeof(lutra_convert_options), set by _init */
  const char* wtype;       /* weight matrices: "q1".."q4", "tq" (ternary absmean) or a ggml
                            * type ("f16", "q8_0", ...); default "q2" */
  uint32_t group;          /* weights per scale: 32, 64 (default) or 128 (tq: always 128) */
  int asymmetric;          /* 1: a zero point per group; default 0 (symmetric) */
  const char* method;      /* "search" (default: clipping-range search) or "rtn" */
  float outlier_fraction;  /* share of each row's largest weights kept as fp16 corrections
                            * (32 bits each); default 0 */
  const char* const* keep; /* n_keep "PATTERN=TYPE" rules (shell wildcards), first match wins,
                            * before the defaults (token_embd.weight ≤ 16-bit ggml type,
                            * output.weight at least q4) */
  size_t n_keep;
  uint32_t threads; /* 0 (default): the performance cores */
  /* Optional callbacks, from the converting thread; user_data is passed to each. */
  void (*on_tensor)(const lutra_convert_tensor_report* report, void* user_data);
  void (*progress)(float fraction, void* user_data);
  int (*should_stop)(void* user_data); /* nonzero: stop; nothing is written */
  void* user_data;
} lutra_convert_options;

typedef struct lutra_convert_summary {
  uint64_t tensors, elements, bytes;            /* the whole output */
  uint64_t quantized_elements, quantized_bytes; /* packed matrices */
  double bits_per_weight;                       /* of the packed matrices */
  double relative_error;                        /* of the packed matrices, together */
  double seconds;
  int stopped; /* 1 when should_stop ended the conversion */
} lutra_convert_summary;

/* Fills defaults. Thread-safe. */
LUTRA_API void lutra_convert_options_init(lutra_convert_options* options);

/* Checks `options` (group, method, wtype, keep rules, ...) and, unless `output` is NULL, the
 * output path, without reading or writing anything, so that a program can report a bad
 * option before other work. Errors: INVALID_ARGUMENT (a bad option, named), IO_ERROR (the
 * output path is a directory, FIFO, socket or device, or its directory does not exist).
 * Thread-safe. */
LUTRA_API lutra_status lutra_convert_check(const char* output,
                                           const lutra_convert_options* options);

/* Converts `input` to `output` (options NULL: defaults; summary may be NULL). The output is
 * written to OUTPUT.tmp.PID (created exclusively) and renamed over OUTPUT when complete; an
 * OUTPUT that is a symbolic link is followed and its final target replaced (the link stays);
 * an OUTPUT that exists and is not a regular file (directory, FIFO, socket, device) is refused
 * before any work, as IO_ERROR. Errors:
 * INVALID_ARGUMENT (bad option, output is the input, a type that does not fit a tensor, naming
 * it), INVALID_MODEL (unreadable input or a tensor type lutra-convert cannot read), IO_ERROR
 * (cannot write, disk full, or stopped: summary->stopped tells). Thread-safe (distinct paths). */
LUTRA_API lutra_status lutra_convert(const char* input, const char* output,
                                     const lutra_convert_options* options,
                                     lutra_convert_summary* summary);

#ifdef __cplusplus
}
#endif

#endif /* LUTRA_LUTRA_H_ */
