// Q4_K and Q6_K matrices (the bulk of Q4_K_M / Q5_K_M / Q6_K files): multiplied by the kquant
// kernels on the file's own super-blocks, neither repacked nor copied. They stream 4.5 and
// 6.56 bits per weight, as in the file; the load reads nothing but the finite check, and the
// repack cache has nothing to keep for them.
#pragma once

#include <memory>

#include "engine/src/linear/linear.h"

namespace lutra::engine::linear {

// For Q4_K and Q6_K tensors (rows a multiple of 256, which PlanLinear has checked).
Expected<std::unique_ptr<Linear>> PlanKQuantLinear(const gguf::TensorInfo& tensor,
                                                   const PlanOptions& options);

}  // namespace lutra::engine::linear
