// What lutra-bench measures for one (isa, threads) configuration of a model, each part in a
// child process of its own (child_process.h): the load time with a cold and with a warm
// repack cache, and the pp/tg tests on a model loaded as before the cache existed. The results
// go to memory the parent shares, laid out by ConfigResults.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lutra/lutra.h"

namespace lutra::tools {

// One test, in the order the tests run and are reported.
struct TestSpec {
  std::string name;  // "pp64", "tg64 @ d2048"
  uint32_t n_prompt = 0, n_gen = 0, n_depth = 0;
  uint32_t n_batch = 0;  // prompt tokens per graph run (pp tests); 0: the model's default
};

struct ConfigOptions {
  std::string path, model_name, isa;  // isa "": native
  uint32_t threads = 1, context_length = 0;
  lutra_kv_type kv = LUTRA_KV_F16;
  bool repack_q4_k = false;
  int repetitions = 1;
  // The repack-cache directory of the cold and warm loads (empty before the cold one).
  std::string cache_dir;
};

// The fixed part of a configuration's results.
struct ConfigHeader {
  double load_cold_s, load_warm_s;  // negative when not measured
  int32_t cache_cold, cache_warm;   // lutra_cache_result of each load, -1 when not measured
  uint64_t file_bytes, n_params, decode_bytes, matmul_weights;
  char cache_warning[512];  // of the warm load (else the cold one), truncated
};

// A view of the shared memory: the header, then per test its bytes per token (tg) and one
// tok/s figure per repetition.
class ConfigResults {
 public:
  static size_t Bytes(size_t tests, size_t repetitions);
  // Marks the loads as not measured (the memory is otherwise zero, as SharedMemory maps it).
  ConfigResults(void* memory, size_t tests, size_t repetitions);
  ConfigHeader& header() const { return *header_; }
  double& bytes_per_token(size_t test) const { return values_[test * stride_]; }
  double* samples(size_t test) const { return values_ + test * stride_ + 1; }

 private:
  ConfigHeader* header_;
  double* values_;
  size_t stride_;
};

// Times one load with the repack cache in o.cache_dir (cold: the directory is empty and the
// load writes it; warm: the cold load wrote it). Fail() on an error.
void TimeLoad(const ConfigOptions& o, bool warm, const ConfigResults& out);

// Loads the model without the cache and runs every test; Fail() on the first error.
void RunTests(const ConfigOptions& o, const std::vector<TestSpec>& tests, const ConfigResults& out);

}  // namespace lutra::tools
