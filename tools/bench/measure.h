// What lutra-bench measures for one (isa, threads) configuration of a model, in the child
// process (child_process.h): the load times with a cold and a warm repack cache, then the
// pp/tg tests on a model loaded as before the cache existed. The results go to memory the
// parent shares, laid out by ConfigResults.
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
};

struct ConfigOptions {
  std::string path, model_name, isa;  // isa "": native
  uint32_t threads = 1, context_length = 0;
  lutra_kv_type kv = LUTRA_KV_F16;
  int repetitions = 1;
  // The fresh, empty repack-cache directory of the cold and warm loads; "": no load stats.
  std::string cache_dir;
};

// The fixed part of a configuration's results.
struct ConfigHeader {
  double load_cold_s, load_warm_s;  // negative when not measured
  int32_t cache_cold, cache_warm;   // lutra_cache_result of each load, -1 when not measured
  uint64_t file_bytes, n_params, decode_bytes;
  char cache_warning[512];  // of the warm load (else the cold one), truncated
};

// A view of the shared memory: the header, then per test its bytes per token (tg) and one
// tok/s figure per repetition.
class ConfigResults {
 public:
  static size_t Bytes(size_t tests, size_t repetitions);
  ConfigResults(void* memory, size_t tests, size_t repetitions);
  ConfigHeader& header() const { return *header_; }
  double& bytes_per_token(size_t test) const { return values_[test * stride_]; }
  double* samples(size_t test) const { return values_ + test * stride_ + 1; }

 private:
  ConfigHeader* header_;
  double* values_;
  size_t stride_;
};

// Loads and runs every test; Fail() on the first error. Runs in the child process.
void MeasureConfig(const ConfigOptions& o, const std::vector<TestSpec>& tests,
                   const ConfigResults& out);

}  // namespace lutra::tools
