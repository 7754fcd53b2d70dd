// Q4_0 matrices on CPUs where the q4rows dot-product kernels beat the lookup kernels (ARM with
// dotprod: docs/kernels.md): repacked at load into rows interleaved by four with the file's
// fp16 scales (kernels/q4rows), 4.5 bits per weight as in the file.
#pragma once

#include <memory>

#include "engine/src/linear/linear.h"

namespace lutra::engine::linear {

// For Q4_0 tensors (rows a multiple of 32, which PlanLinear has checked).
Expected<std::unique_ptr<Linear>> PlanQ4RowsLinear(const gguf::TensorInfo& tensor,
                                                   const PlanOptions& options);

// The operator around an array from the repack cache (linear.h RestoreLinear).
Expected<std::unique_ptr<Linear>> RestoreQ4RowsLinear(const gguf::TensorInfo& tensor,
                                                      const RestoredLinear& saved,
                                                      const PlanOptions& options);

}  // namespace lutra::engine::linear
