// Ternary matrices (TQ1_0, TQ2_0, I2_S) on CPUs where the ternary2 dot-product kernels beat the
// lookup kernels (ARM, NEON and dotprod: docs/kernels.md): repacked at load to 2 bits per weight,
// rows interleaved by four (kernels/ternary2), with one fp32 scale per row when the file's
// scales are the tensor's (ternary-trained models) and otherwise the file's fp16 scale per 256.
// No more bytes than the file's (TQ1_0's 1.69 bits excepted: 2 + 1/128). W1.58·A8 exact with
// the activations quantized as the exact lookup path quantizes them: the same outputs.
#pragma once

#include <memory>

#include "engine/src/linear/linear.h"

namespace lutra::engine::linear {

// Whether PlanTernary2Linear takes `tensor` (a ternary type, rows a multiple of 256).
bool Ternary2Fits(const gguf::TensorInfo& tensor);

// For TQ1_0 / TQ2_0 / I2_S tensors where Ternary2Fits.
Expected<std::unique_ptr<Linear>> PlanTernary2Linear(const gguf::TensorInfo& tensor,
                                                     const PlanOptions& options);

// The operator around arrays from the repack cache (linear.h RestoreLinear).
Expected<std::unique_ptr<Linear>> RestoreTernary2Linear(const gguf::TensorInfo& tensor,
                                                        const RestoredLinear& saved,
                                                        const PlanOptions& options);

}  // namespace lutra::engine::linear
