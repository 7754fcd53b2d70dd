// Low-bit weights through the LUT kernels: Q4_0 repacks losslessly into 4-bit asymmetric
// groups of 32 (zero point 8, the block's scale), TQ1_0/TQ2_0/I2_S into ternary groups of 128
// (codes w + 1, zero point 1; both halves of a 256-weight block share its scale, every I2_S
// group the tensor's one scale). The codes and scales are exactly those of the file, so the
// repack loses nothing.
#pragma once

#include <memory>

#include "engine/src/linear/linear.h"

namespace lutra::engine::linear {

Expected<std::unique_ptr<Linear>> PlanLutLinear(const gguf::TensorInfo& tensor,
                                                const PlanOptions& options);

// The operator around arrays from the repack cache (linear.h RestoreLinear).
Expected<std::unique_ptr<Linear>> RestoreLutLinear(const gguf::TensorInfo& tensor,
                                                   const RestoredLinear& saved,
                                                   const PlanOptions& options);

}  // namespace lutra::engine::linear
