// lutra-convert's engine: reads a GGUF model (F32, F16, BF16, Q8_0 weights, or Q4_0/TQ1_0/TQ2_0
// for lossless repacks), writes a GGUF whose weight matrices are lutra-packed
// (docs/packed-format.md), one tensor at a time while the output is written (memory: one
// matrix in fp32 plus its codes), metadata and tokenizer copied unchanged. The output goes to
// a temporary file in the destination directory, renamed into place only when complete; any
// failure or stop request removes it. The input is never overwritten.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/src/common/status.h"
#include "engine/src/convert/target.h"
#include "engine/src/dispatch/kernel_config.h"

namespace lutra::engine::convert {

struct Options {
  std::string wtype = "q2";  // q1..q4, tq, or a ggml type name
  uint32_t group = 64;       // 32, 64, 128 (tq: 128 unless given)
  bool asymmetric = false;
  Method method = Method::kSearch;
  // Share of each row's weights (largest magnitudes) kept as fp16 corrections (0: none).
  double outlier_fraction = 0.0;
  std::vector<std::string> keep;  // "PATTERN=TYPE" rules, first match wins
  size_t threads = 1;
  // The kernels packing uses (null: those of the process's features, LUTRA_ISA applied).
  const KernelConfig* kernels = nullptr;
};

struct TensorReport {
  size_t index = 0, count = 0;
  std::string name, source_type, target_type;
  uint64_t elements = 0, bytes = 0;
  double bits_per_weight = 0.0;  // bytes·8 / elements: codes, scales, zero points, outliers
  double relative_error = 0.0;   // Σ(w − ŵ)² / Σw² against the source's values
  double seconds = 0.0;
  bool quantized = false;  // a packed matrix (counts in the summary's quantized totals)
  bool lossless = false;   // repacked with the source's own codes and scales
};

struct Summary {
  uint64_t tensors = 0, elements = 0, bytes = 0;
  uint64_t quantized_elements = 0, quantized_bytes = 0;  // packed matrices only
  double squared_error = 0.0, squared_norm = 0.0;        // over the packed matrices
  double seconds = 0.0;
  bool stopped = false;  // should_stop asked to stop; the error says "stopped"
};

struct Callbacks {
  std::function<void(const TensorReport&)> on_tensor;
  std::function<void(double)> progress;  // fraction of the input's weights done
  std::function<bool()> should_stop;     // polled; true stops, nothing is written
};

// Errors name the tensor or key at fault. A stop request returns an error starting with
// "stopped".
Status Convert(const std::string& input, const std::string& output, const Options& options,
               const Callbacks& callbacks, Summary* summary);

// The checks Convert makes of its options before reading anything (group, outliers, threads,
// target type, --keep rules), for callers that want them before other work.
Status CheckOptions(const Options& options);

}  // namespace lutra::engine::convert
