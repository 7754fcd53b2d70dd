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
  LUTRA_STATUS_INTERNAL = 7
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
 * strings. Thread-safe. */
LUTRA_API lutra_status lutra_kernel_choice(size_t index, const char* isa, const char** op,
                                           const char** kernel);


/* ---- Synthetic models --------------------------------------------------------------------
 * GGUF files with the shapes of public models and seeded random weights, for benchmarks and
 * tests on machines without model downloads. Same seed and options: identical file. */

typedef struct lutra_synthetic_options {
  size_t struct_size;      /* sizeof(lutra_synthetic_options), set by _init */
  const char* preset;      /* a name from lutra_synthetic_preset_names(); default "tiny" */
  const char* weight_type; /* attention/FFN matrices: "f32", "f16", "bf16", "q8_0", "q4_0",
                            * "tq1_0", "tq2_0"; default "f32" */
  const char* embedding_type; /* token embedding; NULL: "f16" when weight_type is q4_0, tq1_0
                               * or tq2_0 (as low-bit GGUF files usually are), else weight_type */
  const char* output_type;    /* output head; NULL: "q4_0" when weight_type is low-bit, else
                               * weight_type; ignored by presets with a tied output */
  uint64_t seed;              /* default 1 */
} lutra_synthetic_options;

/* Fills defaults. Thread-safe. */
LUTRA_API void lutra_synthetic_options_init(lutra_synthetic_options* options);

/* The preset names, comma separated (static string). Thread-safe. */
LUTRA_API const char* lutra_synthetic_preset_names(void);

/* Writes the model to `path` through a temporary file in the same directory that is renamed
 * over `path` only when complete (an existing file is replaced only by a complete one).
 * Streams the weights: memory use stays at a few MiB for any preset. The types must fit the
 * shapes (e.g. tq2_0 needs rows that are multiples of 256): otherwise INVALID_ARGUMENT naming
 * the tensor. Thread-safe (distinct paths). */
LUTRA_API lutra_status lutra_write_synthetic_model(const char* path,
                                                   const lutra_synthetic_options* options);

#ifdef __cplusplus
}
#endif

#endif /* LUTRA_LUTRA_H_ */
