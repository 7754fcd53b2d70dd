// One weight matrix to the bytes of a lutra-packed tensor (docs/packed-format.md): optional
// outlier extraction, round-to-nearest / range-search / ternary absmean quantization over row
// chunks on the pool, packing by tile chunks, and the reconstruction error against the fp32
// input (outliers included at their stored fp16 precision).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "engine/src/common/status.h"
#include "engine/src/common/threadpool.h"
#include "engine/src/convert/target.h"
#include "engine/src/dispatch/kernel_config.h"
#include "engine/src/gguf/lutra_types.h"
#include "engine/src/linear/lut_matrix.h"
#include "engine/src/quantize/round_to_nearest.h"

namespace lutra::engine::convert {

struct MatrixStats {
  double squared_error = 0.0;  // Σ(w − ŵ)²
  double squared_norm = 0.0;   // Σ w²
};

// Quantizes w (m rows of k, row-major) to `type` (its outliers field: corrections per row).
// `w` is used as scratch: on return it holds the original weights again. `stop` (may be empty)
// is polled between row chunks, on the calling thread only (the workers see its answer); when
// it returns true the result is an error.
// The packing kernel is `config`'s (the output is the same for every ISA).
Status QuantizeToPacked(float* w, size_t m, size_t k, const gguf::PackedType& type, Method method,
                        const KernelConfig& config, ThreadPool& pool,
                        const std::function<bool()>& stop, linear::AlignedBytes* out,
                        MatrixStats* stats);

// Packs an already quantized matrix (lossless repacks: Q4_0, TQ1_0, TQ2_0) with no outliers.
Status PackQuantized(const quantize::QuantizedMatrix& q, const gguf::PackedType& type,
                     const KernelConfig& config, ThreadPool& pool, linear::AlignedBytes* out);

}  // namespace lutra::engine::convert
