// Block formats of up to 8 bits the lookup kernels do not take (Q8_0, Q5_0, Q5_1, Q2_K, Q3_K,
// Q5_K, Q6_K): repacked once at load into int8 codes with an fp32 scale and min per 16- or
// 32-weight sub-block (exact: see kquant_formats.h), and multiplied with per-block int8
// activations by the q8block kernels. One byte per weight plus 4–8 bytes per sub-block, where
// decoding to fp32 would take four bytes per weight.
#pragma once

#include <memory>

#include "engine/src/linear/linear.h"

namespace lutra::engine::linear {

// For tensors whose type has a CodeBlock (kquant_formats.h) and a row length that is a
// multiple of its format's block.
Expected<std::unique_ptr<Linear>> PlanQ8BlockLinear(const gguf::TensorInfo& tensor,
                                                    const PlanOptions& options);

// The operator around arrays from the repack cache (linear.h RestoreLinear).
Expected<std::unique_ptr<Linear>> RestoreQ8BlockLinear(const gguf::TensorInfo& tensor,
                                                       const RestoredLinear& saved,
                                                       const PlanOptions& options);

}  // namespace lutra::engine::linear
