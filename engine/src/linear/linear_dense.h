// Weights kept in high precision (F32, F16, BF16): decoded to fp32 once at load and multiplied
// by XNNPACK's fully-connected operator, which packs them for this CPU's GEMM microkernels, at 4
// bytes per weight in memory. The runtime keeps only small tensors (norms, embeddings looked up
// row by row, an occasional output head) in these types; the ggml block formats go through the
// LUT (linear_lut.h) or q8block (linear_q8block.h) operators, and lutra-convert moves large
// high-precision matrices to packed low-bit types. PlanLinear (plan.cc) makes the choice.
// Where XNNPACK cannot run (Debian's riscv64 build executes V instructions unconditionally, so
// a riscv64 core without V would die of SIGILL), the rows go through lutra's own vec dot
// kernels instead, split across the pool.
#pragma once

#include <memory>

#include "engine/src/linear/linear.h"

namespace lutra::engine::linear {

Expected<std::unique_ptr<Linear>> PlanDenseLinear(const gguf::TensorInfo& tensor,
                                                  const PlanOptions& options);

}  // namespace lutra::engine::linear
